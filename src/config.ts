/*
 * Configuration: one typed module for every process (API, worker, standalone).
 *
 * Precedence: built-in defaults, then an optional JSON file (`--config FILE` or VOLUME_API_CONFIG),
 * then environment variables. Every leaf key has exactly one environment name: its dotted path
 * upper-cased and joined by `_` behind `VOLUME_API_` (`auth.strategy` -> VOLUME_API_AUTH_STRATEGY).
 * The merged object is validated against one TypeBox schema; a bad value stops the process with a
 * message naming the key and the value. Computed values (database URL, backend path) are filled in
 * after validation, in `computeDerived`, so there is one place that knows how they relate.
 *
 * The file is `--config FILE`, else VOLUME_API_CONFIG, else /etc/volume-api/volume-api.json when it exists
 * (issue 18). An environment variable named like a setting but matching none is an error, as an unknown
 * file key is, with the nearest name. With VOLUME_API_ENV_KEYS only the listed variables apply (the
 * ecosystem pins a config file so: docs/operations.md).
 *
 * Run `node dist/config.js [--config FILE]` to print the effective configuration; docs/configuration.md
 * is generated from ConfigSchema (`npm run docs:config`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Type, type Static, type TSchema, Kind } from '@sinclair/typebox';
import Ajv from 'ajv';

/** '@', '#', '/' and ',' separate the parts of host strings, owner ids and lists. */
const BACKEND_NAME_PATTERN = '^[^@#/,\\s]+$';

const QuotaLimit = (def: number, description: string) => Type.Integer({ minimum: -1, default: def, description });

