/*
 * The deployment modes the benchmark runs side by side, each started as an operator would and stopped
 * afterwards (also on failure):
 *
 * - baseline-node / baseline-restify: bare servers answering the read routes with bodies captured from
 *   the service (bench/baseline-server.ts);
 * - standalone: `node dist/standalone.js` as `npm start` runs it (API and worker in one process);
 * - pm2-1 / pm2-N: the real PM2 from node_modules with a private PM2_HOME, the repository's
 *   ecosystem.config.js copied into a temporary app directory with dist/ and a node_modules link
 *   (as test/functional/pm2.test.ts), VOLUME_API_INSTANCES=1 or the core count;
 * - nginx / apache: the generated vhosts (deploy/lib/nginx.ts, deploy/lib/apache.ts) on private
 *   instances listening on 127.0.0.1 (test/lib/*.ts), in front of the pm2-N deployment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { jlist, pm2 } from '../../deploy/lib/pm2';
import { startApacheProxy, type ApacheProxy } from '../../test/lib/apache';
import { startNginxFor, type NginxProxy } from '../../test/lib/nginx';
import { freePort, pidsMatching, sleep, type ProcessGroups } from './util';

export const ROOT = path.resolve(__dirname, '..', '..');

export type ModeName = 'baseline-node' | 'baseline-restify' | 'standalone' | 'pm2-1' | 'pm2-N' | 'nginx' | 'apache';
export const ALL_MODES: ModeName[] = ['baseline-node', 'baseline-restify', 'standalone', 'pm2-1', 'pm2-N', 'nginx', 'apache'];

export interface RunningMode {
  name: ModeName;
  /** Baselines only answer the read scenarios. */
  baseline: boolean;
  url: string;
  description: string;
  /** The processes to measure: `api` (service or baseline), `worker`, `pm2` (daemon), `proxy` (the runner adds `loadgen`). */
  groups(): Promise<ProcessGroups>;
  stop(): Promise<void>;
}

/** Environment of the service in every mode: high quotas, so the scenarios are not limited by them. */
export function serviceEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VOLUME_API_') && k !== 'pm_id' && !k.startsWith('PM2_')));
  return {
    ...clean,
    VOLUME_API_HOST: '127.0.0.1',
    VOLUME_API_QUOTA_VOLUMES: '-1',
    VOLUME_API_QUOTA_SNAPSHOTS: '-1',
    VOLUME_API_QUOTA_GIGABYTES: '-1',
    VOLUME_API_QUOTA_PER_VOLUME_GIGABYTES: '-1',
    ...extra,
  };
}

function get(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => req.destroy());
  });
}

async function waitHealthy(url: string, child?: ChildProcess, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && (child.exitCode !== null || child.signalCode !== null))
      throw new Error(`exited (${child.exitCode ?? child.signalCode}) before serving ${url}`);
    if ((await get(`${url}/healthcheck`)) === 200) return;
    await sleep(100);
  }
  throw new Error(`${url}/healthcheck did not answer 200 within ${timeoutMs} ms`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10000);
  await exited;
  clearTimeout(t);
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/**
 * `node dist/standalone.js` in a temporary working directory (data under it); `nodeArgs` e.g.
 * --cpu-prof, `extraEnv` more VOLUME_API_* settings (e.g. Keystone auth for the Rally run).
 */
export async function startStandalone(nodeArgs: string[] = [], extraEnv: Record<string, string> = {}): Promise<RunningMode> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'volume-api-bench-standalone-'));
  const port = await freePort();
  const child = spawn(process.execPath, ['--enable-source-maps', '--disable-warning=DEP0111', ...nodeArgs, path.join(ROOT, 'dist', 'standalone.js')], {
    cwd: dir,
    env: serviceEnv({ VOLUME_API_PORT: String(port), VOLUME_API_DATA_DIR: path.join(dir, 'data'), ...extraEnv }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(url, child);
  } catch (err) {
    await stopChild(child);
    throw new Error(`standalone: ${(err as Error).message}\n${stderr}`, { cause: err });
  }
  return {
    name: 'standalone',
    baseline: false,
    url,
    description: 'node dist/standalone.js (API + worker, one process)',
    groups: async () => ({ api: [child.pid!] }),
    async stop() {
      await stopChild(child);
      children.delete(child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A bare server child (bench/baseline-server.ts). */
export async function startBaseline(kind: 'node' | 'restify', bodiesFile: string): Promise<RunningMode> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'baseline-server.ts'), kind, bodiesFile], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`baseline ${kind} exited (${code}): ${err}`)));
  });
  return {
    name: kind === 'node' ? 'baseline-node' : 'baseline-restify',
    baseline: true,
    url: `http://127.0.0.1:${port}`,
    description: kind === 'node' ? 'bare node:http server, same bodies' : 'bare Restify route, same bodies',
    groups: async () => ({ api: [child.pid!] }),
    async stop() {
      await stopChild(child);
      children.delete(child);
    },
  };
}

