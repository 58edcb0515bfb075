/*
 * Process lifecycle shared by the entry points: the start-up every process shares (`runMain`), listen
 * with the HTTP settings Python clients need, say "ready" to PM2 only once the port is bound and the
 * store is open, and stop gracefully.
 *
 * Start-up (issue 18): `--help` and `--version` answer and exit 0 before anything is read; then the
 * configuration, then the start-up checks (directories writable, port free, store reachable), each
 * failure one line naming the fix and exit code 2, before the worker or the listener starts.
 *
 * Graceful stop (what makes `pm2 reload` lose no request): on SIGINT/SIGTERM every response starts to
 * say `Connection: close`; after `drainDelayMs` the listener closes, idle keep-alive sockets are closed
 * every 100 ms, and whatever is still open after `forceAfterMs` is cut. Then the worker loop and the store
 * close and the process exits (an explicit exit: PM2's IPC channel would otherwise keep it alive).
 */
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { App } from './api/app';
import { buildServices, type Services } from './bootstrap';
import { censorDatabaseUrl, censoredConfig, ConfigError, databaseEngine, DEFAULT_CONFIG_FILE, envName, loadConfig, type Config } from './config';
import { VERSION } from './version';
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
    const failed = (err: NodeJS.ErrnoException) => reject(listenError(err, config));
    http.once('error', failed);
    app.server.listen(config.port, config.host, () => {
      http.off('error', failed);
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

// --- help, version and start-up checks (issue 18) ---

/** A start-up check that failed: its message is one line naming the fix; the process exits 2. */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** An entry point: its command name, what it is (for --help), and what it needs at start. */
export interface EntryPoint {
  name: 'volume-api' | 'volume-worker';
  /** The first lines of --help. */
  about: string;
  /** Binds config host:port. */
  listens: boolean;
  /** Runs the worker loop (writes backend.path and backup.path). */
  runsWorker: boolean;
}

export function entryHelp(entry: Pick<EntryPoint, 'name' | 'about'>): string {
  return `Usage: ${entry.name} [--config FILE]

${entry.about}

Options:
  --config FILE  configuration file (default: $VOLUME_API_CONFIG, else ${DEFAULT_CONFIG_FILE} when it exists)
  --help, -h     show this help and exit
  --version, -V  print the version and exit

Settings: defaults, then the configuration file, then VOLUME_API_* environment variables
(docs/configuration.md). \`volume-api-manage config show\` prints the effective settings and where
each came from. Exit codes: 0 stopped cleanly, 1 crashed, 2 configuration or start-up check failed.
`;
}

/** --help / --version: the text to print and exit 0 with; undefined to start. Unknown options: ConfigError. */
export function helpOrVersion(entry: Pick<EntryPoint, 'name' | 'about'>, argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') return entryHelp(entry);
    if (a === '--version' || a === '-V') return `${entry.name} ${VERSION}\n`;
    if (a === '--config') i++;
    else if (!a.startsWith('--config=')) throw new ConfigError(`unknown argument ${JSON.stringify(a)} (see ${entry.name} --help)`);
  }
  return undefined;
}

function whoAmI(): string {
  try {
    return os.userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

/** Creates `dir` if needed and writes a probe file in it. */
export function checkWritableDir(dir: string, key: readonly string[]): void {
  const probe = path.join(dir, `.write-check-${process.pid}`);
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(probe, '');
    fs.unlinkSync(probe);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new StartupError(
      `${key.join('.')} ${dir} is not writable (${e.code ?? e.message}): make it writable by user ${whoAmI()} (e.g. chown), or set ${key.join('.')} (env ${envName(key)})`,
    );
  }
}

function listenError(err: NodeJS.ErrnoException, config: Pick<Config, 'host' | 'port'>): Error {
  const where = `${config.host}:${config.port}`;
  if (err.code === 'EADDRINUSE') {
    return new StartupError(
      `port ${where} is in use (EADDRINUSE): stop the process holding it (ss -ltnp 'sport = :${config.port}') or set port (env VOLUME_API_PORT)`,
    );
  }
  if (err.code === 'EACCES')
    return new StartupError(`port ${where} needs privileges (EACCES): use a port above 1023 (env VOLUME_API_PORT) behind the web server`);
  if (err.code === 'EADDRNOTAVAIL') return new StartupError(`address ${config.host} is not on this host (EADDRNOTAVAIL): set host (env VOLUME_API_HOST)`);
  return err;
}

/** Binds and releases host:port (port 0 is always free). In a cluster worker the primary's shared handle counts as free. */
export async function checkPortFree(config: Pick<Config, 'host' | 'port'>): Promise<void> {
  if (config.port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err) => reject(listenError(err, config)));
    probe.listen(config.port, config.host, () => probe.close(() => resolve()));
  });
}