export const ConfigSchema = Type.Object(
  {
    // Issue 19: no open-to-all default with noauth.
    host: Type.String({
      default: '',
      description:
        'Address the API listens on. Empty: `127.0.0.1` with `auth.strategy` `noauth` (every caller is an admin of every project, so only this machine may call), `0.0.0.0` with `keystone`. Set `0.0.0.0` (or an address) to open a noauth service to the network, behind a firewall or a proxy that authenticates; the service logs a warning then.',
    }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8776, description: 'TCP port the API listens on (0 picks a free port).' }),
    data_dir: Type.String({
      minLength: 1,
      default: './data',
      description: 'Directory for the SQLite database and the file backend (relative to the working directory).',
    }),
    database_url: Type.String({
      default: '',
      description:
        'Store location: `sqlite:PATH` (or a bare path), or `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (also `postgresql://`) for PostgreSQL, the store for more than one host (docs/scaling.md). Empty means `sqlite:<data_dir>/volume-api.sqlite`. The password is censored when the configuration is printed or logged.',
    }),
    // Issue 8: PostgreSQL connection settings; SQLite ignores them.
    database_pool_size: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 10,
      description: "PostgreSQL: most connections this process opens (per API process and per worker: size the server's `max_connections` for all of them).",
    }),
    database_statement_timeout_ms: Type.Integer({
      minimum: 0,
      default: 10000,
      description: 'PostgreSQL: the server cancels a statement that runs longer (the request gets 503). 0: no limit.',
    }),
    database_connect_timeout_ms: Type.Integer({
      minimum: 0,
      default: 5000,
      description: 'PostgreSQL: longest wait for a connection (opening one, or a free one from a full pool) before the request gets 503. 0: wait forever.',
    }),
    database_ssl_mode: Type.Union([Type.Literal('disable'), Type.Literal('require'), Type.Literal('verify-ca'), Type.Literal('verify-full')], {
      default: 'disable',
      description:
        "PostgreSQL: TLS to the server, as libpq's `sslmode`: `disable`; `require` (encrypted, certificate not checked); `verify-ca` (certificate signed by a trusted CA); `verify-full` (and its name matches the host). Put no `sslmode` in database_url.",
    }),
    database_ssl_ca_file: Type.String({
      default: '',
      description: "PostgreSQL: PEM file of the CA certificates that `verify-ca` and `verify-full` trust. Empty: the system's CAs.",
    }),
    log_level: Type.Union(
      ['trace', 'debug', 'info', 'warn', 'error', 'fatal'].map((l) => Type.Literal(l)),
      { default: 'info', description: 'Bunyan log level.' },
    ),
    log_file: Type.String({
      default: '',
      description:
        'Also write the JSON log to this file (appending; reopened on SIGUSR2 or the PM2 action `logs:reopen`, so rotation by renaming loses no line). Empty: stdout only.',
    }),
    log_stdout_level: Type.Union(
      ['', 'trace', 'debug', 'info', 'warn', 'error', 'fatal', 'off'].map((l) => Type.Literal(l)),
      {
        default: '',
        description:
          'Level of the records that also go to stdout: empty means `log_level`; `off` writes none. The ecosystem sets `warn` next to `log_file`: under PM2 every stdout line is an IPC message to the PM2 daemon (one per request for the audit line; docs/performance.md).',
      },
    ),
    public_endpoint: Type.String({
      default: '',
      description: 'Base URL clients use (e.g. `https://volume.example.com`); used in links and version documents. Empty: derived from the request.',
    }),
    trusted_proxies: Type.Array(Type.String(), {
      default: ['127.0.0.1', '::1'],
      description:
        'Peer addresses (the web server in front) whose `X-Forwarded-Proto`/`X-Forwarded-Host` headers are believed for links. Comma-separated in the environment.',
    }),
    storage_availability_zone: Type.String({ minLength: 1, default: 'nova', description: 'Availability zone of this service; the default for new volumes.' }),
    // Issue 15: services heartbeat into the store (src/worker/heartbeat.ts), as Cinder's report_interval and service_down_time.
    service_report_interval: Type.Integer({
      minimum: 1,
      default: 10,
      description:
        'Seconds between two heartbeats of each process into the services table (`GET /os-services`): workers as cinder-volume and cinder-backup, API processes as cinder-scheduler. Each heartbeat also publishes the backend capabilities and applies a log level set by `PUT /os-services/set-log`.',
    }),
    service_down_time: Type.Integer({
      minimum: 1,
      default: 60,
      description:
        'A service whose last heartbeat is older than this many seconds is `down`: new volumes are not scheduled to it, and `POST /workers/cleanup` requeues its operations. Keep it well above `service_report_interval`.',
    }),
    default_volume_type: Type.String({
      minLength: 1,
      default: '__DEFAULT__',
      description: 'Volume type (name) for volumes created without one and without a project default.',
    }),
    max_body_size: Type.Integer({ minimum: 1024, default: 114688, description: 'Largest request body in bytes; larger bodies get 413.' }),
    max_limit: Type.Integer({ minimum: 1, default: 1000, description: 'Largest page size for list requests (Cinder `osapi_max_limit`).' }),
    keep_alive_timeout_ms: Type.Integer({
      minimum: 1000,
      default: 75000,
      description: "Idle keep-alive timeout of client connections. Above Python clients' reuse window and proxies' idle timeouts.",
    }),
    // --- failure modes (issue 19) ---
    headers_timeout_ms: Type.Integer({
      minimum: 1000,
      default: 10000,
      description:
        'Time a client has to send the headers of a request; then it gets a 408 and the connection closes. Well under `keep_alive_timeout_ms` (idle connections between requests are timed by that one).',
    }),
    request_timeout_ms: Type.Integer({
      minimum: 1000,
      default: 30000,
      description: 'Time a client has to send a whole request (headers and body); then it gets a 408 and the connection closes.',
    }),
    sqlite_busy_timeout_ms: Type.Integer({
      minimum: 0,
      default: 10000,
      description:
        "SQLite: how long a write waits for another process's write lock. A transaction still locked out is run again twice, then the request gets a 503 (never a 500).",
    }),
    max_connections_per_client: Type.Integer({
      minimum: 0,
      default: 256,
      description:
        "Open connections one remote address may hold; requests on more get a 429 and the connection closes. 0: no cap. A proxy or balancer in front counts as one client: keep it above the proxy's connection pool.",
    }),
    auth: Type.Object(
      {
        strategy: Type.Union([Type.Literal('noauth'), Type.Literal('keystone')], {
          default: 'noauth',
          description:
            "Authentication strategy: `noauth` (Cinder's: token `user:project`, caller is admin) or `keystone` (tokens validated by Keystone v3; see docs/keystone.md).",
        }),
        // Issue 9. Only read with strategy `keystone`, which then requires url, username and password.
        keystone: Type.Object(
          {
            url: Type.String({
              default: '',
              description:
                'Keystone: base URL of the identity service (e.g. `http://controller:5000`; a trailing `/v3` is allowed). Also the `uri` of `WWW-Authenticate` on 401. Required with strategy `keystone`.',
            }),
            username: Type.String({
              default: '',
              description:
                "Keystone: the service user this API authenticates as to validate callers' tokens (needs role `service` or `admin`). Required with strategy `keystone`.",
            }),
            password: Type.String({
              default: '',
              description: "Keystone: the service user's password (censored when the configuration is printed). Required with strategy `keystone`.",
            }),
            project_name: Type.String({ minLength: 1, default: 'service', description: "Keystone: project the service user's token is scoped to." }),
            user_domain_name: Type.String({ minLength: 1, default: 'Default', description: 'Keystone: domain of the service user.' }),
            project_domain_name: Type.String({ minLength: 1, default: 'Default', description: 'Keystone: domain of `project_name`.' }),
            cache_ttl: Type.Integer({
              minimum: 0,
              default: 300,
              description:
                'Keystone: seconds a validated token is trusted before it is validated again (never past its `expires_at`). Bounds how long a revoked token keeps working. Per process. 0: validate every request.',
            }),
            timeout: Type.Number({
              exclusiveMinimum: 0,
              default: 5,
              description: 'Keystone: seconds to wait for one Keystone request (connect and answer) before the API answers 503.',
            }),
            ca_file: Type.String({ default: '', description: "Keystone: PEM file of CA certificates for an `https` url. Empty: the system's CAs." }),
          },
          { default: {} },
        ),
      },
      { default: {} },
    ),
    backend: Type.Object(
      {
        name: Type.Union([Type.Literal('file')], { default: 'file', description: 'Backend driver.' }),
        path: Type.String({ default: '', description: 'File backend: directory holding one sparse file per volume. Empty means `<data_dir>/volumes`.' }),
      },
      { default: {} },
    ),
    // Issue 16: several backends per worker host, as Cinder's enabled_backends (src/worker/backends/index.ts).
    enabled_backends: Type.Array(Type.String({ pattern: BACKEND_NAME_PATTERN }), {
      default: [],
      description:
        "Cinder's `enabled_backends`: the names of the file backends this host runs, e.g. `file-1,file-2`; each is its own pool (`host@file-1#file-1`) with its own directory (`backends.<name>.path`, default `<data_dir>/backends/<name>`). Empty: one backend, `backend.path`, named `worker.backend_name` or `backend.name`.",
    }),
    backends: Type.Record(
      Type.String({ pattern: BACKEND_NAME_PATTERN }),
      Type.Object(
        {
          path: Type.String({ default: '', description: 'Directory of this backend. Empty: `<data_dir>/backends/<name>`.' }),
          capacity_gb: Type.Integer({
            minimum: 0,
            default: 0,
            description: 'Largest total size of the volumes and snapshots this backend holds, in GB. 0: what its filesystem holds.',
          }),
        },
        { additionalProperties: false },
      ),
      {
        default: {},
        description:
          'Settings of each backend by name (config file, or the environment as JSON): `{"file-2": {"path": "/srv/fast", "capacity_gb": 500}}`. Names must be in `enabled_backends` (or be the one default backend).',
      },
    ),
    backup: Type.Object(
      {
        path: Type.String({
          default: '',
          description: 'Backup driver: directory holding one folder per backup (chunks and a metadata file). Empty means `<data_dir>/backups`.',
        }),
        compression: Type.Union([Type.Literal('zlib'), Type.Literal('none')], { default: 'zlib', description: 'Compression of stored backup chunks.' }),
        chunk_size_mb: Type.Integer({
          minimum: 1,
          maximum: 1024,
          default: 32,
          description: 'Backups cut volumes into chunks of this many MiB; all-zero chunks are not stored, and incremental backups store only changed chunks.',
        }),
      },
      { default: {} },
    ),
    quota: Type.Object(
      {
        volumes: QuotaLimit(10, 'Default quota: number of volumes per project (-1: unlimited).'),
        snapshots: QuotaLimit(10, 'Default quota: number of snapshots per project.'),
        gigabytes: QuotaLimit(1000, 'Default quota: GB of volumes and snapshots per project.'),
        backups: QuotaLimit(10, 'Default quota: number of backups per project.'),
        backup_gigabytes: QuotaLimit(1000, 'Default quota: GB of backups per project.'),
        groups: QuotaLimit(10, 'Default quota: number of groups per project.'),
        per_volume_gigabytes: QuotaLimit(-1, 'Default quota: largest single volume in GB.'),
      },
      { default: {} },
    ),
    // --- operator console and quarantine (issue 18) ---
    log_format: Type.Union([Type.Literal('auto'), Type.Literal('json'), Type.Literal('text')], {
      default: 'auto',
      description:
        'Format of the log on stdout: `text` (one human-readable line per record), `json` (Bunyan JSON, for `bunyan`, journald and log shippers), `auto` (text on a terminal, JSON otherwise). The `log_file` is always JSON.',
    }),
    worker: Type.Object(
      {
        quarantine_max_age_days: Type.Integer({
          minimum: 0,
          default: 7,
          description:
            "The worker deletes files in the file backend's quarantine (`<backend.path>/quarantine`: files without a volume row found at start, crash leftovers) once they are this many days old, at start and daily. 0: keep them until `volume-api-manage quarantine purge`.",
        }),
        poll_interval_ms: Type.Integer({
          minimum: 10,
          default: 2000,
          description: 'Fallback poll interval of the volume worker (new operations wake it at once).',
        }),
        lease_seconds: Type.Integer({
          minimum: 1,
          default: 30,
          description: 'Lease a worker holds on a claimed operation; an expired lease lets another worker resume it.',
        }),
        max_attempts: Type.Integer({ minimum: 1, default: 3, description: 'Attempts before an operation is failed and its volume set to an error status.' }),
        // --- failure modes (issue 19) ---
        max_interruptions: Type.Integer({
          minimum: 1,
          default: 5,
          description:
            'Runs of one operation that may end with the worker process dead under it (a crash, a kill) before the operation is failed; such runs are not counted in `max_attempts`.',
        }),
        host: Type.String({
          default: '',
          // '@', '#' and '/' separate the parts of host strings and owner ids.
          pattern: '^[^@#/\\s]*$',
          description:
            "Name of this worker host, the first part of the `host@backend#pool` string recorded on each volume it places (`os-vol-host-attr:host`). Operations on a volume run only on the worker with that host string. Empty: the machine's host name. Give each storage host its own, and keep it when a host is rebuilt.",
        }),
        backend_name: Type.String({
          default: '',
          // '@', '#' and '/' separate the parts of host strings and owner ids.
          pattern: '^[^@#/\\s]*$',
          description:
            "Backend name in this worker's host string (`host@backend_name#backend_name`); a volume type whose `volume_backend_name` extra spec is set is created only by workers with that name. Empty: `backend.name`.",
        }),
        cluster: Type.String({
          default: '',
          pattern: '^[^@#/\\s]*$',
          description:
            "Cinder's `cluster`: workers with the same value form the cluster `<cluster>@<backend_name>` (`GET /clusters`, 3.7); disabling it stops new volumes for all of them. Empty: no cluster.",
        }),
        test_delay_ms: Type.Integer({
          minimum: 0,
          default: 0,
          description:
            "Testing aid: after each operation's storage work, wait this long before recording the result (widens the window in which tests kill a worker). Never set in production.",
        }),
      },
      { default: {} },
    ),
    // --- health and metrics (issue 18) ---
    healthcheck: Type.Object(
      {
        backend_min_free_gb: Type.Number({
          minimum: 0,
          default: 1,
          description:
            '`/healthcheck` answers 503 when the file backend directory (`backend.path`, where it exists on this host) has less free space than this many GiB. 0: not checked.',
        }),
        max_queued_age_seconds: Type.Integer({
          minimum: 0,
          default: 600,
          description:
            '`/healthcheck` answers 503 when the oldest queued (not yet claimed) operation is older than this many seconds: no worker takes work. 0: not checked.',
        }),
      },
      { default: {} },
    ),
    metrics: Type.Object(
      {
        local_port: Type.Integer({
          minimum: 0,
          maximum: 65435,
          default: 9176,
          description:
            'Under PM2 only: the worker serves its Prometheus metrics on `127.0.0.1:<local_port>` and API instance N (`NODE_APP_INSTANCE`) on `<local_port + 1 + N>`; `GET /metrics` on the API port merges them all, so one scrape sees the whole host (docs/operations.md). 0: no local ports (each scrape then sees only the instance that answers it).',
        }),
      },
      { default: {} },
    ),
  },
  { additionalProperties: false },
);

