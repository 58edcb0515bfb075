#!/usr/bin/env node
/*
 * volume-api-manage (issue 18): the operator's command line against the store and the backend of this
 * host's configuration, as `cinder-manage` is for Cinder. Every sub-command has --help; --json prints
 * machine-readable output. Exit codes: 0 ok, 1 refused or failed (the message says why), 2 usage.
 *
 *   db version | sync | purge --age-in-days N
 *   operation list [--state S] [--limit N] | show ID | retry ID | cancel ID
 *   service list | remove BINARY HOST
 *   quarantine list | purge [--older-than DUR]
 *   config show
 *
 * Reference: docs/operations.md ("volume-api-manage").
 */
import { parseArgs } from 'node:util';
import { censoredConfig, ConfigError, CONFIG_KEYS, loadConfigWithSources, type Config } from './config';
import { buildServices, type Services } from './bootstrap';
import { createLogger } from './log';
import { BackendSet } from './worker/backends';
import { getOperation, listOperations, type OperationState } from './db/queries/operations';
import { purgeDeletedRows } from './db/queries/purge';
import { deleteService, listServices } from './db/queries/services';
import { serviceIsUp } from './services/scheduler';
import { nowIso } from './db/time';
import { cancelOperation, OperationAdminError, retryOperation } from './worker/operation-admin';
import { VERSION } from './version';
import { MIGRATIONS } from './db/migrations';
import { openStore } from './db/store';

const PROG = 'volume-api-manage';

class UsageError extends Error {}

interface Out {
  json: boolean;
  print(text: string): void;
}

interface Command {
  usage: string;
  help: string;
  options?: Record<string, { type: 'string' | 'boolean'; help: string }>;
  /** Opens the store (with migrations unless `migrate` is false). */
  store?: boolean | 'no-migrate';
  run(ctx: {
    config: Config;
    services?: Services;
    args: string[];
    opts: Record<string, string | boolean | undefined>;
    out: Out;
    loaded: ReturnType<typeof loadConfigWithSources>;
  }): Promise<unknown>;
}

const STATES: Record<string, OperationState> = {
  pending: 'pending',
  queued: 'pending',
  running: 'running',
  leased: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
};

