/*
 * Metrics, two ways (issue 18):
 *
 * - Prometheus (`GET /metrics`, prom-client), in every mode. Per process: requests by route, method and
 *   status, latency histograms, in-flight requests, the store's connection pool and prom-client's process
 *   metrics. From the store, computed by the process that answers the scrape: operations by kind and
 *   state, queue depth and oldest age, every service's heartbeat age.
 *   Under PM2 one scrape sees the whole host: every process also serves its own metrics on loopback
 *   (worker on `metrics.local_port`, API instance N on `local_port + 1 + N`), and the instance that takes
 *   the scrape fetches its siblings' and merges them with prom-client's AggregatorRegistry.aggregate
 *   (counters summed; its cluster IPC does not exist under PM2, whose daemon is the cluster master).
 *   docs/operations.md explains the choice.
 * - `pm2 monit` / `pm2 jlist` (@pm2/io), only under PM2 (PM2 sets `pm_id`): a short ordered set per
 *   process, with @pm2/io's own metrics (heap, event loop, its HTTP meter) and tracing off.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { Store } from './db/store';
import type { Logger } from './log';
import type { HealthService } from './services/health-service';

export interface ApiMetrics {
  requestStarted(): void;
  requestFinished(route: string, method: string, status: number, latencyMs: number): void;
  /** The Prometheus text of `GET /metrics`; absent: no such route. */
  scrape?(): Promise<{ contentType: string; body: string }>;
}

export const METRIC_NAMES = {
  requestsPerSecond: 'req/s',
  latencyP95: 'latency p95 (ms)',
  inFlight: 'in-flight requests',
  responses5xx: '5xx responses',
  responses4xx: '4xx responses',
  queueDepth: 'queued operations',
  running: 'running operations',
  failed: 'failed operations',
  oldestQueuedAge: 'oldest queued (s)',
} as const;

export function underPm2(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.pm_id !== undefined;
}

// ---------------------------------------------------------------- Prometheus

type MetricJson = MetricObjectWithValues<MetricValue<string>>[];

/** One process's Prometheus registry: requests, latency, in-flight, the store pool, process metrics. */
export class ProcessMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'volume_api_http_requests_total',
    help: 'HTTP requests answered, by route name, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'volume_api_http_request_duration_seconds',
    help: 'Time from request to response, by route name and method.',
    labelNames: ['route', 'method'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly inFlight = new Gauge({ name: 'volume_api_http_requests_in_flight', help: 'Requests being handled.', registers: [this.registry] });

  constructor(store: Store) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'volume_api_store_pool_connections',
      help: 'Store connections by state (PostgreSQL pool: total, idle, waiting clients; SQLite: one in-process connection).',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const pool = store.poolStats?.() ?? { total: 1, idle: 0, waiting: 0 };
        for (const [state, n] of Object.entries(pool)) this.set({ state }, n);
      },
    });
  }

  requestStarted(): void {
    this.inFlight.inc();
  }

  requestFinished(route: string, method: string, status: number, latencyMs: number): void {
    this.inFlight.dec();
    this.requests.inc({ route, method, status: String(status) });
    this.latency.observe({ route, method }, latencyMs / 1000);
  }
}

/** Gauges read from the store at scrape time (the whole service, so only the answering process adds them). */
function storeRegistry(health: HealthService): Registry {
  const registry = new Registry();
  let pending: ReturnType<HealthService['snapshot']> | undefined;
  // One snapshot per scrape, shared by the gauges below.
  const snapshot = () => (pending ??= health.snapshot().finally(() => setTimeout(() => (pending = undefined), 0)));
  new Gauge({
    name: 'volume_api_operations',
    help: 'Operations in the store by kind and state (pending = queued, running, succeeded, failed).',
    labelNames: ['kind', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const o of (await snapshot()).operations) this.set({ kind: o.kind, state: o.state }, o.n);
    },
  });
  new Gauge({
    name: 'volume_api_operation_queue_depth',
    help: 'Queued operations no worker has claimed yet.',
    registers: [registry],
    async collect() {
      this.set((await snapshot()).operations.reduce((n, o) => n + (o.state === 'pending' ? o.n : 0), 0));
    },
  });
  new Gauge({
    name: 'volume_api_operation_queue_oldest_age_seconds',
    help: 'Age of the oldest queued operation (0: none queued).',
    registers: [registry],
    async collect() {
      this.set((await snapshot()).oldestQueuedAgeSeconds);
    },
  });
  new Gauge({
    name: 'volume_api_service_heartbeat_age_seconds',
    help: 'Seconds since each service (cinder-volume, cinder-backup, cinder-scheduler) last reported.',
    labelNames: ['binary', 'host'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const h of (await snapshot()).heartbeats) this.set({ binary: h.binary, host: h.host }, h.ageSeconds);
    },
  });
  new Gauge({
    name: 'volume_api_service_up',
    help: '1 while a service heartbeats within service_down_time, else 0.',
    labelNames: ['binary', 'host'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const h of (await snapshot()).heartbeats) this.set({ binary: h.binary, host: h.host }, h.up ? 1 : 0);
    },
  });
  return registry;
}