export type FileConfig = Static<typeof ConfigSchema>;

/** The effective configuration, with derived values resolved to absolute paths. */
export interface Config extends FileConfig {
  /** Absolute data directory. */
  readonly data_dir: string;
  /** Resolved database URL (never empty). */
  readonly database_url: string;
  readonly backend: FileConfig['backend'] & { readonly path: string };
  /** The backends this host runs, resolved (one when `enabled_backends` is empty). */
  readonly volume_backends: readonly VolumeBackendConfig[];
}

/** One backend this host runs: its name (the pool and the backend part of `host@backend#pool`), driver and directory. */
export interface VolumeBackendConfig {
  readonly name: string;
  readonly driver: FileConfig['backend']['name'];
  /** Absolute directory. */
  readonly path: string;
  /** Most GB it holds (0: its filesystem's size). */
  readonly capacity_gb: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const ENV_PREFIX = 'VOLUME_API_';

interface Leaf {
  path: string[];
  schema: TSchema;
}

function leaves(schema: TSchema, prefix: string[] = []): Leaf[] {
  if (schema[Kind] === 'Object') {
    return Object.entries(schema.properties as Record<string, TSchema>).flatMap(([k, s]) => leaves(s, [...prefix, k]));
  }
  return [{ path: prefix, schema }];
}

/** Every configurable key with its schema: the source of docs/configuration.md and of env names. */
export const CONFIG_KEYS: readonly Leaf[] = leaves(ConfigSchema);

export function envName(keyPath: readonly string[]): string {
  return ENV_PREFIX + keyPath.join('_').toUpperCase();
}

function setPath(target: Record<string, unknown>, keyPath: string[], value: unknown): void {
  let node = target;
  for (const k of keyPath.slice(0, -1)) {
    if (typeof node[k] !== 'object' || node[k] === null) node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  node[keyPath[keyPath.length - 1]] = value;
}

function getPath(source: unknown, keyPath: readonly string[]): unknown {
  let node = source;
  for (const k of keyPath) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[k];
  }
  return node;
}

// --- pinned configuration, environment names checked (issue 18) ---

/** The configuration file of a host set up by `volume-api-deploy host-setup`, read when it exists. */
export const DEFAULT_CONFIG_FILE = '/etc/volume-api/volume-api.json';

/**
 * `VOLUME_API_*` variables that are not settings: the config file, the ecosystem's own knobs (PM2
 * instances and memory, the log directory and rotation) and the test harness's (`VOLUME_API_TEST_*`).
 * Any other name that no setting has is a typo, refused like an unknown file key.
 */
export const OTHER_ENV_NAMES: ReadonlySet<string> = new Set([
  'VOLUME_API_CONFIG',
  'VOLUME_API_ENV_KEYS',
  'VOLUME_API_INSTANCES',
  'VOLUME_API_LOG_DIR',
  'VOLUME_API_MAX_MEMORY',
  'VOLUME_API_WORKER_MAX_MEMORY',
  'VOLUME_API_LOG_MAX_SIZE',
  'VOLUME_API_LOG_RETAIN',
  'VOLUME_API_KEEP_TEST_DIRS',
  'VOLUME_API_UPDATE_SCHEMA_SNAPSHOT',
]);
const OTHER_ENV_PREFIX = 'VOLUME_API_TEST_';

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

/** ` (did you mean X?)` for the closest known name within a few edits, else ''. */
export function didYouMean(name: string, known: Iterable<string>): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(name.toUpperCase(), k.toUpperCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 4)) ? ` (did you mean ${best}?)` : '';
}

