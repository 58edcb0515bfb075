/*
 * A private nginx for tests: its own prefix, main configuration (pid, error log, temp paths, `daemon
 * off`), logs and ports in a temporary directory, bound to 127.0.0.1 only, never the host's nginx.
 *
 *   const bin = nginxOrSkip(this);                                  // skips, or fails under CI=true
 *   const proxy = await startNginxFor([api.url], { serverName: 'volume.test' });
 *   await fetch(proxy.url + '/v3/...');  proxy.accessLog;  await proxy.stop();
 *
 * startNginxFor generates the vhost with the real generator (deploy/lib/nginx.ts); startNginxProxy
 * runs any vhost text (a function of the ports and log directory it is given).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadEcosystem } from '../../deploy/lib/ecosystem';
import { LAYOUTS } from '../../deploy/lib/layouts';
import { findNginx, generateNginx, nginxVersion, NGINX_ACCESS_LOG, NGINX_ERROR_LOG, privateMainConfig, supportsErrorLogFlag } from '../../deploy/lib/nginx';
import { defaultVhostOptions, parseHostPort, type VhostOptions } from '../../deploy/lib/webserver';
import { freePort } from './ports';

/** The nginx binary, or: under CI=true a thrown error (a missing nginx is a failure), else a skip. */
export function nginxOrSkip(ctx: Mocha.Context): string {
  const bin = findNginx();
  if (bin) return bin;
  if (process.env.CI === 'true') throw new Error('nginx is required under CI=true (install it, or set NGINX_BIN)');
  ctx.skip();
}

export { freePort } from './ports';

/** A self-signed certificate for `cn` (openssl req -x509), as files in `dir`. */
export function makeSelfSignedCert(dir: string, cn: string): { cert: string; key: string } {
  const cert = path.join(dir, 'tls-cert.pem');
  const key = path.join(dir, 'tls-key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-days', '1', '-keyout', key, '-out', cert], {
    stdio: 'pipe',
  });
  return { cert, key };
}

export interface ProxyContext {
  /** The instance's prefix directory (temporary). */
  dir: string;
  /** Where the vhost should write its logs. */
  logDir: string;
  /** Free ports on 127.0.0.1: the first is the one `url` points at. */
  ports: number[];
}

