/*
 * The production process layout with the real PM2 (node_modules/.bin/pm2): a private PM2_HOME and app
 * directory per suite (the built dist/ copied, node_modules linked), ephemeral ports on 127.0.0.1, and
 * `pm2 kill` afterwards even when a test fails.
 */
import { expect } from 'chai';
import { execFileSync, execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { jlist, pm2, type Pm2Process } from '../../deploy/lib/pm2';
import { setupLogrotate } from '../../deploy/scripts/logrotate';
import { upgrade } from '../../deploy/scripts/upgrade';
import { METRIC_NAMES } from '../../src/metrics';
import { freePort } from '../lib/ports';
import { sample } from '../lib/prometheus';

const ROOT = path.resolve(__dirname, '..', '..');
const execFileP = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One request on a fresh connection (Connection: close), so cluster instances take turns. */
function freshGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: { 'X-Auth-Token': 'admin:abc', ...headers } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.setTimeout(10000, () => req.destroy(new Error('timeout')));
  });
}

class Deployment {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'volume-api-pm2-'));
  readonly pm2Home = path.join(this.dir, '.pm2');
  readonly dataDir = path.join(this.dir, 'data');
  readonly logDir = path.join(this.dir, 'logs');
  port = 0;
  env: NodeJS.ProcessEnv = {};

  constructor(private readonly extraEnv: Record<string, string> = {}) {}

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get ecosystem(): string {
    return path.join(this.dir, 'ecosystem.config.js');
  }

  async start(waitOnline = true): Promise<void> {
    this.port = await freePort();
    fs.copyFileSync(path.join(ROOT, 'ecosystem.config.js'), this.ecosystem);
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(this.dir, 'package.json'));
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(this.dir, 'node_modules'));
    fs.cpSync(path.join(ROOT, 'dist'), path.join(this.dir, 'dist'), { recursive: true });
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VOLUME_API_') && k !== 'pm_id'));
    this.env = {
      ...clean,
      PM2_HOME: this.pm2Home,
      VOLUME_API_PORT: String(this.port),
      VOLUME_API_HOST: '127.0.0.1',
      VOLUME_API_DATA_DIR: this.dataDir,
      VOLUME_API_LOG_DIR: this.logDir,
      VOLUME_API_INSTANCES: '2',
      VOLUME_API_QUOTA_VOLUMES: '100000',
      VOLUME_API_QUOTA_GIGABYTES: '1000000',
      VOLUME_API_WORKER_POLL_INTERVAL_MS: '100',
      // The loopback metrics ports (worker, then one per API instance) off the default, per suite.
      VOLUME_API_METRICS_LOCAL_PORT: String(await freePort()),
      ...this.extraEnv,
    };
    await pm2(['start', this.ecosystem, '--env', 'production'], this.env);
    if (waitOnline) await this.waitOnline(3);
  }

  async list(): Promise<Pm2Process[]> {
    return jlist(this.env);
  }

  async waitOnline(count: number, timeoutMs = 30000): Promise<Pm2Process[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const procs = await this.list();
      if (procs.filter((p) => p.pm2_env.status === 'online').length >= count) {
        try {
          if ((await freshGet(`${this.base}/healthcheck`)).status === 200) return procs;
        } catch {
          // not listening yet
        }
      }
      if (Date.now() > deadline) throw new Error(`PM2 apps not online: ${JSON.stringify(procs.map((p) => [p.name, p.pm2_env.status]))}`);
      await sleep(200);
    }
  }

  async stop(): Promise<void> {
    await pm2(['kill'], this.env).catch(() => undefined);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  logLines(prefix: string): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    if (!fs.existsSync(this.logDir)) return out;
    for (const name of fs.readdirSync(this.logDir)) {
      if (!name.startsWith(prefix) || name.includes('error')) continue;
      let text = fs.readFileSync(path.join(this.logDir, name));
      if (name.endsWith('.gz')) text = zlib.gunzipSync(text);
      for (const line of text.toString().split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          out.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // a partial line
        }
      }
    }
    return out;
  }
}

interface LoadResult {
  ok: number;
  failed: number;
  failures: string[];
  created: string[];
  requestIds: string[];
}