/**
 * The environment variables that apply. With VOLUME_API_ENV_KEYS (a comma-separated list of names, which
 * the ecosystem sets next to a pinned config file) only those do, and every other VOLUME_API_* variable
 * is ignored: `pm2 reload` hands the apps the environment of the shell it runs from.
 */
function applicableEnv(env: NodeJS.ProcessEnv): [string, string][] {
  const allowed = env.VOLUME_API_ENV_KEYS === undefined ? undefined : new Set(env.VOLUME_API_ENV_KEYS.split(',').map((s) => s.trim()));
  return Object.entries(env).filter(
    (e): e is [string, string] =>
      e[0].startsWith(ENV_PREFIX) && e[1] !== undefined && !OTHER_ENV_NAMES.has(e[0]) && !e[0].startsWith(OTHER_ENV_PREFIX) && (!allowed || allowed.has(e[0])),
  );
}

/** Environment values are text; arrays are comma-separated. Numbers are coerced by Ajv. */
function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const byName = new Map(CONFIG_KEYS.map((leaf) => [envName(leaf.path), leaf]));
  const out: Record<string, unknown> = {};
  const unknown: string[] = [];
  for (const [name, raw] of applicableEnv(env)) {
    const leaf = byName.get(name);
    if (!leaf) {
      unknown.push(`unknown environment variable ${name}${didYouMean(name, byName.keys())}`);
      continue;
    }
    const value =
      leaf.schema[Kind] === 'Record'
        ? parseJsonEnv(leaf.path, raw)
        : leaf.schema[Kind] === 'Array'
          ? raw
              .split(',')
              .map((s) => s.trim())
              .filter((s) => s.length > 0)
          : raw;
    setPath(out, leaf.path, value);
  }
  if (unknown.length > 0) throw new ConfigError(`invalid configuration: ${unknown.join('; ')}`);
  return out;
}