export interface NginxProxy {
  /** `http(s)://127.0.0.1:<port>`. */
  url: string;
  port: number;
  ports: number[];
  dir: string;
  logDir: string;
  /** The vhost text nginx runs. */
  vhost: string;
  /** The vhost's access log (generated vhosts: logDir/volume-api.access.log). */
  accessLog: string;
  /** The vhost's error log. */
  errorLog: string;
  /** nginx's main error log (start-up problems). */
  mainErrorLog: string;
  /** The access log's lines, JSON-parsed where they are JSON. */
  accessEntries(): Record<string, string>[];
  /** Waits until an access log line matches (nginx logs after the response is sent). */
  waitForAccess(match: (e: Record<string, string>) => boolean, timeoutMs?: number): Promise<Record<string, string>>;
  /** Stops nginx (SIGTERM, then SIGKILL) and removes the directory; safe to call twice. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Scheme of `url`; default https if the vhost listens with `ssl` on ports[0], else http. */
  scheme?: 'http' | 'https';
  /** How many free ports to reserve (default 1; 2 for TLS + its redirect server). */
  portCount?: number;
  /** Worker processes (default 1: passive health state is per worker, one keeps tests deterministic). */
  workerProcesses?: number;
  /** Keep the directory after stop() (debugging). */
  keepDir?: boolean;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function readIf(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

async function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Runs nginx on the vhost text (or the text made from the ports and log directory) under a throwaway
 * main configuration, in the foreground (`daemon off`), and waits until it accepts connections.
 */
export async function startNginxProxy(vhost: string | ((ctx: ProxyContext) => string), opts: StartOptions = {}): Promise<NginxProxy> {
  const bin = findNginx();
  if (!bin) throw new Error('nginx not found (install it, or set NGINX_BIN)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'volume-api-nginx-'));
  const logDir = path.join(dir, 'logs');
  fs.mkdirSync(logDir);
  let child: ChildProcess | undefined;
  let stopped = false;

  async function stop(): Promise<void> {
    if (stopped) return;
    stopped = true;
    const c = child;
    if (c && c.exitCode === null && c.signalCode === null) {
      const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (c) running.delete(c);
    if (!opts.keepDir) fs.rmSync(dir, { recursive: true, force: true });
  }

  try {
    const ports: number[] = [];
    for (let n = 0; n < (opts.portCount ?? 1); n++) {
      let p = await freePort();
      while (ports.includes(p)) p = await freePort();
      ports.push(p);
    }
    const text = typeof vhost === 'function' ? vhost({ dir, logDir, ports }) : vhost;
    let port = ports[0];
    if (typeof vhost === 'string') {
      // Text written by the caller: point url at its (first ssl, else first) 127.0.0.1 listen port.
      const listens = [...text.matchAll(/^\s*listen\s+127\.0\.0\.1:(\d+)(\s+ssl)?/gm)];
      const chosen = listens.find((m) => m[2]) ?? listens[0];
      if (!chosen) throw new Error('the vhost text has no `listen 127.0.0.1:PORT`');
      port = Number(chosen[1]);
    }
    const listensSsl = new RegExp(`^\\s*listen\\s+127\\.0\\.0\\.1:${port}\\s+ssl`, 'm').test(text);
    const scheme = opts.scheme ?? (listensSsl ? 'https' : 'http');

    const site = path.join(dir, 'volume-api.conf');
    fs.writeFileSync(site, text);
    const conf = path.join(dir, 'nginx.conf');
    // As root, nginx would hand its workers to the compiled-in user, which cannot enter this 0700
    // directory; the private instance keeps the current user (nginx ignores `user` otherwise).
    const user = process.getuid?.() === 0 ? 'root root' : undefined;
    fs.writeFileSync(conf, privateMainConfig(dir, site, { daemon: false, workerProcesses: opts.workerProcesses ?? 1, user }));
    const mainErrorLog = path.join(dir, 'error.log');
    const args = ['-c', conf, '-p', dir + path.sep];
    if (supportsErrorLogFlag(await nginxVersion(bin))) args.push('-e', mainErrorLog);

    const c = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    running.add(c);
    let output = '';
    c.stdout?.on('data', (d) => (output += d));
    c.stderr?.on('data', (d) => (output += d));
    const deadline = Date.now() + 10000;
    for (;;) {
      if (c.exitCode !== null || c.signalCode !== null) {
        throw new Error(`nginx exited (${c.exitCode ?? c.signalCode}): ${output}${readIf(mainErrorLog)}`);
      }
      if (await canConnect(port)) break;
      if (Date.now() > deadline) throw new Error(`nginx did not listen on 127.0.0.1:${port}: ${output}${readIf(mainErrorLog)}`);
      await new Promise((r) => setTimeout(r, 25));
    }

    const accessLog = path.join(logDir, NGINX_ACCESS_LOG);
    const accessEntries = (): Record<string, string>[] =>
      readIf(accessLog)
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          try {
            return JSON.parse(line) as Record<string, string>;
          } catch {
            return { raw: line };
          }
        });
    return {
      url: `${scheme}://127.0.0.1:${port}`,
      port,
      ports,
      dir,
      logDir,
      vhost: text,
      accessLog,
      errorLog: path.join(logDir, NGINX_ERROR_LOG),
      mainErrorLog,
      accessEntries,
      async waitForAccess(match, timeoutMs = 5000) {
        const until = Date.now() + timeoutMs;
        for (;;) {
          const found = accessEntries().find(match);
          if (found) return found;
          if (Date.now() > until) throw new Error(`no matching access log line in ${accessLog}:\n${readIf(accessLog)}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

export interface ProxyForOptions extends Partial<Omit<VhostOptions, 'tls' | 'listen' | 'upstreams' | 'logDir'>> {
  /** true: a self-signed certificate for serverName made here; or the files to use. */
  tls?: boolean | { cert: string; key: string };
  workerProcesses?: number;
  keepDir?: boolean;
}

/**
 * nginx in front of the given API URLs (`http://127.0.0.1:PORT`) with the generated vhost: listening on
 * 127.0.0.1 (with tls, HTTPS there and the redirect server on a second port), logs in its own dir.
 */
export async function startNginxFor(upstreamUrls: string[], o: ProxyForOptions = {}): Promise<NginxProxy> {
  const eco = loadEcosystem();
  const upstreams = upstreamUrls.map((u) => parseHostPort(new URL(u).host, 'upstream'));
  const { tls, workerProcesses, keepDir, ...partial } = o;
  return startNginxProxy(
    ({ dir, logDir, ports }) => {
      const files = tls === true ? makeSelfSignedCert(dir, partial.serverName ?? 'localhost') : tls || undefined;
      const opts = defaultVhostOptions(eco, LAYOUTS.debian, 'nginx', {
        ...partial,
        serverName: partial.serverName ?? 'localhost',
        listen: { host: '127.0.0.1', port: ports[0] },
        upstreams,
        tls: files,
        logDir,
      });
      return generateNginx(eco, opts, LAYOUTS.debian, { httpRedirectPort: ports[1] ?? 80 });
    },
    { portCount: tls ? 2 : 1, workerProcesses, keepDir },
  );
}
