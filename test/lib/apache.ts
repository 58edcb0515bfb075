/*
 * A private Apache for tests: the real apache2 (Debian) in the foreground with its own main
 * configuration (temporary ServerRoot, pid file, runtime dir and error log, LoadModule lines for the
 * proxy modules, deploy/lib/apache.ts privateMainConfig), listening on 127.0.0.1 on an ephemeral port,
 * with the generated vhost included. The installed /etc/apache2 is never read.
 *
 *   const proxy = await startApacheProxy({ upstreams: [{ host: '127.0.0.1', port: api.port }] });
 *   await fetch(`${proxy.url}/v3/...`);   // through Apache
 *   await proxy.stop();                    // in after/afterEach, also when the test failed
 *
 * The vhost is either generated here from options (listen and logDir are filled in), or given as a
 * function of the chosen port and directories, or as text that carries its own `Listen 127.0.0.1:PORT`.
 * Without apache2: suites call requireApache(this) in `before`, which skips, or fails under CI=true.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ACCESS_LOG_NAME, ERROR_LOG_NAME, apache, findApache, writePrivateConfig, type ApacheBinary } from '../../deploy/lib/apache';
import { loadEcosystem, type Ecosystem } from '../../deploy/lib/ecosystem';
import { LAYOUTS } from '../../deploy/lib/layouts';
import { defaultVhostOptions, type VhostOptions } from '../../deploy/lib/webserver';
import { freePort } from './ports';

export interface ApacheProxyContext {
  /** The port chosen for this Apache (127.0.0.1). */
  port: number;
  /** Private directory (ServerRoot); removed by stop(). */
  dir: string;
  /** Where the vhost's logs should go (exists). */
  logDir: string;
}

export type VhostSource = Partial<VhostOptions> | string | ((ctx: ApacheProxyContext) => string);

export interface ApacheProxyStartOptions {
  /** The ecosystem for generated vhosts; default: the repository's ecosystem.config.js. */
  ecosystem?: Ecosystem;
  /** Main LogLevel, e.g. 'warn proxy_hcheck:info'. */
  logLevel?: string;
  /** More Listen arguments for the main configuration (e.g. a second vhost on its own port). */
  extraListen?: string[];
  /** Keep the directory after stop() (debugging). Also when VOLUME_API_KEEP_TEST_DIRS=1. */
  keep?: boolean;
}