/** A map-valued key given in the environment: JSON, e.g. VOLUME_API_BACKENDS='{"file-2":{"capacity_gb":5}}'. */
function parseJsonEnv(keyPath: string[], raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new ConfigError(`invalid configuration: ${keyPath.join('.')} (env ${envName(keyPath)}) is not valid JSON: ${(err as Error).message}`);
  }
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)) {
      out[k] = deepMerge(b as Record<string, unknown>, v as Record<string, unknown>);
    } else {
      out[k] = v;
    }
  }
  return out;
}

const ajv = new Ajv({ useDefaults: true, coerceTypes: true, allErrors: true, strict: false });
const validateConfig = ajv.compile(ConfigSchema);

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file} must hold a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * The configuration file: `--config FILE` / `--config=FILE` in argv, else VOLUME_API_CONFIG, else
 * DEFAULT_CONFIG_FILE when it exists. `VOLUME_API_CONFIG=` (empty) reads no file at all.
 */
export function configFileFrom(argv: readonly string[], env: NodeJS.ProcessEnv, defaultFile: string | null = DEFAULT_CONFIG_FILE): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--config') {
      if (!argv[i + 1]) throw new ConfigError('--config needs a file name');
      return argv[i + 1];
    }
    if (argv[i].startsWith('--config=')) return argv[i].slice('--config='.length);
  }
  if (env.VOLUME_API_CONFIG !== undefined) return env.VOLUME_API_CONFIG || undefined;
  return defaultFile !== null && fs.existsSync(defaultFile) ? defaultFile : undefined;
}