/** Bounded load: `concurrency` keep-alive loops of reads (and a create every `createEvery`) until stopped. */
function startLoad(base: string, opts: { concurrency: number; createEvery: number; maxRequests: number; maxMs: number }): { stop(): Promise<LoadResult> } {
  const result: LoadResult = { ok: 0, failed: 0, failures: [], created: [], requestIds: [] };
  let stopped = false;
  const deadline = Date.now() + opts.maxMs;
  let n = 0;
  const loop = async () => {
    while (!stopped && Date.now() < deadline && n < opts.maxRequests) {
      const i = n++;
      const create = opts.createEvery > 0 && i % opts.createEvery === 0;
      try {
        const res = create
          ? await fetch(`${base}/v3/volumes`, {
              method: 'POST',
              headers: { 'X-Auth-Token': 'admin:abc', 'Content-Type': 'application/json' },
              body: JSON.stringify({ volume: { size: 1, name: `load-${i}` } }),
            })
          : await fetch(`${base}/v3/volumes?limit=2`, { headers: { 'X-Auth-Token': 'admin:abc' } });
        const body = await res.text();
        if (res.status !== (create ? 202 : 200)) throw new Error(`${res.status} ${body.slice(0, 200)}`);
        result.ok++;
        result.requestIds.push(res.headers.get('x-openstack-request-id')!);
        if (create) result.created.push((JSON.parse(body) as { volume: { id: string } }).volume.id);
      } catch (err) {
        result.failed++;
        if (result.failures.length < 10) result.failures.push(String((err as Error).cause ?? err));
      }
    }
  };
  const loops = Array.from({ length: opts.concurrency }, loop);
  return {
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return result;
    },
  };
}

async function waitAllAvailable(base: string, ids: string[], timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // One pass over the detail list (every page), instead of a request per volume.
    const status = new Map<string, string>();
    let next: string | undefined = `${base}/v3/volumes/detail?limit=1000`;
    while (next) {
      const page = JSON.parse((await freshGet(next)).body) as { volumes: { id: string; status: string }[]; volumes_links?: { href: string }[] };
      for (const v of page.volumes) status.set(v.id, v.status);
      next = page.volumes.length > 0 ? page.volumes_links?.[0]?.href : undefined;
    }
    const failed = ids.filter((id) => status.get(id) === 'error');
    if (failed.length > 0) throw new Error(`volumes ended in error: ${failed.join(', ')}`);
    const pending = ids.filter((id) => status.get(id) !== 'available');
    if (pending.length === 0) return;
    if (Date.now() > deadline) throw new Error(`${pending.length} volumes not available`);
    await sleep(200);
  }
}

