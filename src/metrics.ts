/*
 * Custom metrics for `pm2 monit`, `pm2 show` and `pm2 jlist` (through @pm2/io). Loaded only when the
 * process runs under PM2 (PM2 sets `pm_id`): elsewhere every hook is a no-op, so tests and `npm start`
 * carry no APM machinery. Metrics are per process; PM2 shows one set per instance.
 */
import type { MetricMeasurements } from '@pm2/io/build/main/services/metrics';
import type { Store } from './db/store';
import { operationStateCounts } from './db/queries/operations';

export interface ApiMetrics {
  requestStarted(): void;
  requestFinished(status: number, latencyMs: number): void;
}

export const METRIC_NAMES = {
  requestsPerSecond: 'req/s',
  latencyP95: 'latency p95 (ms)',
  inFlight: 'in-flight requests',
  responses4xx: '4xx responses',
  responses5xx: '5xx responses',
  queueDepth: 'queued operations',
  running: 'running operations',
  failed: 'failed operations',
  oldestQueuedAge: 'oldest queued (s)',
} as const;

const NOOP_API: ApiMetrics = { requestStarted: () => undefined, requestFinished: () => undefined };

export function underPm2(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.pm_id !== undefined;
}

type Io = typeof import('@pm2/io');

let loadedIo: Io | undefined;

function loadIo(): Io {
  if (!loadedIo) {
    // Required lazily (it initialises itself on load), and initialised once: a second init resets actions.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loadedIo = require('@pm2/io') as Io;
    loadedIo.init({ catchExceptions: false });
  }
  return loadedIo;
}

/** A custom action for `pm2 trigger <app> <name>` (no-op outside PM2). */
export function registerPm2Action(name: string, fn: () => unknown, enabled = underPm2()): void {
  if (!enabled) return;
  loadIo().action(name, (reply: (value: unknown) => void) => reply(fn()));
}

export function createApiMetrics(enabled = underPm2()): ApiMetrics {
  if (!enabled) return NOOP_API;
  const io = loadIo();
  let inFlight = 0;
  const rate = io.meter({ name: METRIC_NAMES.requestsPerSecond });
  const p95 = io.histogram({ name: METRIC_NAMES.latencyP95, measurement: 'p95' as MetricMeasurements });
  io.metric({ name: METRIC_NAMES.inFlight, value: () => inFlight });
  // Gauges with callbacks rather than counters: they are reported from the start, at 0.
  let n4xx = 0;
  let n5xx = 0;
  io.metric({ name: METRIC_NAMES.responses4xx, value: () => n4xx });
  io.metric({ name: METRIC_NAMES.responses5xx, value: () => n5xx });
  return {
    requestStarted() {
      inFlight++;
    },
    requestFinished(status, latencyMs) {
      inFlight = Math.max(0, inFlight - 1);
      rate.mark();
      p95.update(latencyMs);
      if (status >= 500) n5xx++;
      else if (status >= 400) n4xx++;
    },
  };
}

/** Samples the operations queue every `intervalMs` into worker gauges. Returns a stop function. */
export function startWorkerMetrics(store: Store, intervalMs = 2000, enabled = underPm2()): () => void {
  if (!enabled) return () => undefined;
  const io = loadIo();
  const queued = io.metric({ name: METRIC_NAMES.queueDepth });
  const running = io.metric({ name: METRIC_NAMES.running });
  const failed = io.metric({ name: METRIC_NAMES.failed });
  const oldest = io.metric({ name: METRIC_NAMES.oldestQueuedAge });
  const sample = async () => {
    const by = await operationStateCounts(store.db);
    queued.set(by.get('pending')?.n ?? 0);
    running.set(by.get('running')?.n ?? 0);
    failed.set(by.get('failed')?.n ?? 0);
    const first = by.get('pending')?.oldest;
    oldest.set(first ? Math.round((Date.now() - Date.parse(`${first.slice(0, 23)}Z`)) / 1000) : 0);
  };
  const timer = setInterval(() => void sample().catch(() => undefined), intervalMs);
  timer.unref();
  void sample().catch(() => undefined);
  return () => clearInterval(timer);
}