/** Keys that have a default of '' in the schema but are required by the chosen auth strategy. */
function requireStrategyKeys(cfg: FileConfig): void {
  if (cfg.auth.strategy !== 'keystone') return;
  const missing = (['url', 'username', 'password'] as const).filter((k) => cfg.auth.keystone[k] === '');
  if (missing.length > 0) {
    const names = missing.map((k) => `auth.keystone.${k} (env ${envName(['auth', 'keystone', k])})`);
    throw new ConfigError(`invalid configuration: auth.strategy is "keystone" but ${names.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not set`);
  }
  if (!/^https?:\/\/[^/]/.test(cfg.auth.keystone.url)) {
    throw new ConfigError(
      `invalid configuration: auth.keystone.url (env VOLUME_API_AUTH_KEYSTONE_URL) = ${JSON.stringify(cfg.auth.keystone.url)}: must be an http or https URL`,
    );
  }
}

function computeDerived(cfg: FileConfig, cwd: string): Config {
  const dataDir = path.resolve(cwd, cfg.data_dir);
  let databaseUrl = cfg.database_url;
  if (!databaseUrl) databaseUrl = `sqlite:${path.join(dataDir, 'volume-api.sqlite')}`;
  const backendPath = cfg.backend.path ? path.resolve(cwd, cfg.backend.path) : path.join(dataDir, 'volumes');
  return {
    ...cfg,
    host: cfg.host || (cfg.auth.strategy === 'noauth' ? '127.0.0.1' : '0.0.0.0'),
    data_dir: dataDir,
    database_url: databaseUrl,
    public_endpoint: cfg.public_endpoint.replace(/\/+$/, ''),
    backend: { ...cfg.backend, path: backendPath },
    volume_backends: resolveBackends(cfg, cwd, dataDir, backendPath),
  };
}