/** The loopback ports of this host's processes under PM2: the worker's, then API instance N's. */
export function localMetricsPorts(localPort: number, env: NodeJS.ProcessEnv = process.env): { own: number | null; all: number[] } {
  if (localPort === 0 || !underPm2(env)) return { own: null, all: [] };
  const instances = Math.max(1, Number(env.instances) || 1);
  const all = [localPort, ...Array.from({ length: instances }, (_, i) => localPort + 1 + i)];
  const own = env.name === 'volume-worker' ? localPort : localPort + 1 + (Number(env.NODE_APP_INSTANCE) || 0);
  return { own, all };
}

function fetchJson(port: number): Promise<MetricJson | null> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/metrics.json', agent: false, timeout: 1000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 ? (JSON.parse(body) as MetricJson) : null);
        } catch {
          resolve(null);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
  });
}

/**
 * `GET /metrics` of an API process: its own metrics, its siblings' (under PM2) merged in, and the store
 * gauges. A sibling that does not answer (being reloaded) is left out of that scrape.
 */
export function prometheusScrape(
  own: ProcessMetrics,
  health: HealthService,
  ports: { own: number | null; all: number[] },
): () => Promise<{ contentType: string; body: string }> {
  const fromStore = storeRegistry(health);
  const merged = new Gauge({ name: 'volume_api_metrics_processes', help: 'Processes whose metrics this scrape merged.', registers: [fromStore] });
  return async () => {
    const siblings = await Promise.all(ports.all.filter((p) => p !== ports.own).map(fetchJson));
    const sets = [await own.registry.getMetricsAsJSON(), ...siblings.filter((s): s is MetricJson => s !== null)];
    merged.set(sets.length);
    const registry = Registry.merge([AggregatorRegistry.aggregate(sets), fromStore]);
    return { contentType: registry.contentType, body: await registry.metrics() };
  };
}

/**
 * Serves this process's own metrics on 127.0.0.1:`port` (`/metrics.json` for the merging sibling,
 * `/metrics` for a scraper that wants one process). While the port is taken (a `pm2 reload` starts the
 * new instance before the old one stops) it tries again every second. Returns a stop function.
 */
export function serveLocalMetrics(own: ProcessMetrics, port: number | null, log: Logger): () => Promise<void> {
  if (port === null) return async () => undefined;
  const server = http.createServer((req, res) => {
    const json = req.url === '/metrics.json';
    const body = json ? own.registry.getMetricsAsJSON().then((m) => JSON.stringify(m)) : own.registry.metrics();
    // No chaining on writeHead: under PM2 the injected agent's wrapper returns undefined.
    body.then(
      (text) => {
        res.writeHead(200, { 'Content-Type': json ? 'application/json' : own.registry.contentType });
        res.end(text);
      },
      () => {
        res.writeHead(500);
        res.end();
      },
    );
  });
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  // exclusive: this process's own socket, not one shared through the cluster master (PM2's daemon).
  const tryListen = () => server.listen({ port, host: '127.0.0.1', exclusive: true });
  server.on('error', (err: NodeJS.ErrnoException) => {
    if (stopped) return;
    if (err.code === 'EADDRINUSE') retry = setTimeout(tryListen, 1000).unref();
    else log.warn({ err, port }, 'local metrics port: cannot listen');
  });
  server.on('listening', () => log.debug({ port: (server.address() as AddressInfo).port }, 'local metrics listening'));
  tryListen();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    if (server.listening) await new Promise((r) => server.close(r));
  };
}

// ---------------------------------------------------------------- pm2 monit (@pm2/io)

type Io = typeof import('@pm2/io');

let loadedIo: Io | undefined;

