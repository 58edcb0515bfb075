/*
 * Process lifecycle shared by the entry points: the start-up every process shares (`runMain`), listen
 * with the HTTP settings Python clients need, say "ready" to PM2 only once the port is bound and the
 * store is open, and stop gracefully.
 *
 * Graceful stop (what makes `pm2 reload` lose no request): on SIGINT/SIGTERM every response starts to
 * say `Connection: close`; after `drainDelayMs` the listener closes, idle keep-alive sockets are closed
 * every 100 ms, and whatever is still open after `forceAfterMs` is cut. Then the worker loop and the store
 * close and the process exits (an explicit exit: PM2's IPC channel would otherwise keep it alive).
 */
import type { AddressInfo } from 'node:net';
import type { App } from './api/app';
import { buildServices, type Services } from './bootstrap';
import { ConfigError, loadConfig, type Config } from './config';
import { processLogger, reopenLogFiles, reopenLogFilesOnSignal, type Logger } from './log';
import { registerPm2Action } from './metrics';
import { guardHttpServer, type HttpGuardConfig } from './http-guards';

export async function listen(app: App, config: Pick<Config, 'host' | 'port' | 'keep_alive_timeout_ms'> & HttpGuardConfig): Promise<AddressInfo> {
  const http = app.server.server;
  // Keep idle connections longer than clients and proxies do, so the server never closes a socket a
  // client is about to reuse. Node 20 times idle keep-alive and a request's headers apart.
  http.keepAliveTimeout = config.keep_alive_timeout_ms;
  // Issue 19: slow and malformed requests, connections per client.
  guardHttpServer(http, config);
  // No Nagle: responses written in pieces must not wait for delayed ACKs.
  http.on('connection', (socket) => socket.setNoDelay(true));
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    app.server.listen(config.port, config.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  return http.address() as AddressInfo;
}

export interface StopOptions {
  drainDelayMs: number;
  forceAfterMs: number;
}

/** Stops accepting, lets in-flight requests finish, closes idle and then all sockets. */
export async function closeServer(app: App, opts: StopOptions): Promise<void> {
  app.setDraining(true);
  await new Promise((r) => setTimeout(r, opts.drainDelayMs));
  const http = app.server.server;
  await new Promise<void>((resolve) => {
    const idle = setInterval(() => http.closeIdleConnections(), 100);
    const force = setTimeout(() => http.closeAllConnections(), opts.forceAfterMs);
    http.close(() => {
      clearInterval(idle);
      clearTimeout(force);
      resolve();
    });
    http.closeIdleConnections();
  });
}

/** Runs `stop` once on SIGINT or SIGTERM, then exits. */
export function onStopSignal(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    stop()
      .then(() => {
        log.info('stopped');
        setTimeout(() => process.exit(0), 200).unref();
      })
      .catch((err) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      });
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/** Tells PM2 (wait_ready) that this process serves. */
export function signalReady(): void {
  if (typeof process.send === 'function') process.send('ready');
}

export function cinderCommandLine(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `cinder --os-auth-type noauth --os-endpoint http://${shown}:${port}/v3 --os-user-id admin --os-project-id admin list`;
}

// --- failure modes (issue 19) ---
/**
 * How long a stopping process lets its current operation finish before handing the lease back (the next
 * start, or another worker, resumes it): below the ecosystem's kill_timeout (10 s) for volume-worker,
 * and the same bound for standalone.
 */
export const STOP_GRACE_MS = 7000;

/** 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
export function isLoopback(host: string): boolean {
  return /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1' || host === 'localhost';
}

/** noauth makes every caller an admin of every project: say so when other machines can reach the port. */
function warnIfNoauthIsReachable(config: Config, log: Logger): void {
  if (config.auth.strategy !== 'noauth' || isLoopback(config.host)) return;
  log.warn(
    { host: config.host, auth: config.auth.strategy },
    `auth.strategy is noauth and the API listens on ${config.host}: anyone who can reach this port can read, change and delete every project's volumes. Use keystone, or listen on 127.0.0.1 behind a proxy that authenticates (docs/configuration.md, host).`,
  );
}

/** What an entry point starts from: the configuration, the process logger and the services (store open). */
export interface Started {
  config: Config;
  log: Logger;
  services: Services;
}

/**
 * Runs an entry point: loads the configuration, makes the logger (log files reopened on SIGUSR2 and by
 * the PM2 action `logs:reopen`) and the services, then `start`, which returns how to stop what it
 * started. Then says "ready"; on SIGINT/SIGTERM runs that stop and closes the store. A configuration
 * error exits 2 with its one-line message (the key, its variable and the value); anything else that
 * stops the start exits 1 with the stack.
 */
export function runMain(processName: 'volume-api' | 'volume-worker', start: (started: Started) => Promise<() => Promise<void>>): void {
  const main = async (): Promise<void> => {
    const config = loadConfig();
    const log = processLogger(processName, config);
    reopenLogFilesOnSignal(log);
    registerPm2Action('logs:reopen', () => reopenLogFiles());
    const services = await buildServices(config, log);
    const stop = await start({ config, log, services });
    if (processName === 'volume-api') warnIfNoauthIsReachable(config, log);
    signalReady();
    onStopSignal(log, async () => {
      await stop();
      await services.store.close();
    });
  };
  main().catch((err) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${processName}: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`${processName}: cannot start: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