/** The backends this host runs: `enabled_backends` with their settings, else the one default backend. */
function resolveBackends(cfg: FileConfig, cwd: string, dataDir: string, defaultPath: string): VolumeBackendConfig[] {
  const settings = (name: string) => cfg.backends[name] ?? { path: '', capacity_gb: 0 };
  if (cfg.enabled_backends.length === 0) {
    const name = cfg.worker.backend_name || cfg.backend.name;
    const unknown = Object.keys(cfg.backends).filter((n) => n !== name);
    if (unknown.length > 0)
      throw new ConfigError(`invalid configuration: backends.${unknown[0]} names no backend of this host (set enabled_backends, or use "${name}")`);
    const own = settings(name);
    return [{ name, driver: cfg.backend.name, path: own.path ? path.resolve(cwd, own.path) : defaultPath, capacity_gb: own.capacity_gb }];
  }
  if (cfg.worker.backend_name) {
    throw new ConfigError(
      'invalid configuration: worker.backend_name (env VOLUME_API_WORKER_BACKEND_NAME) and enabled_backends are both set: name the backends in enabled_backends only',
    );
  }
  const seen = new Set<string>();
  for (const name of cfg.enabled_backends) {
    if (seen.has(name)) throw new ConfigError(`invalid configuration: enabled_backends (env VOLUME_API_ENABLED_BACKENDS) names ${name} twice`);
    seen.add(name);
  }
  const unknown = Object.keys(cfg.backends).filter((n) => !seen.has(n));
  if (unknown.length > 0) throw new ConfigError(`invalid configuration: backends.${unknown[0]} is not in enabled_backends (${cfg.enabled_backends.join(',')})`);
  const dirs = new Map<string, string>();
  return cfg.enabled_backends.map((name) => {
    const own = settings(name);
    const dir = own.path ? path.resolve(cwd, own.path) : path.join(dataDir, 'backends', name);
    const other = dirs.get(dir);
    if (other) throw new ConfigError(`invalid configuration: backends ${other} and ${name} share the directory ${dir}`);
    dirs.set(dir, name);
    return { name, driver: cfg.backend.name, path: dir, capacity_gb: own.capacity_gb };
  });
}

export interface LoadOptions {
  argv?: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Values that win over everything (tests). */
  overrides?: Record<string, unknown>;
  /** The file read when neither --config nor VOLUME_API_CONFIG names one (null: none). */
  defaultFile?: string | null;
}