function loadIo(): Io {
  if (!loadedIo) {
    // Required lazily (it initialises itself on load), and initialised once: a second init resets actions.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loadedIo = require('@pm2/io') as Io;
    // Under PM2, require('@pm2/io') returns the agent PM2 injected (pm2/modules/pm2-io-bpm). Its init
    // takes a missing `tracing` as "enabled" and then logs "[PM2][ERROR] OpenTelemetry packages not
    // installed" and shows `[T]` in `pm2 ls`: say off. Its own metrics (heap, event loop, the HTTP
    // req/min meter) would push ours below the `pm2 monit` box: off too; PM2 shows memory and CPU itself.
    loadedIo.init({
      catchExceptions: false,
      metrics: { v8: false, runtime: false, eventLoop: false, network: false, http: false },
      tracing: { enabled: false, outbound: false },
    } as Parameters<Io['init']>[0]);
  }
  return loadedIo;
}

/** A custom action for `pm2 trigger <app> <name>` (no-op outside PM2). */
export function registerPm2Action(name: string, fn: () => unknown, enabled = underPm2()): void {
  if (!enabled) return;
  loadIo().action(name, (reply: (value: unknown) => void) => reply(fn()));
}

/** Recent latencies and request times, read by PM2 about once a second. */
class RecentRequests {
  private readonly latencies: number[] = [];
  private readonly times: number[] = [];
  private next = 0;
  constructor(private readonly size = 1024) {}

  add(latencyMs: number, now = Date.now()): void {
    this.latencies[this.next] = latencyMs;
    this.times[this.next] = now;
    this.next = (this.next + 1) % this.size;
  }

  /** Requests per second over the last 10 s. */
  rate(now = Date.now()): number {
    const n = this.times.filter((t) => now - t <= 10_000).length;
    return Math.round((n / 10) * 10) / 10;
  }

  /** 95th percentile of the latencies kept (the last `size` requests). */
  p95(): number {
    if (this.latencies.length === 0) return 0;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))];
  }
}

/**
 * The `pm2 monit` set of an API process, in this order. All are value gauges: PM2 lists gauges before
 * meters and histograms, so this keeps req/s and p95 on top, inside the box.
 */
function pm2ApiMetrics(): Pick<ApiMetrics, 'requestStarted' | 'requestFinished'> {
  const io = loadIo();
  const recent = new RecentRequests();
  let inFlight = 0;
  let n4xx = 0;
  let n5xx = 0;
  io.metric({ name: METRIC_NAMES.requestsPerSecond, value: () => recent.rate() });
  io.metric({ name: METRIC_NAMES.latencyP95, value: () => recent.p95() });
  io.metric({ name: METRIC_NAMES.inFlight, value: () => inFlight });
  io.metric({ name: METRIC_NAMES.responses5xx, value: () => n5xx });
  io.metric({ name: METRIC_NAMES.responses4xx, value: () => n4xx });
  return {
    requestStarted() {
      inFlight++;
    },
    requestFinished(_route, _method, status, latencyMs) {
      inFlight = Math.max(0, inFlight - 1);
      recent.add(latencyMs);
      if (status >= 500) n5xx++;
      else if (status >= 400) n4xx++;
    },
  };
}

/** An API process's metrics: Prometheus always (with `scrape`), the `pm2 monit` set under PM2. */
export function createApiMetrics(own: ProcessMetrics, scrape: ApiMetrics['scrape'], pm2 = underPm2()): ApiMetrics {
  const monit = pm2 ? pm2ApiMetrics() : undefined;
  return {
    requestStarted() {
      own.requestStarted();
      monit?.requestStarted();
    },
    requestFinished(route, method, status, latencyMs) {
      own.requestFinished(route, method, status, latencyMs);
      monit?.requestFinished(route, method, status, latencyMs);
    },
    scrape,
  };
}

/** Samples the operations queue every `intervalMs` into the worker's `pm2 monit` gauges. Returns a stop function. */
export function startWorkerMetrics(health: HealthService, intervalMs = 2000, enabled = underPm2()): () => void {
  if (!enabled) return () => undefined;
  const io = loadIo();
  const queued = io.metric({ name: METRIC_NAMES.queueDepth });
  const running = io.metric({ name: METRIC_NAMES.running });
  const failed = io.metric({ name: METRIC_NAMES.failed });
  const oldest = io.metric({ name: METRIC_NAMES.oldestQueuedAge });
  const sample = async () => {
    const s = await health.snapshot();
    const count = (state: string) => s.operations.reduce((n, o) => n + (o.state === state ? o.n : 0), 0);
    queued.set(count('pending'));
    running.set(count('running'));
    failed.set(count('failed'));
    oldest.set(s.oldestQueuedAgeSeconds);
  };
  const timer = setInterval(() => void sample().catch(() => undefined), intervalMs);
  timer.unref();
  void sample().catch(() => undefined);
  return () => clearInterval(timer);
}