function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '(none)\n';
  const cells = rows.map((r) => columns.map((c) => (r[c] === null || r[c] === undefined ? '-' : String(r[c]))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return `${[line(columns), ...cells.map(line)].join('\n')}\n`;
}

/** `30d`, `12h`, `45m`, `10s` or a bare number of seconds, in milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(text.trim());
  if (!m) throw new UsageError(`--older-than ${JSON.stringify(text)}: expected a duration such as 7d, 12h, 30m or 90s`);
  return Number(m[1]) * { '': 1000, s: 1000, m: 60000, h: 3600000, d: 86400000 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
}

function operationView(op: NonNullable<Awaited<ReturnType<typeof getOperation>>>) {
  return {
    id: op.id,
    kind: op.kind,
    resource: `${op.resource_type} ${op.resource_id}`,
    state: op.state,
    attempts: op.attempts,
    owner: op.owner,
    lease_expires_at: op.lease_expires_at,
    created_at: op.created_at,
    updated_at: op.updated_at,
    host: op.host,
    error: op.error,
    request_id: op.request_id,
    payload: JSON.parse(op.payload) as unknown,
  };
}

function show(out: Out, value: Record<string, unknown>): Record<string, unknown> {
  if (!out.json)
    out.print(
      Object.entries(value)
        .map(([k, v]) => `${k.padEnd(17)} ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v ?? '-')}\n`)
        .join(''),
    );
  return value;
}

const one = (args: string[], what: string): string => {
  if (args.length !== 1) throw new UsageError(`expected one ${what}`);
  return args[0];
};

const COMMANDS: Record<string, Command> = {
  'db version': {
    usage: 'db version',
    help: 'The schema version: the migrations applied and those pending (none are applied by this command).',
    store: 'no-migrate',
    async run({ services, out }) {
      const pending = await services!.store.pendingMigrations();
      const all = Object.keys(MIGRATIONS).sort();
      const applied = all.filter((m) => !pending.includes(m));
      const result = { current: applied[applied.length - 1] ?? null, latest: all[all.length - 1], pending };
      if (!out.json)
        out.print(`current ${result.current ?? '(empty database)'}\nlatest  ${result.latest}\npending ${pending.length > 0 ? pending.join(', ') : 'none'}\n`);
      return result;
    },
  },
  'db sync': {
    usage: 'db sync',
    help: 'Applies the pending migrations (forward only; every process also does at start).',
    store: 'no-migrate',
    async run({ services, out }) {
      const applied = await services!.store.migrate();
      if (!out.json) out.print(applied.length > 0 ? `applied ${applied.join(', ')}\n` : 'schema already current\n');
      return { applied };
    },
  },
  'db purge': {
    usage: 'db purge --age-in-days N',
    help: 'Deletes for good the rows soft-deleted more than N days ago (volumes, snapshots, backups, types, ... with their metadata) and the operations finished more than N days ago. One transaction.',
    options: { 'age-in-days': { type: 'string', help: 'age in days (required, an integer >= 1)' } },
    store: true,
    async run({ services, opts, out }) {
      const days = Number(opts['age-in-days']);
      if (!Number.isInteger(days) || days < 1) throw new UsageError('--age-in-days N is required, an integer >= 1');
      const cutoff = nowIso(new Date(Date.now() - days * 86400000));
      const purged = await services!.store.transaction((trx) => purgeDeletedRows(trx, cutoff));
      if (!out.json)
        out.print(
          table(
            Object.entries(purged).map(([t, n]) => ({ table: t, purged: n })),
            ['table', 'purged'],
          ),
        );
      return { cutoff, purged };
    },
  },
  'operation list': {
    usage: 'operation list [--state pending|queued|running|leased|succeeded|failed] [--limit N]',
    help: 'The operations of the queue, newest first (queued is pending, leased is running).',
    options: { state: { type: 'string', help: 'only operations in this state' }, limit: { type: 'string', help: 'at most N rows (default 50)' } },
    store: true,
    async run({ services, opts, out }) {
      const stateName = opts.state as string | undefined;
      const state = stateName === undefined ? undefined : STATES[stateName];
      if (stateName !== undefined && !state) throw new UsageError(`--state ${stateName}: one of ${Object.keys(STATES).join(', ')}`);
      const limit = opts.limit === undefined ? 50 : Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit N: an integer >= 1');
      const rows = (await listOperations(services!.store.db, { state, limit })).map(operationView);
      if (!out.json) out.print(table(rows, ['id', 'kind', 'resource', 'state', 'attempts', 'updated_at', 'error']));
      return rows;
    },
  },
  'operation show': {
    usage: 'operation show ID',
    help: 'One operation with its payload, lease and last error.',
    store: true,
    async run({ services, args, out }) {
      const id = one(args, 'operation id');
      const op = await getOperation(services!.store.db, id);
      if (!op) throw new OperationAdminError(`no operation ${id}`);
      return show(out, operationView(op));
    },
  },
  'operation retry': {
    usage: 'operation retry ID',
    help: 'Moves a failed operation back to queued (attempts reset) and its resource back to the transitional status a worker expects (e.g. error -> creating), in one transaction. Refused when the resource moved on, or when the failure already undid the request (extend, retype, backup create: repeat the request instead).',
    store: true,
    async run({ services, args, out }) {
      const op = await retryOperation(services!.store, one(args, 'operation id'));
      if (!out.json) out.print(`operation ${op.id} (${op.kind}) queued again\n`);
      return operationView(op);
    },
  },
  'operation cancel': {
    usage: 'operation cancel ID',
    help: 'Ends a queued operation no worker has taken yet (state failed, error "cancelled by an operator") and moves its resource as a final failure would (error status, or its previous status for retype; quota given back where a failure gives it back), in one transaction.',
    store: true,
    async run({ config, services, args, out }) {
      const s = services!;
      const backends = new BackendSet(config);
      const ctx = {
        store: s.store,
        // A queued operation has written nothing: its failure path only moves rows.
        backend: backends.all[0],
        backends,
        quota: s.quota,
        log: s.log,
        owner: PROG,
        now: () => nowIso(),
        host: '',
        poolCapabilities: async () => ({}),
      };
      const op = await cancelOperation(ctx, one(args, 'operation id'));
      if (!out.json) out.print(`operation ${op.id} (${op.kind}) cancelled\n`);
      return operationView(op);
    },
  },
  'service list': {
    usage: 'service list',
    help: 'The services heartbeating into the store (as GET /os-services), with their state (up: last heartbeat within service_down_time).',
    store: true,
    async run({ config, services, out }) {
      const rows = (await listServices(services!.store.db)).map((r) => ({
        binary: r.binary,
        host: r.host,
        zone: r.availability_zone,
        status: r.disabled ? 'disabled' : 'enabled',
        state: serviceIsUp(r, config.service_down_time) ? 'up' : 'down',
        updated_at: r.updated_at ?? r.created_at,
        cluster: r.cluster_name,
      }));
      if (!out.json) out.print(table(rows, ['binary', 'host', 'zone', 'status', 'state', 'updated_at', 'cluster']));
      return rows;
    },
  },
  'service remove': {
    usage: 'service remove BINARY HOST',
    help: 'Removes a service row (a host gone for good), as `cinder-manage service remove`. Refused while the service is up: stop it first.',
    store: true,
    async run({ config, services, args, out }) {
      if (args.length !== 2) throw new UsageError('expected BINARY HOST');
      const [binary, host] = args;
      const db = services!.store.db;
      const row = (await listServices(db, { binary, host })).find((r) => r.host === host);
      if (!row) throw new OperationAdminError(`no service ${binary} on ${host} (see service list)`);
      if (serviceIsUp(row, config.service_down_time)) throw new OperationAdminError(`${binary} on ${host} is up (heartbeat ${row.updated_at}): stop it first`);
      await deleteService(db, host, binary);
      if (!out.json) out.print(`removed ${binary} on ${host}\n`);
      return { binary, host, removed: true };
    },
  },
  'quarantine list': {
    usage: 'quarantine list',
    help: "Every file backend's quarantine (<backend path>/quarantine): files without a row found at worker start, partial files of dead writers.",
    async run({ config, out }) {
      const files = [];
      for (const backend of new BackendSet(config).all) {
        for (const f of await backend.quarantined())
          files.push({ backend: backend.name, name: f.name, bytes: f.bytes, quarantined_at: f.quarantinedAt.toISOString() });
      }
      if (!out.json) out.print(table(files, ['backend', 'name', 'bytes', 'quarantined_at']));
      return files;
    },
  },
  'quarantine purge': {
    usage: 'quarantine purge [--older-than DUR]',
    help: 'Deletes quarantined files (all, or those quarantined longer ago than DUR: 7d, 12h, 30m, 90s). The worker also does by itself after worker.quarantine_max_age_days.',
    options: { 'older-than': { type: 'string', help: 'only files quarantined longer ago than this' } },
    async run({ config, opts, out }) {
      const age = opts['older-than'] === undefined ? 0 : parseDuration(String(opts['older-than']));
      const before = new Date(Date.now() - age + (age === 0 ? 1 : 0));
      const purged = [];
      for (const backend of new BackendSet(config).all) purged.push(...(await backend.purgeQuarantine(before)));
      const bytes = purged.reduce((n, f) => n + f.bytes, 0);
      if (!out.json) out.print(`purged ${purged.length} file(s), ${bytes} bytes\n`);
      return { purged: purged.map((f) => f.name), bytes };
    },
  },
  'config show': {
    usage: 'config show',
    help: 'The effective settings of this shell (file and environment, as every entry point reads them) and where each came from: default, file or env. Passwords are shown as ***.',
    async run({ loaded, out }) {
      const censored = censoredConfig(loaded.config) as unknown as Record<string, unknown>;
      const get = (p: string[]) => p.reduce<unknown>((n, k) => (n as Record<string, unknown> | undefined)?.[k], censored);
      const settings = CONFIG_KEYS.map((k) => ({ key: k.path.join('.'), value: get(k.path), source: loaded.sources[k.path.join('.')] }));
      if (!out.json) {
        out.print(`config file: ${loaded.file ?? '(none)'}\n`);
        out.print(
          table(
            settings.map((s) => ({ ...s, value: JSON.stringify(s.value) })),
            ['key', 'value', 'source'],
          ),
        );
      }
      return { file: loaded.file ?? null, settings: Object.fromEntries(settings.map((s) => [s.key, { value: s.value, source: s.source }])) };
    },
  },
};

const COMMON = '  --config FILE  configuration file (as for volume-api)\n  --json         machine-readable output\n  --help, -h     show this help\n';

function commandHelp(name: string, c: Command): string {
  const opts = Object.entries(c.options ?? {})
    .map(([o, spec]) => `  --${o}${spec.type === 'string' ? ' VALUE' : ''}  ${spec.help}\n`)
    .join('');
  return `Usage: ${PROG} ${c.usage} [--json] [--config FILE]\n\n${c.help}\n\nOptions:\n${opts}${COMMON}`;
}

function mainHelp(): string {
  return `Usage: ${PROG} <command> [options]  (${PROG} <command> --help for each)\n\nCommands:\n${Object.values(COMMANDS)
    .map((c) => `  ${c.usage}\n`)
    .join('')}\nOptions:\n${COMMON}  --version, -V  print the version\n\nExit codes: 0 ok, 1 refused or failed, 2 usage or configuration error.\n`;
}

export async function main(
  argv: string[],
  io: { stdout: (t: string) => void; stderr: (t: string) => void } = {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
  },
): Promise<number> {
  const words = argv.filter((a) => !a.startsWith('-'));
  if (argv.includes('--version') || argv.includes('-V')) {
    io.stdout(`${PROG} ${VERSION}\n`);
    return 0;
  }
  const name = words.length >= 2 ? `${words[0]} ${words[1]}` : undefined;
  const command = name ? COMMANDS[name] : undefined;
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  if (!command) {
    if (wantsHelp || argv.length === 0) {
      io.stdout(mainHelp());
      return 0;
    }
    io.stderr(`${PROG}: unknown command ${JSON.stringify(words.slice(0, 2).join(' '))} (see ${PROG} --help)\n`);
    return 2;
  }
  if (wantsHelp) {
    io.stdout(commandHelp(name!, command));
    return 0;
  }
  let services: Services | undefined;
  try {
    const parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ...(command.options ?? {}), config: { type: 'string' }, json: { type: 'boolean' } },
    });
    const args = parsed.positionals.slice(2);
    const loaded = loadConfigWithSources({ argv: parsed.values.config ? ['--config', String(parsed.values.config)] : [] });
    const config = loaded.config;
    const json = parsed.values.json === true;
    const out: Out = { json, print: io.stdout };
    if (command.store === 'no-migrate') {
      // db version and db sync must see the store as it is: opened without the migrations at open.
      const store = await openStore(config, { migrate: false });
      services = { store } as Services;
    } else if (command.store) {
      services = await buildServices(config, createLogger('volume-api', 'fatal'));
    }
    const result = await command.run({ config, services, args, opts: parsed.values as Record<string, string | boolean | undefined>, out, loaded });
    if (json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`${PROG} ${name}: ${(err as Error).message} (see ${PROG} ${name} --help)\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      io.stderr(`${PROG}: ${err.message}\n`);
      return 2;
    }
    if (err instanceof OperationAdminError) {
      io.stderr(`${PROG} ${name}: ${err.message}\n`);
      return 1;
    }
    io.stderr(`${PROG} ${name}: ${(err as Error).message ?? err}\n`);
    return 1;
  } finally {
    await services?.store.close().catch(() => undefined);
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
