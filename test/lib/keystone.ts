/*
 * A private, real Keystone for tests (issue 9): Debian's `keystone` WSGI app under uwsgi on 127.0.0.1
 * and a free port, with everything in a temporary directory: keystone.conf, a sqlite database in WAL
 * mode, fernet and credential keys, uwsgi's ini and log. No system service and no /etc file is used.
 *
 *   const ks = await startKeystone();              // once per test file, in before(); takes seconds
 *   const t = await ks.issueToken(ks.users.alphaMember);
 *   await ks.registerVolumeEndpoints(api.url);     // once our API's port is known
 *   await ks.stop();                               // in after(), also when tests failed
 *
 * Setup, from what we measured Keystone needs to be quick and reliable on these machines (docs/keystone.md):
 * - `password_hash_rounds = 4`: bcrypt at the default cost makes every token request ~200 ms.
 * - sqlite in WAL mode: otherwise concurrent writes (token issue + revocation) give "database is locked".
 * - uwsgi processes without threads (sqlite objects are per thread) and `lazy-apps`; and
 *   `add-header = Connection: close`, since uwsgi's http-socket does not do keep-alive and clients that
 *   reuse a connection would hit a closed one.
 * - Caches are per uwsgi process, so the ones whose staleness a test would see are off: tokens and
 *   revocation events (a token revoked through one process must fail validation in the other at once)
 *   and the catalog (endpoints registered after start).
 *
 * The slow part, `keystone-manage db_sync` + key setup + `bootstrap`, runs once per test process; each
 * instance starts from a copy of that state (so instances of one process share fernet keys and the
 * bootstrap admin), and then gets its own port, users and projects.
 *
 * Content, created through Keystone's REST API after `keystone-manage bootstrap`:
 * - project `service` with user `volume-api` (roles admin and service): the API's service user;
 * - projects `alpha` and `beta`, each with a member user; an admin user in `alpha` (role admin);
 * - region RegionOne; the identity endpoint from bootstrap; volume endpoints via registerVolumeEndpoints.
 *
 * Without the packages, `requireKeystone(this)` in a `before` hook skips the suite, or fails it under
 * CI=true.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports';

export const KEYSTONE_MANAGE = '/usr/bin/keystone-manage';
export const KEYSTONE_WSGI = '/usr/bin/keystone-wsgi-public';
export const UWSGI = '/usr/bin/uwsgi';
export const UWSGI_PYTHON3_PLUGIN = '/usr/lib/uwsgi/plugins/python3_plugin.so';

/** Debian packages per file this harness runs, for messages (and scripts/test-all.sh). */
const PACKAGE_OF: Record<string, string> = {
  [KEYSTONE_MANAGE]: 'keystone',
  [KEYSTONE_WSGI]: 'keystone',
  [UWSGI]: 'uwsgi-core',
  [UWSGI_PYTHON3_PLUGIN]: 'uwsgi-plugin-python3',
};

export const REGION = 'RegionOne';
const ADMIN_PASSWORD = 'admin-secret';
const USER_PASSWORD = 'user-secret';

export interface KeystoneUser {
  name: string;
  id: string;
  password: string;
  project: string;
  projectId: string;
}

export interface Token {
  token: string;
  userId: string;
  projectId: string;
  roles: string[];
  expiresAt: string;
}

export interface Keystone {
  /** `http://127.0.0.1:PORT` (Keystone's base URL; `/v3` below it). */
  url: string;
  port: number;
  dir: string;
  /** Milliseconds from spawning uwsgi (after bootstrap) to the first issued token. */
  startupMs: number;
  /**
   * Milliseconds to prepare the instance's state: keystone-manage db_sync, key setup and bootstrap for
   * the first instance of a test process, a copy of that state for the next ones.
   */
  bootstrapMs: number;
  projects: { service: string; alpha: string; beta: string };
  users: { service: KeystoneUser; alphaMember: KeystoneUser; betaMember: KeystoneUser; alphaAdmin: KeystoneUser };
  /** `keystone-manage bootstrap`'s admin (project admin): may create projects and users, as Tempest's admin must. */
  bootstrapAdmin: KeystoneUser;
  /** The volume API's `auth.keystone` settings for the service user. */
  serviceAuth(extra?: Record<string, unknown>): Record<string, unknown>;
  /** Password authentication, project scope: what cinderclient and Rally do. */
  issueToken(user: KeystoneUser): Promise<Token>;
  /** DELETE /v3/auth/tokens: revokes a token (as the token itself, which the default policy allows). */
  revokeToken(token: string): Promise<void>;
  /** Services `cinderv3` (block-storage) and `volumev3` with public/internal/admin `<apiUrl>/v3/%(project_id)s`. */
  registerVolumeEndpoints(apiUrl: string): Promise<void>;
  /** Any Keystone API call as the bootstrap admin. */
  adminRequest(method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** uwsgi's log (uwsgi messages, Keystone's log, one line per request). */
  log(): string;
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
  if (template && !templateShared) fs.rmSync(template, { recursive: true, force: true });
});