/** Where a setting's value came from (`volume-api-manage config show`). */
export type ConfigSource = 'default' | 'file' | 'env' | 'override';

export interface LoadedConfig {
  config: Config;
  /** The configuration file read, if any (absolute). */
  file?: string;
  /** Each key (dotted path) and where its value came from. */
  sources: Record<string, ConfigSource>;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  return loadConfigWithSources(opts).config;
}

export function loadConfigWithSources(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const argv = opts.argv ?? process.argv.slice(2);
  const cwd = opts.cwd ?? process.cwd();
  const file = configFileFrom(argv, env, opts.defaultFile);
  const layers: [ConfigSource, Record<string, unknown>][] = [];
  if (file) layers.push(['file', readConfigFile(path.resolve(cwd, file))]);
  layers.push(['env', fromEnv(env)]);
  if (opts.overrides) layers.push(['override', opts.overrides]);
  let merged: Record<string, unknown> = {};
  for (const [, layer] of layers) merged = deepMerge(merged, layer);
  if (!validateConfig(merged)) {
    const problems = (validateConfig.errors ?? []).map((e) => {
      if (e.keyword === 'additionalProperties') {
        const key = [...e.instancePath.split('/').filter(Boolean), String(e.params.additionalProperty)].join('.');
        return `unknown key ${key}${didYouMean(
          key,
          CONFIG_KEYS.map((l) => l.path.join('.')),
        )}`;
      }
      const keyPath = e.instancePath.split('/').filter(Boolean);
      const key = keyPath.join('.');
      const leaf = CONFIG_KEYS.find((l) => l.path.join('.') === key);
      const value = getPath(merged, keyPath);
      const where = leaf ? ` (env ${envName(leaf.path)})` : '';
      return `${key}${where} = ${JSON.stringify(value)}: ${e.message}`;
    });
    // A union of literals reports one error per member; say each key once.
    throw new ConfigError(`invalid configuration: ${[...new Set(problems)].join('; ')}`);
  }
  requireStrategyKeys(merged as FileConfig);
  const sources: Record<string, ConfigSource> = {};
  for (const leaf of CONFIG_KEYS) {
    const from = layers.filter(([, layer]) => getPath(layer, leaf.path) !== undefined).pop();
    sources[leaf.path.join('.')] = from ? from[0] : 'default';
  }
  return { config: computeDerived(merged as FileConfig, cwd), file: file && path.resolve(cwd, file), sources };
}

/** The configuration as it may be printed or logged: passwords replaced by `***`. */
export function censoredConfig(config: Config): Config {
  return {
    ...config,
    database_url: censorDatabaseUrl(config.database_url),
    auth: { ...config.auth, keystone: { ...config.auth.keystone, password: config.auth.keystone.password ? '***' : '' } },
  };
}

/** This machine's name in the services table and in host strings: config worker.host, else the host name. */
export function serviceHostName(config: Pick<Config, 'worker'>): string {
  return config.worker.host || os.hostname();
}

/** The engine a database URL selects: `postgres://` and `postgresql://` are PostgreSQL, the rest SQLite. */
export function databaseEngine(databaseUrl: string): 'sqlite' | 'postgres' {
  return /^postgres(?:ql)?:\/\//i.test(databaseUrl) ? 'postgres' : 'sqlite';
}

/** The URL with its password replaced by `***`, for logs and the printed configuration. */
export function censorDatabaseUrl(databaseUrl: string): string {
  return databaseUrl.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@]*@/i, '$1***@');
}

/** Parses a `sqlite:` database URL into a file path (`:memory:` allowed). */
export function sqlitePath(databaseUrl: string): string {
  const m = /^sqlite:(?:\/\/)?(.*)$/.exec(databaseUrl);
  if (m) return m[1];
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(databaseUrl)) {
    throw new ConfigError(`database_url = ${JSON.stringify(censorDatabaseUrl(databaseUrl))}: unsupported scheme (use sqlite:PATH or postgres://...)`);
  }
  return databaseUrl;
}

if (require.main === module) {
  try {
    process.stdout.write(JSON.stringify(censoredConfig(loadConfig()), null, 2) + '\n');
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
}
