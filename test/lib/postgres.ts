/*
 * A throwaway PostgreSQL 15 for tests (issue 8): one cluster per mocha run (started by the global
 * fixture, test/lib/fixtures.ts, and shared by every worker of `mocha --parallel`) or, without that
 * fixture, per mocha process, started on first use; and a fresh database per test server.
 *
 * The cluster lives in a temp dir owned by the `postgres` user (initdb refuses to run as root, so as root
 * we run the server binaries through runuser), listens only on 127.0.0.1 at a free port with its Unix
 * socket in the same dir, and trades durability for speed (fsync, synchronous_commit and
 * full_page_writes off: a crash loses a test database, nothing else; a test that crashes the server on
 * purpose keeps synchronous_commit on). It is stopped with `pg_ctl stop -m immediate` and its dir
 * removed in a root-level `after` hook, and again on process exit if that hook never ran (a crash,
 * Ctrl-C). Tests that stop the server or need TLS start a private cluster (`startCluster`) and stop it
 * in their own afterEach. Without the Debian `postgresql` package the PostgreSQL tests are skipped,
 * except under CI=true, where that is a failure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from './ports';

export const PG_BIN = process.env.VOLUME_API_TEST_PG_BIN || '/usr/lib/postgresql/15/bin';
const PG_USER = 'postgres';

export interface PgCluster {
  dir: string;
  port: number;
  /** With `tls`: the server's self-signed certificate, which is also the CA to trust. */
  caFile?: string;
  /** Superuser URL of database `db` (default `postgres`). */
  url(db?: string): string;
  /** Stops the server (tests that take the database away); `fast` cuts connections with 57P01. */
  stop(mode?: 'fast' | 'immediate'): void;
  /** Starts it again on the same port and dir. */
  start(): void;
}

export interface TestDatabase {
  url: string;
  name: string;
  /** Drops the database (any remaining connections are cut). */
  drop(): Promise<void>;
}

/** Why PostgreSQL tests cannot run here, or undefined when they can. */
export function postgresMissing(): string | undefined {
  if (!fs.existsSync(path.join(PG_BIN, 'initdb'))) return `no ${PG_BIN}/initdb (install the Debian package postgresql)`;
  if (isRoot() && spawnSync('id', ['-u', PG_USER]).status !== 0) return `no system user ${PG_USER}`;
  return undefined;
}