/** Files this harness needs that are missing, with their package. */
export function missingKeystonePackages(): string[] {
  const missing = Object.entries(PACKAGE_OF)
    .filter(([file]) => !fs.existsSync(file))
    .map(([, pkg]) => pkg);
  return [...new Set(missing)];
}

/** For `before` hooks: skips the suite without Keystone and uwsgi, or fails it when CI=true. */
export function requireKeystone(ctx: Mocha.Context): void {
  const missing = missingKeystonePackages();
  if (missing.length === 0) return;
  const msg = `Keystone tests need the Debian packages ${missing.join(' ')}`;
  if (process.env.CI === 'true') throw new Error(`${msg} (required under CI=true)`);
  ctx.skip();
}

export { freePort } from './ports';

function keystoneConf(dir: string, tokenCaching: boolean): string {
  return `[DEFAULT]
debug = false
use_stderr = true

[database]
connection = sqlite:///${path.join(dir, 'keystone.sqlite')}

[token]
provider = fernet
expiration = 3600
caching = ${tokenCaching}

[revoke]
caching = ${tokenCaching}

[catalog]
caching = false

[fernet_tokens]
key_repository = ${path.join(dir, 'fernet-keys')}

[fernet_receipts]
key_repository = ${path.join(dir, 'fernet-keys')}

[credential]
key_repository = ${path.join(dir, 'credential-keys')}

[identity]
password_hash_rounds = 4

[cache]
enabled = true
backend = dogpile.cache.memory
`;
}

function uwsgiIni(dir: string, port: number, processes: number): string {
  return `[uwsgi]
plugins = python3
master = true
die-on-term = true
http-socket = 127.0.0.1:${port}
wsgi-file = ${KEYSTONE_WSGI}
processes = ${processes}
threads = 1
lazy-apps = true
add-header = Connection: close
buffer-size = 65535
env = OS_KEYSTONE_CONFIG_DIR=${dir}
env = OS_KEYSTONE_CONFIG_FILES=keystone.conf
`;
}

function keystoneManage(conf: string, args: string[]): void {
  const r = spawnSync(KEYSTONE_MANAGE, ['--config-file', conf, ...args], { encoding: 'utf8', timeout: 120_000 });
  // keystone-manage prints harmless eventlet tracebacks at exit; only the status counts.
  if (r.status !== 0) throw new Error(`keystone-manage ${args[0]} failed (${r.status ?? r.signal}): ${r.stderr.slice(-2000)}`);
}

/** Switches the sqlite file to WAL before Keystone opens it (the mode is stored in the file). */
function enableWal(file: string): void {
  const r = spawnSync(
    'python3',
    ['-c', 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute("PRAGMA journal_mode=WAL").fetchone()[0]); c.close()', file],
    { encoding: 'utf8' },
  );
  if (r.status !== 0 || r.stdout.trim() !== 'wal') throw new Error(`cannot switch ${file} to WAL: ${r.stderr}${r.stdout}`);
}

async function waitForExitOrTimeout(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Identity URL given to `keystone-manage bootstrap`; each instance replaces it with its own. */
const BOOTSTRAP_URL = 'http://127.0.0.1:5000/v3/';

/** Directory of the bootstrapped state (database, keys) this process copies into each instance. */
let template: string | undefined;
/** True when `template` belongs to the whole run (the shared directory), not to this process. */
let templateShared = false;

/**
 * The run's shared directory (test/lib/fixtures.ts sets it for every process of a mocha run, also the
 * workers of `mocha --parallel`): the bootstrapped state is made there once for the run, by whichever
 * process needs it first, instead of once per process.
 */
export const SHARED_DIR_ENV = 'VOLUME_API_TEST_SHARED_DIR';

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The run's bootstrapped state in the shared directory: made by the first process to get here (a
 * lock directory, with the maker's pid, keeps the others waiting; a dead maker's lock is taken over).
 */