export interface ApacheProxy {
  /** `http://127.0.0.1:PORT` or `https://...` when the vhost has `SSLEngine on`. */
  url: string;
  port: number;
  dir: string;
  vhost: string;
  vhostPath: string;
  /** The vhost's access log (generated vhosts; for given text, wherever its CustomLog says). */
  accessLog: string;
  errorLog: string;
  /** The main configuration's error log (startup problems, health-check messages). */
  mainErrorLog: string;
  /** Lines of the access log so far. */
  accessLines(): string[];
  /** Apache's main error log plus what it printed. */
  diagnostics(): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  // Last resort when a suite dies without its after hook: the process group we created.
  for (const child of running) {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** The apache2 to run (with its modules directory), or undefined when it is not installed. */
export function apacheBinary(): ApacheBinary | undefined {
  const found = findApache(LAYOUTS.debian);
  return typeof found === 'string' ? undefined : found;
}

/**
 * For `before` hooks (`function () { requireApache(this); }`): skips the suite without apache2, or
 * fails it when CI=true, where Apache is part of the machine.
 */
export function requireApache(ctx: Mocha.Context): ApacheBinary {
  const found = findApache(LAYOUTS.debian);
  if (typeof found !== 'string') return found;
  if (process.env.CI === 'true') throw new Error(`Apache is required under CI=true: ${found}`);
  ctx.skip();
  throw new Error('unreachable');
}

export { freePort } from './ports';

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function readIfExists(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function vhostFor(source: VhostSource, ctx: ApacheProxyContext, eco: Ecosystem): string {
  if (typeof source === 'function') return source(ctx);
  if (typeof source === 'string') return source;
  const layout = LAYOUTS.debian;
  const opts = defaultVhostOptions(eco, layout, 'apache', { ...source, listen: { host: '127.0.0.1', port: ctx.port }, logDir: ctx.logDir });
  return apache.generate(eco, opts, layout);
}

/** Starts Apache with the vhost; resolves once it accepts connections. */
export async function startApacheProxy(source: VhostSource, o: ApacheProxyStartOptions = {}): Promise<ApacheProxy> {
  const found = apacheBinary();
  if (!found) throw new Error(`apache2 is not installed: ${findApache(LAYOUTS.debian)}`);
  const eco = o.ecosystem ?? loadEcosystem(undefined, {});
  let lastError = '';
  // A port picked by the kernel may be taken again before Apache binds it: try a few.
  for (let attempt = 0; attempt < 4; attempt++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'volume-api-apache-'));
    // Children run as nobody when we are root; they only inherit open files, but keep the tree readable.
    fs.chmodSync(dir, 0o755);
    const logDir = path.join(dir, 'logs');
    fs.mkdirSync(logDir);
    const port = typeof source === 'string' ? Number(/^\s*Listen\s+127\.0\.0\.1:(\d+)/m.exec(source)?.[1]) : await freePort();
    if (!port) throw new Error('startApacheProxy: vhost text must carry its own "Listen 127.0.0.1:PORT" (or pass options or a function)');
    const vhost = vhostFor(source, { port, dir, logDir }, eco);
    const vhostPath = path.join(dir, 'volume-api.conf');
    fs.writeFileSync(vhostPath, vhost);
    const conf = writePrivateConfig({ dir, modulesDir: found.modulesDir, includes: [vhostPath], listen: o.extraListen, logLevel: o.logLevel });
    const mainErrorLog = path.join(dir, 'error.log');
    const child = spawn(found.bin, ['-f', conf, '-DFOREGROUND'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LANG: 'C' } });
    running.add(child);
    let printed = '';
    child.stdout!.on('data', (d: Buffer) => (printed += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (printed += d.toString()));
    let exited = false;
    const exit = new Promise<void>((resolve) =>
      child.once('exit', () => {
        exited = true;
        running.delete(child);
        resolve();
      }),
    );
    const keep = o.keep || process.env.VOLUME_API_KEEP_TEST_DIRS === '1';
    const diagnostics = () => `${printed}${readIfExists(mainErrorLog)}`;
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        // gone
      }
    };
    const stop = async () => {
      if (!exited) {
        // SIGTERM: the parent stops its children and exits; the group kill is for a stuck one.
        try {
          child.kill('SIGTERM');
        } catch {
          // gone
        }
        const timer = setTimeout(() => killGroup('SIGKILL'), 5000);
        await exit;
        clearTimeout(timer);
      }
      killGroup('SIGKILL');
      if (!keep) fs.rmSync(dir, { recursive: true, force: true });
    };

    const deadline = Date.now() + 15000;
    let up = false;
    while (!exited && Date.now() < deadline) {
      if (await canConnect(port)) {
        up = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    if (up && !exited) {
      const accessLog = /^\s*CustomLog\s+"?([^"\s]+)/m.exec(vhost)?.[1] ?? path.join(logDir, ACCESS_LOG_NAME);
      const errorLog = /^\s*ErrorLog\s+"?([^"\s]+)/m.exec(vhost)?.[1] ?? path.join(logDir, ERROR_LOG_NAME);
      const tls = /^\s*SSLEngine\s+on\b/im.test(vhost);
      return {
        url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
        port,
        dir,
        vhost,
        vhostPath,
        accessLog,
        errorLog,
        mainErrorLog,
        accessLines: () => readIfExists(accessLog).split('\n').filter(Boolean),
        diagnostics,
        stop,
      };
    }
    lastError = diagnostics();
    await stop();
    // Only a lost race for the port is worth another try.
    if (typeof source === 'string' || !/Address already in use|could not bind/i.test(lastError)) break;
  }
  throw new Error(`Apache did not start:\n${lastError}`);
}
