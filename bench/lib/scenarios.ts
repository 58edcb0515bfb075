/*
 * Rally-style scenarios (the CinderVolumes.* names Rally uses, plus two of ours) and their runners.
 *
 * Read scenarios (list_volumes, show_volume) drive HTTP load with autocannon's programmatic API: the
 * runner's concurrency is the connection count, `times` the request count (or `duration` seconds).
 * Iteration scenarios (creates, deletes, snapshots, the mixed profile) run `concurrency` loops of
 * iterations over a keep-alive client, timing each iteration and its atomic actions, as Rally does.
 */
import autocannon from 'autocannon';
import crypto from 'node:crypto';
import { Client, percentiles, sleep, type Percentiles } from './util';
import type { Workload } from './tasks';

export interface ScenarioResult {
  unit: 'req/s' | 'iter/s';
  /** Successful requests or iterations. */
  ok: number;
  failed: number;
  durationS: number;
  throughput: number;
  latency: Percentiles;
  errors: Record<string, number>;
  /** Atomic actions of iteration scenarios (ms). */
  actions?: Record<string, Percentiles>;
  /** Create -> `available` as seen by polling (ms). */
  timeToAvailable?: Percentiles;
  /** Bytes of one response (read scenarios). */
  responseBytes?: number;
}

export interface Context {
  project: string;
  token: string;
  volumes: string[];
}

export const READ_SCENARIOS = new Set(['CinderVolumes.list_volumes', 'CinderVolumes.show_volume']);
export const SCENARIOS = [
  'CinderVolumes.list_volumes',
  'CinderVolumes.show_volume',
  'CinderVolumes.create_and_delete_volume',
  'CinderVolumes.create_and_list_volume',
  'CinderVolumes.create_and_delete_snapshot',
  'CinderVolumes.mixed_read_write',
];

/** How often waits poll the resource (Rally: 1 s; here fine enough to time sub-50 ms transitions). */
const POLL_MS = 5;
const WAIT_TIMEOUT_MS = 60000;

class IterationError extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

function errorKind(err: unknown): string {
  if (err instanceof IterationError) return err.kind;
  const e = err as NodeJS.ErrnoException;
  return e.code ?? e.message ?? String(err);
}

function expectStatus(r: { status: number; body: string }, ok: number[], what: string): void {
  if (!ok.includes(r.status)) throw new IterationError(`HTTP ${r.status}`, `${what}: ${r.status} ${r.body.slice(0, 200)}`);
}

async function waitStatus(c: Client, path: string, key: 'volume' | 'snapshot', want: string | 404): Promise<void> {
  const deadline = Date.now() + WAIT_TIMEOUT_MS;
  for (;;) {
    const r = await c.request('GET', path);
    if (want === 404 && r.status === 404) return;
    if (r.status === 200) {
      const status = (JSON.parse(r.body) as Record<string, { status: string }>)[key].status;
      if (status === want) return;
      if (status === 'error' || status === 'error_deleting') throw new IterationError(`status ${status}`, `${path} went to ${status}`);
    } else if (r.status !== 404) {
      expectStatus(r, [200], `GET ${path}`);
    }
    if (Date.now() > deadline) throw new IterationError('wait timeout', `${path} not ${want} after ${WAIT_TIMEOUT_MS} ms`);
    await sleep(POLL_MS);
  }
}

async function createVolume(c: Client, name: string, timings?: Record<string, number>): Promise<{ id: string; toAvailable: number }> {
  const t0 = performance.now();
  const r = await c.request('POST', '/v3/volumes', { volume: { size: 1, name } });
  expectStatus(r, [202], 'create volume');
  const id = (JSON.parse(r.body) as { volume: { id: string } }).volume.id;
  const t1 = performance.now();
  await waitStatus(c, `/v3/volumes/${id}`, 'volume', 'available');
  const t2 = performance.now();
  if (timings) {
    timings['cinder_v3.create_volume'] = t1 - t0;
    timings['cinder_v3.wait_available'] = t2 - t1;
  }
  return { id, toAvailable: t2 - t0 };
}

async function deleteVolume(c: Client, id: string, timings?: Record<string, number>): Promise<void> {
  const t0 = performance.now();
  const r = await c.request('DELETE', `/v3/volumes/${id}`);
  expectStatus(r, [202], 'delete volume');
  const t1 = performance.now();
  await waitStatus(c, `/v3/volumes/${id}`, 'volume', 404);
  if (timings) {
    timings['cinder_v3.delete_volume'] = t1 - t0;
    timings['cinder_v3.wait_deleted'] = performance.now() - t1;
  }
}