function sharedBootstrappedState(shared: string): string {
  const dest = path.join(shared, 'keystone-state');
  const lock = path.join(shared, 'keystone-state.lock');
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (fs.existsSync(path.join(dest, 'keystone.conf'))) return dest;
    try {
      fs.mkdirSync(lock);
    } catch {
      let owner = 0;
      try {
        owner = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
      } catch {
        // being written
      }
      if (owner && !processAlive(owner)) fs.rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for the shared Keystone state in ${dest} (lock ${lock})`);
      sleepSync(200);
      continue;
    }
    try {
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      if (fs.existsSync(path.join(dest, 'keystone.conf'))) return dest;
      const made = makeBootstrappedState();
      // Renamed into place whole, so a waiting process never copies a half-made state.
      fs.renameSync(made, dest);
      return dest;
    } finally {
      fs.rmSync(lock, { recursive: true, force: true });
    }
  }
}

/**
 * `keystone-manage db_sync` (most of the ~15 s), fernet and credential key setup and `bootstrap` (admin
 * user, roles admin/member/reader, RegionOne, identity endpoint), done once per mocha run (shared
 * directory, see SHARED_DIR_ENV) or else once per test process; instances start from a copy. A
 * process's own directory is removed when the process exits, the shared one by the run's fixture.
 */
function bootstrappedState(): string {
  if (template) return template;
  const shared = process.env[SHARED_DIR_ENV];
  if (shared && fs.existsSync(shared)) {
    template = sharedBootstrappedState(shared);
    templateShared = true;
    return template;
  }
  template = makeBootstrappedState();
  return template;
}

function makeBootstrappedState(): string {
  const shared = process.env[SHARED_DIR_ENV];
  const parent = shared && fs.existsSync(shared) ? shared : os.tmpdir();
  const dir = fs.mkdtempSync(path.join(parent, 'volume-api-keystone-state-'));
  try {
    const conf = path.join(dir, 'keystone.conf');
    fs.writeFileSync(conf, keystoneConf(dir, false));
    for (const d of ['fernet-keys', 'credential-keys']) fs.mkdirSync(path.join(dir, d), { mode: 0o700 });
    enableWal(path.join(dir, 'keystone.sqlite'));
    const user = os.userInfo();
    const group = spawnSync('id', ['-gn'], { encoding: 'utf8' }).stdout.trim() || String(user.gid);
    keystoneManage(conf, ['db_sync']);
    keystoneManage(conf, ['fernet_setup', '--keystone-user', user.username, '--keystone-group', group]);
    keystoneManage(conf, ['credential_setup', '--keystone-user', user.username, '--keystone-group', group]);
    keystoneManage(conf, [
      'bootstrap',
      '--bootstrap-password', ADMIN_PASSWORD,
      '--bootstrap-region-id', REGION,
      '--bootstrap-admin-url', BOOTSTRAP_URL,
      '--bootstrap-internal-url', BOOTSTRAP_URL,
      '--bootstrap-public-url', BOOTSTRAP_URL,
    ]); // prettier-ignore
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return dir;
}

export interface StartKeystoneOptions {
  /** uwsgi processes (1 thread each). Default 2. */
  processes?: number;
  /**
   * Keystone's own token-validation and revocation caches. Off by default: they are per uwsgi process,
   * so with more than one process a revoked token could still validate in another one. Benchmarks that
   * never revoke may turn them on (faster validations).
   */
  tokenCaching?: boolean;
  /** Keep the directory after stop() (debugging). Also when VOLUME_API_KEEP_TEST_DIRS=1. */
  keep?: boolean;
}

export async function startKeystone(opts: StartKeystoneOptions = {}): Promise<Keystone> {
  const missing = missingKeystonePackages();
  if (missing.length > 0) throw new Error(`Keystone tests need the Debian packages ${missing.join(' ')}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'volume-api-keystone-'));
  const keep = opts.keep || process.env.VOLUME_API_KEEP_TEST_DIRS === '1';
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const conf = path.join(dir, 'keystone.conf');
  const logFile = path.join(dir, 'uwsgi.log');
  let child: ChildProcess | undefined;
  const removeDir = () => {
    if (!keep) fs.rmSync(dir, { recursive: true, force: true });
  };

  async function stop(): Promise<void> {
    if (child) {
      const c = child;
      child = undefined;
      try {
        if (c.pid) process.kill(-c.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      if (!(await waitForExitOrTimeout(c, 5000))) {
        try {
          if (c.pid) process.kill(-c.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        await waitForExitOrTimeout(c, 5000);
      }
      running.delete(c);
    }
    removeDir();
  }

  try {
    const t0 = Date.now();
    const state = bootstrappedState();
    for (const f of fs.readdirSync(state)) {
      if (f === 'keystone.conf') continue;
      fs.cpSync(path.join(state, f), path.join(dir, f), { recursive: true });
    }
    for (const d of ['fernet-keys', 'credential-keys']) fs.chmodSync(path.join(dir, d), 0o700);
    fs.writeFileSync(conf, keystoneConf(dir, opts.tokenCaching ?? false));
    const bootstrapMs = Date.now() - t0;

    const ini = path.join(dir, 'uwsgi.ini');
    fs.writeFileSync(ini, uwsgiIni(dir, port, opts.processes ?? 2));
    const out = fs.openSync(logFile, 'a');
    const t1 = Date.now();
    child = spawn(UWSGI, ['--ini', ini], { detached: true, stdio: ['ignore', out, out], cwd: dir });
    fs.closeSync(out);
    running.add(child);
    const spawned = child;

    const adminUser: KeystoneUser = { name: 'admin', id: '', password: ADMIN_PASSWORD, project: 'admin', projectId: '' };
    // First token: Keystone is up once it answers 201 (the first request also loads the app).
    let adminToken = '';
    for (let i = 0; ; i++) {
      if (spawned.exitCode !== null) throw new Error(`uwsgi exited (${spawned.exitCode})`);
      try {
        adminToken = (await passwordToken(url, adminUser)).token;
        break;
      } catch (err) {
        if (Date.now() - t1 > 60_000) throw new Error(`Keystone did not answer within 60 s: ${(err as Error).message}`, { cause: err });
        await new Promise((r) => setTimeout(r, 100 + Math.min(i, 10) * 20));
      }
    }
    const startupMs = Date.now() - t1;

    async function adminRequest(method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: any }> {
      const res = await fetch(`${url}${urlPath}`, {
        method,
        headers: { 'X-Auth-Token': adminToken, Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    }
    async function create<T = { id: string }>(urlPath: string, key: string, body: Record<string, unknown>): Promise<T> {
      const r = await adminRequest('POST', urlPath, { [key]: body });
      if (r.status !== 201) throw new Error(`POST ${urlPath} answered ${r.status}: ${JSON.stringify(r.body)}`);
      return r.body[key] as T;
    }
    async function grant(projectId: string, userId: string, roleId: string): Promise<void> {
      const r = await adminRequest('PUT', `/v3/projects/${projectId}/users/${userId}/roles/${roleId}`);
      if (r.status !== 204) throw new Error(`role grant answered ${r.status}: ${JSON.stringify(r.body)}`);
    }

    // The bootstrap state was made before this port was known (bootstrappedState): fix the identity endpoints.
    for (const e of (await adminRequest('GET', '/v3/endpoints')).body.endpoints as { id: string; url: string }[]) {
      if (e.url === BOOTSTRAP_URL) await adminRequest('PATCH', `/v3/endpoints/${e.id}`, { endpoint: { url: `${url}/v3/` } });
    }

    const roles = (await adminRequest('GET', '/v3/roles')).body.roles as { id: string; name: string }[];
    const roleId = (name: string) => roles.find((r) => r.name === name)?.id;
    const serviceRole = roleId('service') ?? (await create('/v3/roles', 'role', { name: 'service' })).id;
    const adminRole = roleId('admin')!;
    const memberRole = roleId('member')!;

    const projects = {
      service: (await create('/v3/projects', 'project', { name: 'service', domain_id: 'default' })).id,
      alpha: (await create('/v3/projects', 'project', { name: 'alpha', domain_id: 'default' })).id,
      beta: (await create('/v3/projects', 'project', { name: 'beta', domain_id: 'default' })).id,
    };
    async function makeUser(name: string, project: keyof typeof projects, roleIds: string[]): Promise<KeystoneUser> {
      const u = await create('/v3/users', 'user', { name, password: USER_PASSWORD, domain_id: 'default', default_project_id: projects[project] });
      for (const r of roleIds) await grant(projects[project], u.id, r);
      return { name, id: u.id, password: USER_PASSWORD, project, projectId: projects[project] };
    }
    const users = {
      service: await makeUser('volume-api', 'service', [adminRole, serviceRole]),
      alphaMember: await makeUser('alice', 'alpha', [memberRole]),
      betaMember: await makeUser('bob', 'beta', [memberRole]),
      alphaAdmin: await makeUser('alpha-admin', 'alpha', [adminRole, memberRole]),
    };

    return {
      url,
      port,
      dir,
      startupMs,
      bootstrapMs,
      projects,
      users,
      bootstrapAdmin: adminUser,
      serviceAuth(extra = {}) {
        return { url, username: users.service.name, password: users.service.password, project_name: 'service', ...extra };
      },
      issueToken: (u) => passwordToken(url, u),
      async revokeToken(token) {
        const res = await fetch(`${url}/v3/auth/tokens`, { method: 'DELETE', headers: { 'X-Auth-Token': token, 'X-Subject-Token': token } });
        await res.arrayBuffer();
        if (res.status !== 204) throw new Error(`token revocation answered ${res.status}`);
      },
      async registerVolumeEndpoints(apiUrl) {
        const template = `${apiUrl.replace(/\/+$/, '')}/v3/%(project_id)s`;
        for (const [name, type] of [
          ['cinderv3', 'block-storage'],
          ['volumev3', 'volumev3'],
        ]) {
          const service = await create('/v3/services', 'service', { name, type, enabled: true });
          for (const iface of ['public', 'internal', 'admin']) {
            await create('/v3/endpoints', 'endpoint', { service_id: service.id, interface: iface, url: template, region_id: REGION, enabled: true });
          }
        }
      },
      adminRequest,
      log: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : ''),
      stop,
    };
  } catch (err) {
    const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-3000) : '';
    await stop();
    throw new Error(`cannot start Keystone: ${(err as Error).message}${log ? `\n--- uwsgi log ---\n${log}` : ''}`, { cause: err });
  }
}

/** POST /v3/auth/tokens with a password, scoped to the user's project. */
export async function passwordToken(url: string, u: KeystoneUser): Promise<Token> {
  const res = await fetch(`${url}/v3/auth/tokens?nocatalog`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: u.name, domain: { id: 'default' }, password: u.password } } },
        scope: { project: { name: u.project, domain: { id: 'default' } } },
      },
    }),
  });
  const text = await res.text();
  const token = res.headers.get('x-subject-token');
  if (res.status !== 201 || !token) throw new Error(`token for ${u.name} answered ${res.status}: ${text.slice(0, 300)}`);
  const t = JSON.parse(text).token;
  return { token, userId: t.user.id, projectId: t.project.id, roles: t.roles.map((r: { name: string }) => r.name), expiresAt: t.expires_at };
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * An HTTP proxy in front of Keystone that records each request the volume API makes, so tests observe
 * Keystone's side (how many validations, which service token) without reading our internals. `mode`
 * 'fail' answers 500 instead of forwarding (Keystone broken but reachable).
 */
