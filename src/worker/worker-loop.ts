/*
 * The volume worker loop: claims operations from the durable queue and runs them.
 *
 * Design notes.
 * - Claiming is atomic (queries/operations.ts claimNextOperation: a guarded UPDATE on SQLite, UPDATE ...
 *   FOR UPDATE SKIP LOCKED on PostgreSQL), so any number of workers, in any processes and on any hosts,
 *   can race for the queue and each operation is taken by exactly one.
 * - A claim is a lease (config worker.lease_seconds), renewed while the operation runs. A worker that
 *   dies leaves a lease that expires; the next worker to look claims the row again and retries it. Every
 *   backend method is idempotent, so a retry after a crash halfway through finishes the job.
 * - At start a worker reconciles the backend with the store (reconcile-backend.ts: files without rows are
 *   quarantined), then frees the leases of owners on this host whose process no longer exists (owner ids
 *   are `host/pid/random`) instead of waiting for them to expire.
 * - Finishing is one transaction: the operation row (guarded by owner) and the resource's status. If the
 *   lease was lost meanwhile, nothing is written and the new owner finishes instead.
 * - Attempts (issue 19): a run is charged to the operation when it failed, not when the process died
 *   under it (queries/operations.ts CHARGE_THIS_RUN); those runs count as interruptions, and after
 *   worker.max_interruptions of them the operation fails with a message saying so. A stop hands the
 *   lease back uncharged.
 * - After worker.max_attempts the operation fails, the resource goes to its error status and the owner
 *   gets a user message (/messages), in one transaction: nothing stays in a transitional status.
 * - A store that fails (the PostgreSQL server is away, issue 8) stops nothing: the loop logs, waits its
 *   poll interval doubled per failure (at most 30 s) and tries again. An operation whose result cannot
 *   be recorded counts as nothing written; its lease runs out and it runs again once the store is back.
 * - Several hosts (issue 8): a worker has a host string, `host@backend#pool` from config worker.host and
 *   worker.backend_name, recorded on every volume it places. It claims only operations targeted at that
 *   string, or untargeted ones for its backend (queue.ts says which operations are targeted), so workers
 *   on several hosts share one database without touching each other's storage. An owner's operations
 *   wait for it while it is down; nobody else has the files.
 * - New operations wake the loop at once (`wake()`, called by the service in the same process); polling
 *   every worker.poll_interval_ms only covers operations enqueued by other processes.
 * - Services (issue 15): while running, the worker heartbeats its cinder-volume row (`host@backend`, with
 *   the backend's capabilities) and, with a backup driver, its cinder-backup row (`host`) (heartbeat.ts).
 *   A disabled service takes no new work: the claim skips untargeted operations while the row says
 *   disabled (queries/operations.ts servedBy), and the scheduler targets nothing at it.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { serviceHostName, type Config } from '../config';
import type { Store } from '../db/store';
import type { OperationRow } from '../db/schema';
import * as ops from '../db/queries/operations';
import { resourceProject } from '../db/queries/resource-lookups';
import { nowIso } from '../db/time';
import type { Logger } from '../log';
import type { BackendSet, VolumeBackend } from './backends';
import { OPERATION_HANDLERS } from './operations';
import { LeaseLostError, type OperationContext, type OperationHandler } from './operations/types';
import { detailFor, interruptedError, recordMessage } from '../services/user-messages';
import { isDatabaseUnavailable, isOutOfSpace, StorageFullError } from '../errors';
import { reconcileBackend } from './reconcile-backend';
import { processAlive } from './process-alive';
import { backupPath, type BackupDriver } from './backup-drivers';
import { reconcileBackups } from './reconcile-backups';
import type { QuotaService } from '../services/quota-service';
import { poolView } from '../services/backend-capabilities';
import { backendCapabilities, Heartbeat } from './heartbeat';

/** How often a running worker purges old quarantined files. */
const QUARANTINE_PURGE_INTERVAL_MS = 86400000;

/** Longest pause between two polls while the store keeps failing. */
const BACKOFF_MAX_MS = 30000;