/** Rally's `users` and `volumes` contexts: a fresh project (noauth token `user:project`) with its volumes. */
export async function setupContext(base: string, w: Workload): Promise<Context> {
  const project = `bench-${crypto.randomBytes(4).toString('hex')}`;
  const token = `bench:${project}`;
  const c = new Client(base, token, 8);
  try {
    const n = w.context.volumes?.volumes_per_tenant ?? 0;
    const volumes: string[] = new Array(n);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(8, n) }, async () => {
        while (next < n) {
          const i = next++;
          volumes[i] = (await createVolume(c, `ctx-${i}`)).id;
        }
      }),
    );
    return { project, token, volumes };
  } finally {
    c.close();
  }
}

type Iteration = (c: Client, ctx: Context, i: number, timings: Record<string, number>, extra: { toAvailable: number[] }) => Promise<void>;

const ITERATIONS: Record<string, Iteration> = {
  async 'CinderVolumes.create_and_delete_volume'(c, _ctx, i, t, extra) {
    const v = await createVolume(c, `rally-cd-${i}`, t);
    extra.toAvailable.push(v.toAvailable);
    await deleteVolume(c, v.id, t);
  },
  async 'CinderVolumes.create_and_list_volume'(c, _ctx, i, t, extra) {
    const v = await createVolume(c, `rally-cl-${i}`, t);
    extra.toAvailable.push(v.toAvailable);
    const t0 = performance.now();
    const r = await c.request('GET', '/v3/volumes/detail');
    expectStatus(r, [200], 'list volumes');
    t['cinder_v3.list_volumes'] = performance.now() - t0;
  },
  async 'CinderVolumes.create_and_delete_snapshot'(c, ctx, i, t, extra) {
    if (ctx.volumes.length === 0) throw new IterationError('context', 'create_and_delete_snapshot needs context.volumes');
    const volumeId = ctx.volumes[i % ctx.volumes.length];
    const t0 = performance.now();
    const r = await c.request('POST', '/v3/snapshots', { snapshot: { volume_id: volumeId, name: `rally-snap-${i}`, force: true } });
    expectStatus(r, [202], 'create snapshot');
    const id = (JSON.parse(r.body) as { snapshot: { id: string } }).snapshot.id;
    const t1 = performance.now();
    await waitStatus(c, `/v3/snapshots/${id}`, 'snapshot', 'available');
    const t2 = performance.now();
    extra.toAvailable.push(t2 - t0);
    const d = await c.request('DELETE', `/v3/snapshots/${id}`);
    expectStatus(d, [202], 'delete snapshot');
    const t3 = performance.now();
    await waitStatus(c, `/v3/snapshots/${id}`, 'snapshot', 404);
    Object.assign(t, {
      'cinder_v3.create_snapshot': t1 - t0,
      'cinder_v3.wait_snapshot_available': t2 - t1,
      'cinder_v3.delete_snapshot': t3 - t2,
      'cinder_v3.wait_snapshot_deleted': performance.now() - t3,
    });
  },
  /** Ours: one request per iteration, 60% show, 20% detail list, 10% update (PUT name), 10% create. */
  async 'CinderVolumes.mixed_read_write'(c, ctx, i, t) {
    const k = i % 10;
    const id = ctx.volumes[i % Math.max(1, ctx.volumes.length)];
    const t0 = performance.now();
    if (k < 6) {
      expectStatus(await c.request('GET', `/v3/volumes/${id}`), [200], 'show volume');
      t['read.show_volume'] = performance.now() - t0;
    } else if (k < 8) {
      expectStatus(await c.request('GET', '/v3/volumes/detail'), [200], 'list volumes');
      t['read.list_volumes'] = performance.now() - t0;
    } else if (k === 8) {
      expectStatus(await c.request('PUT', `/v3/volumes/${id}`, { volume: { name: `mixed-${i}` } }), [200], 'update volume');
      t['write.update_volume'] = performance.now() - t0;
    } else {
      expectStatus(await c.request('POST', '/v3/volumes', { volume: { size: 1, name: `mixed-${i}` } }), [202], 'create volume');
      t['write.create_volume'] = performance.now() - t0;
    }
  },
};

export type Progress = (text: string) => void;