export interface KeystoneProxy {
  url: string;
  seen: SeenRequest[];
  mode: 'forward' | 'fail' | 'hang';
  /** Validations (GET /v3/auth/tokens) seen so far, optionally of one subject token. */
  validations(subjectToken?: string): number;
  /** Token requests (POST /v3/auth/tokens) seen so far. */
  tokenRequests(): number;
  close(): Promise<void>;
}

/** A self-signed certificate for 127.0.0.1 (openssl), for an https proxy; `cert` doubles as the CA file. */
export function makeTestCertificate(dir: string): { key: string; cert: string } {
  const key = path.join(dir, 'keystone-key.pem');
  const cert = path.join(dir, 'keystone-cert.pem');
  const r = spawnSync(
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
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return { key, cert };
}

export async function startKeystoneProxy(targetUrl: string, opts: { tls?: { key: string; cert: string } } = {}): Promise<KeystoneProxy> {
  const target = new URL(targetUrl);
  const proxy: KeystoneProxy = {
    url: '',
    seen: [],
    mode: 'forward',
    validations: (subject) =>
      proxy.seen.filter((r) => r.method === 'GET' && r.url.startsWith('/v3/auth/tokens') && (subject === undefined || r.headers['x-subject-token'] === subject))
        .length,
    tokenRequests: () => proxy.seen.filter((r) => r.method === 'POST' && r.url.startsWith('/v3/auth/tokens')).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    proxy.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers } });
    if (proxy.mode === 'hang') return; // closed by close()
    if (proxy.mode === 'fail') {
      req.resume();
      res.writeHead(500, { 'Content-Type': 'application/json', Connection: 'close' });
      res.end('{"error": {"code": 500, "title": "Internal Server Error", "message": "broken on purpose"}}');
      return;
    }
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  };
  const server = opts.tls
    ? https.createServer({ key: fs.readFileSync(opts.tls.key), cert: fs.readFileSync(opts.tls.cert) }, handler)
    : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return proxy;
}