/** The checks before anything starts; throws StartupError. The store is checked by opening it (runMain). */
export async function startupChecks(entry: EntryPoint, config: Config): Promise<void> {
  checkWritableDir(config.data_dir, ['data_dir']);
  if (config.log_file) checkWritableDir(path.dirname(path.resolve(config.log_file)), ['log_file']);
  if (entry.runsWorker) {
    checkWritableDir(config.backend.path, ['backend', 'path']);
    if (config.backup.path) checkWritableDir(path.resolve(config.backup.path), ['backup', 'path']);
  }
  if (entry.listens) await checkPortFree(config);
}

/** The services with the store open; a store that cannot be opened is one StartupError line. */
async function openServices(config: Config, log: Logger): Promise<Services> {
  try {
    return await buildServices(config, log);
  } catch (err) {
    const fix =
      databaseEngine(config.database_url) === 'postgres'
        ? 'start the PostgreSQL server, or fix database_url (env VOLUME_API_DATABASE_URL)'
        : 'check that the file and its directory are writable by this user, or set database_url (env VOLUME_API_DATABASE_URL)';
    // The innermost cause says what happened (ECONNREFUSED, SQLITE_CANTOPEN), not the 503 wording.
    let cause = err as Error & { code?: unknown };
    while (cause.cause instanceof Error) cause = cause.cause as Error & { code?: unknown };
    const message = String(cause.message ?? cause).split('\n')[0];
    throw new StartupError(`cannot open the store ${censorDatabaseUrl(config.database_url)} (${message}): ${fix}`, { cause: err });
  }
}

/**
 * Runs an entry point: answers --help/--version; loads the configuration; runs the start-up checks; makes
 * the logger (log files reopened on SIGUSR2 and by the PM2 action `logs:reopen`) and the services, then
 * `start`, which returns how to stop what it started. Then says "ready"; on SIGINT/SIGTERM runs that stop
 * and closes the store. A configuration error or a failed start-up check exits 2 with its one-line
 * message; anything else that stops the start exits 1 with the stack.
 */
export function runMain(entry: EntryPoint, start: (started: Started) => Promise<() => Promise<void>>): void {
  const processName = entry.name;
  const main = async (): Promise<void> => {
    const argv = process.argv.slice(2);
    const text = helpOrVersion(entry, argv);
    if (text !== undefined) {
      process.stdout.write(text);
      return;
    }
    const config = loadConfig({ argv });
    // Before the first await (metrics.ts loadIo inits PM2's agent): registered after one, the agent's
    // own heap metrics showed in `pm2 jlist` again (test/functional/pm2.test.ts).
    registerPm2Action('logs:reopen', () => reopenLogFiles());
    // What this process runs with, for `npm run upgrade` to compare with the new settings.
    registerPm2Action('config:effective', () => censoredConfig(config));
    await startupChecks(entry, config);
    const log = processLogger(processName, config);
    reopenLogFilesOnSignal(log);
    const services = await openServices(config, log);
    const stop = await start({ config, log, services });
    if (processName === 'volume-api') warnIfNoauthIsReachable(config, log);
    signalReady();
    onStopSignal(log, async () => {
      await stop();
      await services.store.close();
    });
  };
  main().catch((err) => {
    if (err instanceof ConfigError || err instanceof StartupError) {
      process.stderr.write(`${processName}: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`${processName}: cannot start: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
