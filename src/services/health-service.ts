/*
 * What `/healthcheck` and the Prometheus metrics read about the whole service (issue 18): the store
 * answers, every cinder-volume worker heartbeats (scheduler.ts serviceIsUp with service_down_time), the
 * file backends have room (`healthcheck.backend_min_free_gb`) and nothing it writes is full (issue 19) and the queue moves (the oldest queued
 * operation is younger than `healthcheck.max_queued_age_seconds`).
 *
 * Each check is one result in oslo.middleware's healthcheck shape (reason, details, class); the service
 * is healthy when every result is available. The backend is checked where its directory exists on this
 * host (an API-only host of a multi-host layout has none; its workers' hosts check theirs).
 */
import fs from 'node:fs/promises';
import type { Config } from '../config';
import type { Store } from '../db/store';
import { oldestQueuedCreatedAt, operationCountsByKindAndState, type OperationCount } from '../db/queries/operations';
import { listServices } from '../db/queries/services';
import { serviceIsUp } from './scheduler';
import { storageSpace, type StorageSpaceConfig } from './storage-space';

/** One check's outcome, as oslo.middleware's HealthcheckResult. */
export interface HealthResult {
  /** Which check (oslo's `class`). */
  check: 'StoreCheck' | 'VolumeWorkerCheck' | 'BackendSpaceCheck' | 'OperationQueueCheck';
  available: boolean;
  /** Short, upper-case when failing (oslo's reasons), `OK` otherwise. */
  reason: string;
  details: string;
}

/** What the queue and the workers look like now (the metrics' store gauges). */
export interface ServiceSnapshot {
  operations: OperationCount[];
  /** Seconds since the oldest queued operation was created; 0 when none is queued. */
  oldestQueuedAgeSeconds: number;
  /** Every heartbeating service and the age of its last heartbeat. */
  heartbeats: { binary: string; host: string; ageSeconds: number; up: boolean }[];
}

/** Free bytes for an unprivileged writer on the file system holding `dir`; null when `dir` does not exist here. */
export async function freeBytes(dir: string): Promise<number | null> {
  try {
    const s = await fs.statfs(dir);
    return s.bavail * s.bsize;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

const GiB = 1024 ** 3;

/** Stored times are naive UTC (db/time.ts). */
function parseStored(iso: string): number {
  return Date.parse(`${iso}Z`);
}

function ageSeconds(iso: string, now: number): number {
  return Math.max(0, Math.round((now - parseStored(iso)) / 1000));
}

export class HealthService {
  constructor(
    private readonly store: Store,
    private readonly config: Pick<Config, 'service_down_time' | 'healthcheck'> & StorageSpaceConfig,
  ) {}

  /** The queue by kind and state and every heartbeat (the metrics' store gauges; counts every operation row). */
  async snapshot(now = Date.now()): Promise<ServiceSnapshot> {
    const [operations, heartbeats] = await Promise.all([operationCountsByKindAndState(this.store.db), this.heartbeats(now)]);
    const queued = operations.flatMap((o) => (o.state === 'pending' && o.oldest !== null ? [o.oldest] : [])).sort();
    return { operations, oldestQueuedAgeSeconds: queued.length === 0 ? 0 : ageSeconds(queued[0], now), heartbeats };
  }

  private async heartbeats(now: number): Promise<ServiceSnapshot['heartbeats']> {
    return (await listServices(this.store.db)).map((row) => ({
      binary: row.binary,
      host: row.host,
      ageSeconds: ageSeconds(row.updated_at ?? row.created_at, now),
      up: serviceIsUp(row, this.config.service_down_time, now),
    }));
  }

  /** Every check, in a fixed order; a failing store makes the store-backed checks fail with it. */
  async check(now = Date.now()): Promise<HealthResult[]> {
    let heartbeats: ServiceSnapshot['heartbeats'];
    let oldestQueued: string | null;
    try {
      await this.store.ping();
      [heartbeats, oldestQueued] = await Promise.all([this.heartbeats(now), oldestQueuedCreatedAt(this.store.db)]);
    } catch (err) {
      return [{ check: 'StoreCheck', available: false, reason: 'STORE UNAVAILABLE', details: (err as Error).message }];
    }
    return [
      { check: 'StoreCheck', available: true, reason: 'OK', details: `${this.store.engine} store answers` },
      this.workers(heartbeats),
      await this.backendSpace(),
      this.queue(oldestQueued === null ? 0 : ageSeconds(oldestQueued, now)),
    ];
  }

  private workers(heartbeats: ServiceSnapshot['heartbeats']): HealthResult {
    const volumes = heartbeats.filter((h) => h.binary === 'cinder-volume');
    const down = volumes.filter((h) => !h.up);
    const limit = `service_down_time ${this.config.service_down_time} s`;
    if (volumes.length === 0)
      return { check: 'VolumeWorkerCheck', available: false, reason: 'NO VOLUME WORKER', details: 'no cinder-volume service has reported' };
    if (down.length > 0)
      return {
        check: 'VolumeWorkerCheck',
        available: false,
        reason: 'VOLUME WORKER DOWN',
        details: down.map((h) => `cinder-volume ${h.host}: last heartbeat ${h.ageSeconds} s ago (${limit})`).join('; '),
      };
    return { check: 'VolumeWorkerCheck', available: true, reason: 'OK', details: `${volumes.length} cinder-volume up (${limit})` };
  }

  /**
   * Every backend directory on this host has `backend_min_free_gb` free, and nothing the service writes
   * is full (storage-space.ts: a full directory, or a store whose last write failed for space).
   */
  private async backendSpace(): Promise<HealthResult> {
    const min = this.config.healthcheck.backend_min_free_gb;
    const storage = await storageSpace(this.store, this.config);
    if (storage.full) return { check: 'BackendSpaceCheck', available: false, reason: 'STORAGE FULL', details: `no space left: ${storage.full_at.join(', ')}` };
    const shown: string[] = [];
    let low = false;
    for (const { path: dir } of this.config.volume_backends) {
      const free = await freeBytes(dir);
      if (free === null) {
        shown.push(`${dir} is not on this host`);
        continue;
      }
      shown.push(`${(free / GiB).toFixed(1)} GiB free in ${dir}`);
      if (min > 0 && free < min * GiB) low = true;
    }
    const details = `${shown.join('; ')} (backend_min_free_gb ${min})`;
    if (low) return { check: 'BackendSpaceCheck', available: false, reason: 'BACKEND SPACE LOW', details };
    return { check: 'BackendSpaceCheck', available: true, reason: 'OK', details };
  }

  private queue(age: number): HealthResult {
    const max = this.config.healthcheck.max_queued_age_seconds;
    const shown = `oldest queued operation ${age} s old (max_queued_age_seconds ${max})`;
    if (max > 0 && age > max) return { check: 'OperationQueueCheck', available: false, reason: 'OPERATION QUEUE STUCK', details: shown };
    return { check: 'OperationQueueCheck', available: true, reason: 'OK', details: shown };
  }
}