export class WorkerLoop {
  readonly owner: string;
  /** This worker's `host@backend#pool` string and backend name: what it claims (WorkerScope). */
  readonly scope: ops.WorkerScope;
  /** The host part of `scope.host` (config worker.host, else the machine's name). */
  private readonly hostName: string;
  private running = false;
  private wakeUp: (() => void) | null = null;
  private woken = false;
  private loopDone: Promise<void> = Promise.resolve();
  /** Id of the operation being run, if any. */
  private current: string | null = null;
  private renewTimer: NodeJS.Timeout | undefined;
  private readonly ctx: OperationContext;
  /** Backup operations log through their own logger: the cinder-backup service's for set-log. */
  private readonly backupLog: Logger;
  private readonly heartbeat: Heartbeat;
  private quarantineTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly backend: VolumeBackend,
    quota: QuotaService,
    private readonly config: Pick<Config, 'worker' | 'service_report_interval' | 'storage_availability_zone'> & Partial<Pick<Config, 'backup' | 'data_dir'>>,
    private readonly log: Logger,
    /** Backup storage for the backup operations and their reconciliation (bootstrap's createBackupDriver). */
    private readonly backupDriver?: BackupDriver,
    /** Whether this loop heartbeats the host's cinder-backup service (one loop per host does: VolumeWorker). */
    reportsBackupService = true,
    /** Every backend of this host (migrations between them copy directly); default: this loop's alone. */
    backends?: BackendSet,
  ) {
    this.hostName = serviceHostName(config);
    const backendName = backend.name;
    // Cinder's form with the backend as its one pool, e.g. storage1@file#file.
    this.scope = { host: `${this.hostName}@${backendName}#${backendName}`, backend: backendName };
    this.owner = `${this.hostName}/${process.pid}/${randomUUID().slice(0, 8)}`;
    const capabilities = () => backendCapabilities(store, backend, this.scope);
    this.ctx = {
      store,
      backend,
      backupDriver,
      quota,
      log,
      owner: this.owner,
      now: () => nowIso(),
      host: this.scope.host,
      backends,
      stagingDir: config.data_dir ? path.join(backupPath({ data_dir: config.data_dir, backup: config.backup }), 'migrations') : undefined,
      poolCapabilities: async () => {
        const published = await capabilities();
        return poolView(published, published.pools[0]);
      },
    };
    this.backupLog = log.child({ component: 'backup' });
    this.heartbeat = new Heartbeat(
      store,
      config,
      [
        { host: this.scope.host.split('#')[0], binary: 'cinder-volume', logger: log, loggerName: 'volume-worker', capabilities },
        ...(backupDriver && reportsBackupService
          ? [{ host: this.hostName, binary: 'cinder-backup' as const, logger: this.backupLog, loggerName: 'volume-worker.backup' }]
          : []),
      ],
      config.worker.cluster || null,
      log,
    );
  }

  async start(opts: { reconcileBackups?: boolean } = {}): Promise<void> {
    await this.backend.init();
    await reconcileBackend(this.store, this.backend, this.log);
    if (opts.reconcileBackups !== false) await reconcileBackups(this.store, this.backupDriver, this.log);
    await this.purgeOldQuarantine();
    // Daily after that (issue 18): crash copies must not fill the disk.
    this.quarantineTimer = setInterval(() => void this.purgeOldQuarantine(), QUARANTINE_PURGE_INTERVAL_MS);
    this.quarantineTimer.unref();
    await this.reclaimOrphans();
    await this.heartbeat.start();
    LIVE_OWNERS.add(this.owner);
    this.running = true;
    this.loopDone = this.loop();
    this.log.info({ owner: this.owner, backend: this.backend.name, host: this.scope.host }, 'volume worker started');
  }

  /**
   * Stops claiming. Waits up to `graceMs` for the operation in progress; if it is still running then,
   * hands its lease back (expires it now) so the next worker resumes it at once instead of a lease later.
   */
  async stop(graceMs = Infinity): Promise<void> {
    clearInterval(this.quarantineTimer);
    this.heartbeat.stop();
    this.running = false;
    this.wake();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.loopDone.then(() => false),
      new Promise<boolean>((resolve) => {
        if (Number.isFinite(graceMs)) timer = setTimeout(() => resolve(true), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut && this.current) {
      clearInterval(this.renewTimer);
      // Not charged, not an interruption: the next start (or another worker) resumes it at once.
      await ops.handBackOperation(this.store.db, this.current, this.owner, nowIso()).catch(() => undefined);
      this.log.warn({ op_id: this.current }, 'stopped during an operation: lease handed back');
    }
    LIVE_OWNERS.delete(this.owner);
  }

  /** Heartbeats now (after a set-log in this process: the new level applies at once). */
  async beatNow(): Promise<void> {
    await this.heartbeat.beat();
  }

  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Runs claimable operations until none is left (tests and crash recovery use it directly). */
  async drain(): Promise<number> {
    let n = 0;
    while (await this.runOne()) n++;
    return n;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (this.running) {
      this.woken = false;
      let didWork = false;
      try {
        didWork = await this.runOne();
        failures = 0;
      } catch (err) {
        // Typically the database is away (issue 8): log, wait longer each time (up to 30 s), go on.
        failures++;
        this.log.error({ err, failures }, 'worker loop error');
      }
      if (didWork || !this.running) continue;
      if (this.woken && failures === 0) continue;
      const waitMs = failures === 0 ? this.config.worker.poll_interval_ms : Math.min(this.config.worker.poll_interval_ms * 2 ** (failures - 1), BACKOFF_MAX_MS);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = null;
    }
  }

  /** Claims and runs one operation; false when there was nothing to claim. */
  async runOne(): Promise<boolean> {
    const op = await this.claim();
    if (!op) return false;
    const handler = (OPERATION_HANDLERS as Partial<Record<string, OperationHandler>>)[op.kind];
    const log = (op.resource_type === 'backup' ? this.backupLog : this.log).child(
      { op_id: op.id, op_kind: op.kind, [`${op.resource_type}_id`]: op.resource_id, attempt: op.attempts, ...(op.request_id ? { req_id: op.request_id } : {}) },
      true,
    );
    const ctx = { ...this.ctx, log };
    if (!handler) {
      log.error('unknown operation kind');
      await ops.finishOperation(this.store.db, op.id, this.owner, 'failed', nowIso(), `unknown operation kind ${op.kind}`);
      return true;
    }
    if (op.attempts > this.config.worker.max_attempts) {
      log.error('operation failed: out of attempts');
      await this.fail(ctx, handler, op, op.error ?? 'out of attempts');
      return true;
    }
    if (op.interruptions > this.config.worker.max_interruptions) {
      // Issue 19: a crash loop ends too, with a message that says why, not "out of attempts".
      log.error({ interruptions: op.interruptions }, 'operation failed: interrupted too many times');
      await this.fail(ctx, handler, op, interruptedError(op.interruptions));
      return true;
    }
    const renew = setInterval(
      () => void ops.renewLease(this.store.db, op.id, this.owner, nowIso(), this.leaseUntil()).catch((err) => log.warn({ err }, 'lease renewal failed')),
      (this.config.worker.lease_seconds * 1000) / 3,
    );
    const started = Date.now();
    this.current = op.id;
    this.renewTimer = renew;
    try {
      const result = await handler.execute(ctx, op);
      // Testing aid (config worker.test_delay_ms, 0 in production): hold the finished storage work
      // unrecorded for a while, so tests can kill a worker in the worst crash window.
      if (this.config.worker.test_delay_ms > 0) await new Promise((r) => setTimeout(r, this.config.worker.test_delay_ms));
      await this.store.transaction(async (trx) => {
        if (!(await ops.finishOperation(trx, op.id, this.owner, 'succeeded', nowIso()))) throw new LeaseLostError(op.id);
        await handler.complete(ctx, trx, op, result);
      });
      await handler.afterComplete?.(ctx, op, result);
      log.info({ duration_ms: Date.now() - started }, 'operation succeeded');
    } catch (err) {
      if (err instanceof LeaseLostError) {
        log.warn('lease lost; another worker finishes this operation');
      } else if (isDatabaseUnavailable(err) || err instanceof StorageFullError) {
        // Nothing was recorded (the transaction rolled back): not the operation's fault. Its lease runs
        // out and a worker runs it again once the database is back, or has room again (issue 19; backend
        // steps are idempotent).
        log.warn({ err }, 'database unavailable or full; the operation is retried when its lease runs out');
      } else if (op.attempts >= this.config.worker.max_attempts || (err as { permanent?: unknown } | null)?.permanent === true || isOutOfSpace(err)) {
        // Out of attempts, or an error retrying cannot cure (not enough free space on the backend; a write
        // that failed for space, issue 19: its partial data is gone, the user is told the backend is full).
        log.error({ err }, 'operation failed');
        await this.fail(ctx, handler, op, String((err as Error).message ?? err));
      } else {
        log.warn({ err }, 'operation attempt failed; will retry');
        // Record why, and retry in about a second (when this short lease runs out), not in a tight loop.
        await ops
          .recordAttemptFailure(this.store.db, op.id, this.owner, String((err as Error).message ?? err), nowIso(new Date(Date.now() + 1000)))
          .catch(() => undefined);
      }
    } finally {
      clearInterval(renew);
      this.current = null;
    }
    return true;
  }

  /** Last attempt failed: operation row, resource error status and a user message, in one transaction. */
  private async fail(ctx: OperationContext, handler: OperationHandler, op: OperationRow, error: string): Promise<void> {
    try {
      await this.store.transaction(async (trx) => {
        if (!(await ops.finishOperation(trx, op.id, this.owner, 'failed', nowIso(), error))) throw new LeaseLostError(op.id);
        await handler.markFailed(ctx, trx, op, error);
        const projectId = await resourceProject(trx, op.resource_type, op.resource_id);
        if (projectId) {
          await recordMessage(trx, {
            projectId,
            requestId: op.request_id,
            resourceType: MESSAGE_RESOURCE[op.resource_type] ?? 'VOLUME',
            resourceId: op.resource_id,
            action: handler.action,
            detail: detailFor(error),
          });
        }
      });
    } catch (err) {
      ctx.log.error({ err }, 'cannot record the failure');
    }
  }

  private leaseUntil(): string {
    return nowIso(new Date(Date.now() + this.config.worker.lease_seconds * 1000));
  }

  private async claim(): Promise<OperationRow | undefined> {
    return ops.claimNextOperation(this.store.db, this.owner, nowIso(), this.leaseUntil(), this.scope);
  }

  /** Deletes quarantined files older than config worker.quarantine_max_age_days (0: never). */
  private async purgeOldQuarantine(): Promise<void> {
    const days = this.config.worker.quarantine_max_age_days;
    if (days <= 0) return;
    try {
      const purged = await this.backend.purgeQuarantine(new Date(Date.now() - days * 86400000));
      if (purged.length > 0) this.log.info({ files: purged.map((f) => f.name), max_age_days: days }, 'purged old quarantined files');
    } catch (err) {
      this.log.warn({ err }, 'cannot purge the quarantine');
    }
  }

  private async reclaimOrphans(): Promise<void> {
    // Owner ids start with the worker host name; only this host can tell whether its pids are alive.
    const host = this.hostName;
    for (const op of await ops.runningOperationOwners(this.store.db)) {
      const [opHost] = (op.owner ?? '').split('/');
      if (opHost !== host || !op.owner || ownerAlive(op.owner)) continue;
      await ops.expireLease(this.store.db, op.id, op.owner, nowIso(new Date(0)));
      this.log.info({ op_id: op.id, dead_owner: op.owner }, 'reclaiming operation of a dead worker');
    }
  }
}

/** Owner ids of the loops running in this process (see ownerAlive). */
const LIVE_OWNERS = new Set<string>();

/**
 * Whether a lease owner (`host/pid/random`) of this host may still be working. An owner with this
 * process's pid is alive only if it is one of this process's running loops: otherwise it is an earlier
 * process that had the same pid (a container restarted as pid 1, say).
 */
function ownerAlive(owner: string): boolean {
  const pid = Number(owner.split('/')[1]);
  return pid === process.pid ? LIVE_OWNERS.has(owner) : processAlive(pid);
}

const MESSAGE_RESOURCE: Record<string, 'VOLUME' | 'VOLUME_SNAPSHOT' | 'VOLUME_ATTACHMENT'> = {
  volume: 'VOLUME',
  snapshot: 'VOLUME_SNAPSHOT',
  attachment: 'VOLUME_ATTACHMENT',
};