async function runIterations(base: string, w: Workload, ctx: Context, progress: Progress): Promise<ScenarioResult> {
  const fn = ITERATIONS[w.scenario];
  if (!fn) throw new Error(`unknown scenario ${w.scenario}`);
  const { concurrency } = w.runner;
  const c = new Client(base, ctx.token, concurrency * 2);
  const durations: number[] = [];
  const actions: Record<string, number[]> = {};
  const errors: Record<string, number> = {};
  const extra = { toAvailable: [] as number[] };
  let failed = 0;
  let next = 0;
  const start = performance.now();
  const endAt = w.runner.duration ? start + w.runner.duration * 1000 : Infinity;
  const times = w.runner.times ?? Infinity;
  const ticker = setInterval(() => progress(`${durations.length} ok, ${failed} failed`), 1000);
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < times && performance.now() < endAt) {
          const i = next++;
          const t: Record<string, number> = {};
          const t0 = performance.now();
          try {
            await fn(c, ctx, i, t, extra);
            durations.push(performance.now() - t0);
            for (const [k, v] of Object.entries(t)) (actions[k] ??= []).push(v);
          } catch (err) {
            failed++;
            const kind = errorKind(err);
            errors[kind] = (errors[kind] ?? 0) + 1;
          }
        }
      }),
    );
  } finally {
    clearInterval(ticker);
    c.close();
  }
  const durationS = (performance.now() - start) / 1000;
  const mixed = w.scenario === 'CinderVolumes.mixed_read_write';
  return {
    unit: mixed ? 'req/s' : 'iter/s',
    ok: durations.length,
    failed,
    durationS: Math.round(durationS * 1000) / 1000,
    throughput: Math.round((durations.length / durationS) * 100) / 100,
    latency: percentiles(durations),
    errors,
    actions: Object.fromEntries(Object.entries(actions).map(([k, v]) => [k, percentiles(v)])),
    timeToAvailable: extra.toAvailable.length ? percentiles(extra.toAvailable) : undefined,
  };
}

/** The path a read scenario loads, in a context. */
export function readPath(w: Workload, ctx: Context): string {
  if (w.scenario === 'CinderVolumes.list_volumes') return w.args.detailed === false ? '/v3/volumes' : '/v3/volumes/detail';
  if (ctx.volumes.length === 0) throw new Error('CinderVolumes.show_volume needs context.volumes');
  return `/v3/volumes/${ctx.volumes[0]}`;
}

async function runReads(base: string, w: Workload, ctx: Context, progress: Progress): Promise<ScenarioResult> {
  const url = base + readPath(w, ctx);
  const headers = { 'X-Auth-Token': ctx.token, Accept: 'application/json' };
  const first = await fetch(url, { headers });
  const responseBytes = (await first.arrayBuffer()).byteLength;
  if (first.status !== 200) throw new Error(`GET ${url}: ${first.status}`);
  // Warm-up (JIT, connection pools of proxies), not measured.
  const warmup = w.runner.warmup ?? 1;
  if (warmup > 0) await autocannon({ url, headers, connections: w.runner.concurrency, duration: warmup });
  const samples: number[] = [];
  const errors: Record<string, number> = {};
  const opts: autocannon.Options = { url, headers, connections: w.runner.concurrency, pipelining: 1, timeout: 30 };
  if (w.runner.times) opts.amount = w.runner.times;
  else opts.duration = w.runner.duration ?? 10;
  const t0 = performance.now();
  let settle: { resolve(r: autocannon.Result): void; reject(e: unknown): void } | undefined;
  const finished = new Promise<autocannon.Result>((resolve, reject) => (settle = { resolve, reject }));
  const inst = autocannon(opts, (err, res) => (err ? settle!.reject(err) : settle!.resolve(res)));
  let failed = 0;
  inst.on('response', (_c, status, _b, ms) => {
    if (status >= 200 && status < 300) samples.push(ms);
    else {
      failed++;
      errors[`HTTP ${status}`] = (errors[`HTTP ${status}`] ?? 0) + 1;
    }
  });
  inst.on('reqError', (err: NodeJS.ErrnoException) => {
    failed++;
    const k = err?.code ?? err?.message ?? 'request error';
    errors[k] = (errors[k] ?? 0) + 1;
  });
  const ticker = setInterval(() => progress(`${samples.length} ok, ${failed} failed`), 1000);
  const result = await finished.finally(() => clearInterval(ticker));
  if (result.timeouts) errors.timeout = result.timeouts;
  // autocannon's own duration is rounded to whole seconds; the wall time is finer.
  const durationS = Math.round(performance.now() - t0) / 1000 || result.duration;
  return {
    unit: 'req/s',
    ok: samples.length,
    failed,
    durationS,
    throughput: Math.round((samples.length / durationS) * 100) / 100,
    latency: percentiles(samples),
    errors,
    responseBytes,
  };
}

export function runScenario(base: string, w: Workload, ctx: Context, progress: Progress): Promise<ScenarioResult> {
  return READ_SCENARIOS.has(w.scenario) ? runReads(base, w, ctx, progress) : runIterations(base, w, ctx, progress);
}