/** In a `before` hook: skips the suite when PostgreSQL is missing, or fails under CI=true. */
export function requirePostgres(ctx: Mocha.Context): void {
  const missing = postgresMissing();
  if (!missing) return;
  if (process.env.CI === 'true') throw new Error(`PostgreSQL is required under CI=true: ${missing}`);
  ctx.skip();
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Runs a PostgreSQL binary as the `postgres` user when we are root, else as ourselves. */
function runPg(bin: string, args: string[]): void {
  const file = path.join(PG_BIN, bin);
  const [cmd, argv] = isRoot() ? ['runuser', ['-u', PG_USER, '--', file, ...args]] : [file, args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', cwd: os.tmpdir() });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
}

let shared: Promise<PgCluster> | undefined;
let sharedDir: string | undefined;

/**
 * Set by the run's global fixture (test/lib/fixtures.ts) to `{"dir":..., "port":...}` of the cluster it
 * started once for the whole mocha run: every worker process of `mocha --parallel` then uses that one
 * cluster (a fresh database per test server, as before) instead of starting its own.
 */
export const SHARED_CLUSTER_ENV = 'VOLUME_API_TEST_PG_SHARED';

/** The run's cluster, started by another process (the global fixture): this process neither stops nor starts it. */
function externalCluster(): PgCluster | undefined {
  const spec = process.env[SHARED_CLUSTER_ENV];
  if (!spec) return undefined;
  const { dir, port } = JSON.parse(spec) as { dir: string; port: number };
  const notYours = (): never => {
    throw new Error('the shared PostgreSQL cluster of the run cannot be stopped or started by a test: use startCluster() for a private one');
  };
  return { dir, port, url: (db = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${db}`, stop: notYours, start: notYours };
}

/** The one cluster of this mocha process (or of the whole run, see SHARED_CLUSTER_ENV), started on first call. */
export function sharedCluster(): Promise<PgCluster> {
  const external = externalCluster();
  if (external) {
    shared ??= Promise.resolve(external);
    return shared;
  }
  shared ??= startCluster().then((c) => {
    sharedDir = c.dir;
    return c;
  });
  return shared;
}

export interface ClusterOptions {
  /** Keep synchronous_commit on, so a commit the client saw survives `stop('immediate')` (a crash). */
  durableCommits?: boolean;
  /** Serve TLS with a fresh self-signed certificate for 127.0.0.1 (its file: PgCluster.caFile). */
  tls?: boolean;
  /**
   * More addresses to listen on besides 127.0.0.1, each trusted for clients in its /24 (the multi-host
   * test's veth addresses, reachable from its network namespaces). They must exist before the start.
   */
  listenAlso?: string[];
}

/** Starts a new cluster (the shared one, or a private one for a test that stops its server). */
export async function startCluster(options: ClusterOptions = {}): Promise<PgCluster> {
  const missing = postgresMissing();
  if (missing) throw new Error(`cannot start PostgreSQL: ${missing}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'volume-api-pg-'));
  clusters.add(dir);
  stopOnSignals();
  const tlsOpts: string[] = [];
  if (options.tls) {
    const [cert, key] = [path.join(dir, 'server.crt'), path.join(dir, 'server.key')];
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      {
        stdio: 'ignore',
      },
    );
    fs.chmodSync(key, 0o600);
    tlsOpts.push('-c ssl=on', `-c ssl_cert_file=${cert}`, `-c ssl_key_file=${key}`);
  }
  if (isRoot()) execFileSync('chown', ['-R', `${PG_USER}:${PG_USER}`, dir]);
  fs.chmodSync(dir, 0o700);
  const data = path.join(dir, 'data');
  runPg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
  const listenAlso = options.listenAlso ?? [];
  // initdb's pg_hba.conf trusts loopback only; our own test networks are private and ours alone.
  for (const a of listenAlso) fs.appendFileSync(path.join(data, 'pg_hba.conf'), `host all all ${a.replace(/\.\d+$/, '.0')}/24 trust\n`);
  const start = (port: number) => {
    const opts = [
      `-p ${port}`,
      `-k ${dir}`,
      `-c listen_addresses=${['127.0.0.1', ...listenAlso].join(',')}`,
      '-c fsync=off',
      `-c synchronous_commit=${options.durableCommits ? 'on' : 'off'}`,
      '-c full_page_writes=off',
      '-c max_connections=300',
      '-c shared_buffers=32MB',
      ...tlsOpts,
    ].join(' ');
    runPg('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '30', '-o', opts, 'start']);
  };
  let port = 0;
  // A free port can be taken between our probe and the server's bind: try a few.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      start(port);
      break;
    } catch (err) {
      if (attempt >= 3) throw new Error(`${(err as Error).message}\n${readLog(dir)}`, { cause: err });
    }
  }
  return {
    dir,
    port,
    caFile: options.tls ? path.join(dir, 'server.crt') : undefined,
    url: (db = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${db}`,
    stop: (mode = 'fast') => runPg('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']),
    start: () => start(port),
  };
}

function readLog(dir: string): string {
  try {
    return fs.readFileSync(path.join(dir, 'server.log'), 'utf8').slice(-2000);
  } catch {
    return '';
  }
}

/** Stops a cluster at once (no checkpoint: the data is thrown away) and removes its dir. */
export function stopCluster(dir: string): void {
  if (!clusters.delete(dir)) return;
  const data = path.join(dir, 'data');
  if (fs.existsSync(path.join(data, 'postmaster.pid'))) {
    try {
      runPg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // Already stopped (a test stopped it): nothing to do.
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

const clusters = new Set<string>();

function stopAll(): void {
  for (const dir of [...clusters]) stopCluster(dir);
}

// Whatever happens to the tests, no server outlives this process: on exit, and on the signals whose
// default action would end the process without an 'exit' event (a CI timeout's SIGTERM, Ctrl-C).
process.on('exit', stopAll);
let signalsHooked = false;
function stopOnSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      stopAll();
      // Our listener is gone now: the signal's default action (or mocha's own handler) follows.
      process.kill(process.pid, signal);
    });
  }
}

if (typeof after === 'function') {
  // Root-level hook (this module is loaded while mocha reads the test files).
  after(function stopSharedPostgres() {
    if (sharedDir) stopCluster(sharedDir);
    shared = undefined;
    sharedDir = undefined;
  });
}

/** A new, empty database in `cluster` (default: the shared one). */
export async function createTestDatabase(cluster?: PgCluster): Promise<TestDatabase> {
  const c = cluster ?? (await sharedCluster());
  const name = `test_${randomBytes(6).toString('hex')}`;
  await adminQuery(c, `create database ${name}`);
  return {
    name,
    url: c.url(name),
    drop: async () => {
      // A private cluster that was stopped already took its databases along; the run's shared one is alive.
      if (!clusters.has(c.dir) && c.dir !== externalCluster()?.dir) return;
      await adminQuery(c, `drop database if exists ${name} with (force)`);
    },
  };
}

/** Runs one statement as the superuser in the `postgres` database. */
export async function adminQuery(cluster: PgCluster, text: string, db = 'postgres'): Promise<Array<Record<string, unknown>>> {
  const client = new Client({ connectionString: cluster.url(db) });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}