/** The real PM2 with the repository's ecosystem file in a private app directory and PM2_HOME. */
export class Pm2Deployment {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'volume-api-bench-pm2-'));
  port = 0;
  env: NodeJS.ProcessEnv = {};
  constructor(
    readonly instances: number,
    private readonly extraEnv: Record<string, string> = {},
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.port = await freePort();
    const eco = path.join(this.dir, 'ecosystem.config.js');
    fs.copyFileSync(path.join(ROOT, 'ecosystem.config.js'), eco);
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(this.dir, 'package.json'));
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(this.dir, 'node_modules'));
    fs.cpSync(path.join(ROOT, 'dist'), path.join(this.dir, 'dist'), { recursive: true });
    this.env = serviceEnv({
      PM2_HOME: path.join(this.dir, '.pm2'),
      VOLUME_API_PORT: String(this.port),
      VOLUME_API_DATA_DIR: path.join(this.dir, 'data'),
      VOLUME_API_LOG_DIR: path.join(this.dir, 'logs'),
      VOLUME_API_INSTANCES: String(this.instances),
      ...this.extraEnv,
    });
    await pm2(['start', eco, '--env', 'production'], this.env);
    const deadline = Date.now() + 60000;
    for (;;) {
      const procs = await jlist(this.env);
      if (procs.filter((p) => p.pm2_env.status === 'online').length >= this.instances + 1 && (await get(`${this.url}/healthcheck`)) === 200) return;
      if (Date.now() > deadline) throw new Error(`PM2 apps not online: ${JSON.stringify(procs.map((p) => [p.name, p.pm2_env.status]))}`);
      await sleep(200);
    }
  }

  async groups(): Promise<ProcessGroups> {
    const procs = await jlist(this.env);
    return {
      api: procs.filter((p) => p.name === 'volume-api').map((p) => p.pid),
      worker: procs.filter((p) => p.name === 'volume-worker').map((p) => p.pid),
      // The God daemon: it carries the cluster's IPC (stdout lines, metrics), on the same cores.
      pm2: [Number(fs.readFileSync(path.join(this.env.PM2_HOME!, 'pm2.pid'), 'utf8').trim())].filter((pid) => pid > 0),
    };
  }

  async stop(): Promise<void> {
    await pm2(['kill'], this.env).catch(() => undefined);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  mode(name: ModeName): RunningMode {
    return {
      name,
      baseline: false,
      url: this.url,
      description: `PM2 cluster, ${this.instances} API instance(s) + volume-worker (ecosystem.config.js)`,
      groups: () => this.groups(),
      // The deployment is shared with the proxy modes; the runner stops it.
      stop: async () => undefined,
    };
  }
}

export async function startProxy(kind: 'nginx' | 'apache', backend: Pm2Deployment, workers: number): Promise<RunningMode> {
  let proxy: NginxProxy | ApacheProxy;
  if (kind === 'nginx') proxy = await startNginxFor([backend.url], { serverName: 'localhost', workerProcesses: workers });
  else proxy = await startApacheProxy({ serverName: 'localhost', upstreams: [{ host: '127.0.0.1', port: backend.port }] });
  await waitHealthy(proxy.url);
  const dir = proxy.dir;
  return {
    name: kind,
    baseline: false,
    url: proxy.url,
    description: `${kind === 'nginx' ? 'Nginx' : 'Apache'} (generated vhost) in front of PM2 with ${backend.instances} instance(s)`,
    groups: async () => ({ ...(await backend.groups()), proxy: pidsMatching(dir) }),
    stop: () => proxy.stop(),
  };
}
