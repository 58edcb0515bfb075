/*
 * Test helpers: the real service (createApp + worker loop + SQLite + file backend) on 127.0.0.1 with an
 * ephemeral port and a temporary data dir, plus a small HTTP client that speaks Cinder (token,
 * microversion header) and returns status, headers and the parsed body.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/log';
import { buildApp, buildServices, buildWorker, startSchedulerHeartbeat, type Services } from '../../src/bootstrap';
import { closeServer, listen } from '../../src/lifecycle';
import { createApp, type App } from '../../src/api/app';
import type { VolumeWorker } from '../../src/worker/volume-worker';
import { createTestDatabase } from './postgres';
import { RoleTokenStrategy } from './role-auth';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as is, instead of JSON.stringify(body). */
  rawBody?: string;
  contentType?: string;
  /** Microversion, e.g. '3.70'; null sends no header. Default: '3.0' (no header). */
  mv?: string | null;
  /** X-Auth-Token; null sends none. Default `admin:<project>`. */
  token?: string | null;
  headers?: Record<string, string>;
}

export interface TestServer {
  url: string;
  projectId: string;
  config: Config;
  dataDir: string;
  services: Services;
  worker: VolumeWorker;
  app: App;
  request(method: string, urlPath: string, opts?: RequestOptions): Promise<Reply>;
  /** Polls GET /v3/volumes/{id} until its status is one of `statuses` (or it is gone, for 'deleted'). */
  waitForVolume(id: string, statuses: string[], timeoutMs?: number): Promise<Reply>;
  close(): Promise<void>;
}

export const PROJECT_ID = '1d0b8f6ce2b24c2f9b4b0d9fc4d7a6e1';

export function tmpDir(prefix = 'volume-api-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** `postgres` when this mocha run tests the PostgreSQL store (scripts/test-all.sh's second pass). */
export const TEST_ENGINE = process.env.VOLUME_API_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';

/** `roleTokens`: callers' roles come from their token's user name (role-auth.ts), so members can be tested. */
export async function startServer(overrides: Record<string, unknown> = {}, opts: { worker?: boolean; roleTokens?: boolean } = {}): Promise<TestServer> {
  const dataDir = tmpDir();
  // Issue 8: the same suites against a fresh database in the run's throwaway PostgreSQL.
  const pgDb = TEST_ENGINE === 'postgres' && overrides.database_url === undefined ? await createTestDatabase() : undefined;
  if (pgDb) overrides = { database_url: pgDb.url, ...overrides };
  const config = loadConfig({ argv: [], env: {}, overrides: { host: '127.0.0.1', port: 0, data_dir: dataDir, log_level: 'info', ...overrides } });
  const logStream = fs.createWriteStream(path.join(dataDir, 'test.log'));
  const log = createLogger('volume-api', config.log_level, logStream);
  const services = await buildServices(config, log);
  // Not a "simple" child, as in standalone.ts: its own stream levels, so set-log can tell it from the API's.
  const worker = buildWorker(services, log.child({ component: 'volume-worker' }));
  services.queue.onEnqueue(() => worker.wake());
  if (opts.worker !== false) await worker.start();
  // As server.ts and standalone.ts: the API process heartbeats as cinder-scheduler.
  const heartbeat = await startSchedulerHeartbeat(services);
  const app = opts.roleTokens ? createApp({ ...services, auth: new RoleTokenStrategy() }) : buildApp(services);
  const address = await listen(app, config);
  const url = `http://127.0.0.1:${address.port}`;

  async function request(method: string, urlPath: string, o: RequestOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { Accept: 'application/json', ...(o.headers ?? {}) };
    const token = o.token === undefined ? `admin:${PROJECT_ID}` : o.token;
    if (token !== null) headers['X-Auth-Token'] = token;
    if (o.mv) headers['OpenStack-API-Version'] = `volume ${o.mv}`;
    let payload: string | undefined;
    if (o.rawBody !== undefined) payload = o.rawBody;
    else if (o.body !== undefined) payload = JSON.stringify(o.body);
    if (payload !== undefined) headers['Content-Type'] = o.contentType ?? 'application/json';
    const res = await fetch(url + urlPath, { method, headers, body: payload, redirect: 'manual' });
    const text = await res.text();
    let body: unknown = undefined;
    if (text && (res.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(text);
    return { status: res.status, headers: res.headers, text, body };
  }

  async function waitForVolume(id: string, statuses: string[], timeoutMs = 5000): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await request('GET', `/v3/volumes/${id}`);
      if (r.status === 404 && statuses.includes('deleted')) return r;
      if (r.status === 200 && statuses.includes(r.body.volume.status)) return r;
      if (Date.now() > deadline) throw new Error(`volume ${id} did not reach ${statuses.join('|')}: last ${r.status} ${r.text}`);
      await new Promise((res) => setTimeout(res, 20));
    }
  }

  return {
    url,
    projectId: PROJECT_ID,
    config,
    dataDir,
    services,
    worker,
    app,
    request,
    waitForVolume,
    async close() {
      await closeServer(app, { drainDelayMs: 0, forceAfterMs: 1000 });
      heartbeat.stop();
      await worker.stop();
      await services.store.close();
      await pgDb?.drop();
      logStream.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Keys of a JSON object, recursively for nested objects of the same shape check. */
export function keysOf(o: Record<string, unknown>): string[] {
  return Object.keys(o).sort();
}

/** Reads a Cinder sample body (test/samples: request/response bodies of the real Cinder, see its README). */
export function sample(rel: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'samples', rel), 'utf8'));
}

/**
 * A cinder-volume service (`ghost@file`, id 100) that reported once, in 2020, and died: down for any
 * service_down_time, for the workers-cleanup and service-state tests.
 */
export async function insertDeadVolumeService(s: TestServer, host = 'ghost@file', id = 100): Promise<void> {
  const longAgo = '2020-01-01T00:00:00.000000';
  await s.services.store.db
    .insertInto('services')
    .values({
      id,
      host,
      binary: 'cinder-volume',
      topic: 'cinder-volume',
      availability_zone: 'nova',
      cluster_name: null,
      disabled_reason: null,
      capabilities: null,
      log_level: null,
      reported_log_levels: null,
      created_at: longAgo,
      updated_at: longAgo,
      modified_at: null,
    })
    .execute();
}

/** Cinder's fault key per status (cinder/api/openstack/wsgi.py Fault._fault_names). */
const FAULT_NAMES: Record<number, string> = {
  400: 'badRequest',
  403: 'forbidden',
  404: 'itemNotFound',
  409: 'conflictingRequest',
  413: 'overLimit',
  503: 'serviceUnavailable',
};

/** The reply is exactly Cinder's fault body for `status`, with `message`. */
export function expectFault(r: Reply, status: number, message: string): void {
  expect(r.status, r.text).to.equal(status);
  expect(r.body).to.deep.equal({ [FAULT_NAMES[status]]: { code: status, message } });
}