describe('PM2 ecosystem (real PM2)', function () {
  this.timeout(180000);
  before(function () {
    if (!fs.existsSync(path.join(ROOT, 'node_modules', '.bin', 'pm2'))) {
      if (process.env.CI === 'true') throw new Error('pm2 is missing from node_modules: run npm ci');
      this.skip();
    }
    // The apps run the compiled build, as in production. scripts/test-all.sh has just built it (and says
    // so with VOLUME_API_TEST_BUILT=1): no second build of the same tree.
    if (process.env.VOLUME_API_TEST_BUILT === '1' && fs.existsSync(path.join(ROOT, 'dist', 'server.js'))) return;
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], {
      stdio: 'inherit',
    });
  });

  describe('one deployment', () => {
    const d = new Deployment();
    before(async () => {
      await d.start();
    });
    after(async () => {
      await d.stop();
    });

    it('starts volume-api in cluster mode (2 instances) and volume-worker in fork mode, all online', async () => {
      const procs = await d.list();
      const api = procs.filter((p) => p.name === 'volume-api');
      const worker = procs.filter((p) => p.name === 'volume-worker');
      expect(api).to.have.length(2);
      expect(api.every((p) => p.pm2_env.exec_mode === 'cluster_mode' && p.pm2_env.status === 'online')).to.equal(true);
      expect(worker).to.have.length(1);
      expect(worker[0].pm2_env).to.include({ exec_mode: 'fork_mode', status: 'online' });
    });

    it('answers from more than one cluster instance, and the separate worker makes volumes available', async () => {
      for (let i = 0; i < 20; i++) expect((await freshGet(`${d.base}/v3/volumes`)).status).to.equal(200);
      const create = await fetch(`${d.base}/v3/volumes`, {
        method: 'POST',
        headers: { 'X-Auth-Token': 'admin:abc', 'Content-Type': 'application/json' },
        body: JSON.stringify({ volume: { size: 1 } }),
      });
      const id = ((await create.json()) as { volume: { id: string } }).volume.id;
      await waitAllAvailable(d.base, [id]);
      await sleep(500);
      const pids = new Set(
        d
          .logLines('volume-api.log')
          .filter((l) => l.audit === true)
          .map((l) => l.pid),
      );
      const apiPids = (await d.list()).filter((p) => p.name === 'volume-api').map((p) => p.pid);
      expect(pids.size).to.be.greaterThan(1);
      for (const pid of pids) expect(apiPids).to.include(pid as number);
      expect(d.logLines('volume-worker.log').some((l) => l.name === 'volume-worker' && l.volume_id === id && l.msg === 'operation succeeded')).to.equal(true);
    });

    it('shows our short, ordered metric set in pm2 jlist after a burst of requests, without PM2 agent metrics', async () => {
      await Promise.all(
        Array.from({ length: 50 }, () => fetch(`${d.base}/v3/volumes?limit=1`, { headers: { 'X-Auth-Token': 'admin:abc' } }).then((r) => r.text())),
      );
      await sleep(2500);
      const procs = await d.list();
      const apiOrder = [METRIC_NAMES.requestsPerSecond, METRIC_NAMES.latencyP95, METRIC_NAMES.inFlight, METRIC_NAMES.responses5xx, METRIC_NAMES.responses4xx];
      const apiMetrics = procs.filter((x) => x.name === 'volume-api').map((p) => p.pm2_env.axm_monitor ?? {});
      // Exactly ours, in our order: no HTTP req/min meter, heap or event-loop metrics pushing them out of the box.
      for (const m of apiMetrics) expect(Object.keys(m)).to.deep.equal(apiOrder);
      expect(apiMetrics.some((m) => Number(m[METRIC_NAMES.latencyP95].value) > 0)).to.equal(true);
      expect(apiMetrics.some((m) => Number(m[METRIC_NAMES.requestsPerSecond].value) > 0)).to.equal(true);
      const w = procs.find((x) => x.name === 'volume-worker')!.pm2_env.axm_monitor ?? {};
      expect(Object.keys(w)).to.deep.equal([METRIC_NAMES.queueDepth, METRIC_NAMES.running, METRIC_NAMES.failed, METRIC_NAMES.oldestQueuedAge]);
      expect(Number(w[METRIC_NAMES.queueDepth].value)).to.be.at.least(0);
    });

    it('counts every request sent to both instances in one scrape of /metrics, the worker merged in', async () => {
      const listed = async () => {
        const r = await freshGet(`${d.base}/metrics`);
        expect(r.status).to.equal(200);
        return r.body;
      };
      const before = sample(await listed(), 'volume_api_http_requests_total', { route: 'ListVolumes', method: 'GET', status: '200' }) ?? 0;
      for (let i = 0; i < 30; i++) expect((await freshGet(`${d.base}/v3/volumes`)).status).to.equal(200);
      await sleep(100);
      // Whichever instance takes each scrape, it sees the same host-wide count.
      for (let i = 0; i < 4; i++) {
        const text = await listed();
        expect(sample(text, 'volume_api_http_requests_total', { route: 'ListVolumes', method: 'GET', status: '200' })).to.equal(before + 30);
        expect(sample(text, 'volume_api_metrics_processes')).to.equal(3);
        expect(sample(text, 'volume_api_service_up', { binary: 'cinder-volume' })).to.equal(1);
      }
      const audited = d.logLines('volume-api.log').filter((l) => l.audit === true && l.url === '/v3/volumes');
      expect(new Set(audited.map((l) => l.pid)).size).to.equal(2);
    });

    it('logs no OpenTelemetry error and shows the app names and versions readably in pm2 ls', async () => {
      for (const name of fs.readdirSync(d.logDir).filter((n) => n.includes('error'))) {
        expect(fs.readFileSync(path.join(d.logDir, name), 'utf8'), name).to.not.match(/OpenTelemetry|Tracing/);
      }
      const { stdout } = await execFileP(path.join(ROOT, 'node_modules', '.bin', 'pm2'), ['ls', '--no-color'], { env: d.env });
      const rows = stdout.split('\n').filter((l) => /volume-(api|worker)/.test(l));
      expect(rows).to.have.length(3);
      const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
      for (const row of rows) {
        const cells = row.split('│').map((c) => c.trim());
        expect(cells).to.include(version);
        expect(
          cells.some((c) => c === 'volume-api' || c === 'volume-worker'),
          row,
        ).to.equal(true);
        expect(row).to.not.include('[T]');
      }
    });

    it('reloads volume-api three times under load with 0 failed requests, and every created volume becomes available', async () => {
      const load = startLoad(d.base, { concurrency: 8, createEvery: 10, maxRequests: 40000, maxMs: 60000 });
      await sleep(500);
      for (let i = 0; i < 3; i++) await pm2(['reload', 'volume-api'], d.env);
      await sleep(500);
      const r = await load.stop();
      console.log(`      reload x3 under load: ${r.ok} requests ok, ${r.failed} failed, ${r.created.length} volumes created`);
      expect(r.failures, JSON.stringify(r.failures)).to.deep.equal([]);
      expect(r.failed).to.equal(0);
      expect(r.ok).to.be.greaterThan(100);
      await waitAllAvailable(d.base, r.created, 60000);
      const restarts = (await d.list()).filter((p) => p.name === 'volume-api').map((p) => p.pm2_env.status);
      expect(restarts).to.deep.equal(['online', 'online']);
    });

    it('restarts an API instance killed with SIGKILL, which serves again within seconds', async () => {
      const before = (await d.list()).filter((p) => p.name === 'volume-api');
      const victim = before[0];
      process.kill(victim.pid, 'SIGKILL');
      const deadline = Date.now() + 15000;
      let replaced: Pm2Process | undefined;
      while (Date.now() < deadline) {
        replaced = (await d.list()).find((p) => p.pm_id === victim.pm_id && p.pid !== victim.pid && p.pm2_env.status === 'online');
        if (replaced) break;
        await sleep(200);
      }
      expect(replaced, 'instance restarted').to.not.equal(undefined);
      expect(replaced!.pm2_env.restart_time).to.be.greaterThan(victim.pm2_env.restart_time);
      let servedByNew = false;
      for (let i = 0; i < 30 && !servedByNew; i++) {
        expect((await freshGet(`${d.base}/v3/volumes`)).status).to.equal(200);
        await sleep(50);
        servedByNew = d.logLines('volume-api.log').some((l) => l.audit === true && l.pid === replaced!.pid);
      }
      expect(servedByNew).to.equal(true);
    });

    it('restarts the worker killed with SIGKILL mid-operation; the operation completes', async () => {
      const create = await fetch(`${d.base}/v3/volumes`, {
        method: 'POST',
        headers: { 'X-Auth-Token': 'admin:abc', 'Content-Type': 'application/json' },
        body: JSON.stringify({ volume: { size: 2, name: 'source' } }),
      });
      const source = ((await create.json()) as { volume: { id: string } }).volume.id;
      await waitAllAvailable(d.base, [source]);
      // Real data, so the clone takes a while: 1 GiB of non-zero bytes.
      const fd = fs.openSync(path.join(d.dataDir, 'volumes', `volume-${source}`), 'r+');
      const chunk = Buffer.alloc(4 * 1024 * 1024, 0xab);
      for (let i = 0; i < 256; i++) fs.writeSync(fd, chunk, 0, chunk.length, i * chunk.length);
      fs.closeSync(fd);
      const worker = (await d.list()).find((p) => p.name === 'volume-worker')!;
      const clone = await fetch(`${d.base}/v3/volumes`, {
        method: 'POST',
        headers: { 'X-Auth-Token': 'admin:abc', 'Content-Type': 'application/json' },
        body: JSON.stringify({ volume: { source_volid: source, name: 'clone' } }),
      });
      const cloneId = ((await clone.json()) as { volume: { id: string } }).volume.id;
      const db = new Database(path.join(d.dataDir, 'volume-api.sqlite'), { readonly: true });
      try {
        const deadline = Date.now() + 10000;
        while (Date.now() < deadline) {
          const op = db.prepare("select state from operations where resource_id = ? and kind = 'create_volume'").get(cloneId) as { state: string } | undefined;
          if (op?.state === 'running') break;
          await sleep(5);
        }
        process.kill(worker.pid, 'SIGKILL');
        await waitAllAvailable(d.base, [cloneId], 60000);
        const op = db.prepare("select state, attempts from operations where resource_id = ? and kind = 'create_volume'").get(cloneId) as {
          state: string;
          attempts: number;
        };
        expect(op.state).to.equal('succeeded');
      } finally {
        db.close();
      }
      const after = (await d.list()).find((p) => p.name === 'volume-worker')!;
      expect(after.pid).to.not.equal(worker.pid);
      expect(after.pm2_env.restart_time).to.be.greaterThan(worker.pm2_env.restart_time);
      const buf = Buffer.alloc(4);
      const cfd = fs.openSync(path.join(d.dataDir, 'volumes', `volume-${cloneId}`), 'r');
      fs.readSync(cfd, buf, 0, 4, 1024 * 1024 * 1024 - 4);
      fs.closeSync(cfd);
      expect([...buf]).to.deep.equal([0xab, 0xab, 0xab, 0xab]);
    });

    it('refuses an upgrade onto a build that fails at start, leaving the running instances serving', async () => {
      const script = path.join(d.dir, 'dist', 'server.js');
      const good = fs.readFileSync(script);
      fs.writeFileSync(script, "throw new Error('broken build');\n");
      const load = startLoad(d.base, { concurrency: 4, createEvery: 0, maxRequests: 20000, maxMs: 30000 });
      const lines: string[] = [];
      let refused: Error | undefined;
      try {
        await upgrade({ ecosystem: d.ecosystem, env: d.env, watchMs: 1000, log: (l) => lines.push(l) });
      } catch (err) {
        refused = err as Error;
      } finally {
        fs.writeFileSync(script, good);
      }
      const r = await load.stop();
      expect(refused?.message).to.match(/canary exited with 1 before listening[\s\S]*broken build/);
      expect(lines).to.deep.equal(['1/4 configuration is valid']);
      expect(r.failed, JSON.stringify(r.failures)).to.equal(0);
      expect((await d.list()).every((p) => p.pm2_env.status === 'online')).to.equal(true);
      // With the good build back, the same command reloads.
      const ok: string[] = [];
      await upgrade({ ecosystem: d.ecosystem, env: d.env, watchMs: 1000, log: (l) => ok.push(l) });
      expect(ok).to.have.length(4);
      expect(ok[3]).to.match(/^4\/4 3 processes online and steady/);
    });

    it('rotates logs from the ecosystem policy without losing or repeating a line under load', async () => {
      const conf = path.join(d.dir, 'logrotate.conf');
      const first = setupLogrotate({ ecosystem: d.ecosystem, output: conf, pm2Home: d.pm2Home, env: d.env });
      expect(first.changed).to.equal(true);
      expect(setupLogrotate({ ecosystem: d.ecosystem, output: conf, pm2Home: d.pm2Home, env: d.env }).changed).to.equal(false);
      const state = path.join(d.dir, 'logrotate.state');
      const load = startLoad(d.base, { concurrency: 6, createEvery: 0, maxRequests: 30000, maxMs: 30000 });
      for (let i = 0; i < 3; i++) {
        await sleep(700);
        await execFileP('logrotate', ['-f', '-s', state, conf]);
      }
      await sleep(700);
      const r = await load.stop();
      expect(r.failed).to.equal(0);
      await sleep(1500);
      const rotated = fs.readdirSync(d.logDir).filter((n) => /^volume-api\.log\.\d/.test(n));
      expect(rotated.length).to.be.at.least(2);
      const counts = new Map<string, number>();
      for (const l of d.logLines('volume-api.log')) if (l.audit === true) counts.set(l.req_id as string, (counts.get(l.req_id as string) ?? 0) + 1);
      const missing = r.requestIds.filter((id) => counts.get(id) === undefined);
      const repeated = r.requestIds.filter((id) => (counts.get(id) ?? 0) > 1);
      console.log(
        `      3 forced rotations: ${r.requestIds.length} request ids, ${missing.length} missing, ${repeated.length} repeated, ${rotated.length} rotated files`,
      );
      expect({ requests: r.requestIds.length, missing: missing.length, repeated: repeated.length }).to.deep.equal({
        requests: r.requestIds.length,
        missing: 0,
        repeated: 0,
      });
      expect(r.requestIds.length).to.be.greaterThan(500);
    });
  });

  describe('memory limit', () => {
    const d = new Deployment({ VOLUME_API_MAX_MEMORY: '40M', PM2_WORKER_INTERVAL: '1000' });
    after(async () => {
      await d.stop();
    });

    it('restarts an API instance that grows over max_memory_restart', async () => {
      await d.start(false);
      const deadline = Date.now() + 30000;
      let restarted = false;
      while (Date.now() < deadline && !restarted) {
        restarted = (await d.list()).some((p) => p.name === 'volume-api' && p.pm2_env.restart_time > 0);
        await sleep(500);
      }
      expect(restarted).to.equal(true);
    });
  });
});
