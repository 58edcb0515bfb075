/*
 * `npm run migrate [-- --dry-run] [--config FILE]`: applies the store's pending migrations and exits,
 * for operators who migrate before they roll out new code (issue 8). Every process also migrates when
 * it opens the store, so this is optional; both run under the same lock (a PostgreSQL advisory lock, or
 * SQLite's write lock), so running it while hosts start is safe and each migration runs once.
 *
 * --dry-run lists the pending migrations and changes nothing. The database is the configured one
 * (database_url from the config file or VOLUME_API_DATABASE_URL).
 *
 * --from URL then copies every row of the store at URL (e.g. the old `sqlite:/srv/volume-api/data/
 * volume-api.sqlite`) into the configured one, which must be empty: how an SQLite deployment moves to
 * PostgreSQL (docs/scaling.md). Both are migrated to the latest version first; stop the services before.
 * With --dry-run it only says what it would do.
 *
 * Exit status: 0 done, 1 failed (or the copy was refused), 2 bad configuration or arguments.
 */
import { censorDatabaseUrl, ConfigError, loadConfig } from '../src/config';
import { copyStore, CopyRefusedError } from '../src/db/copy-store';
import { openStore, type Store } from '../src/db/store';

const USAGE = 'usage: npm run migrate -- [--dry-run] [--config FILE] [--from DATABASE_URL]';
const VALUED = new Set(['--config', '--from']);

async function main(argv: readonly string[]): Promise<number> {
  const dryRun = argv.includes('--dry-run');
  const unknown = argv.filter((a, i) => a !== '--dry-run' && !VALUED.has(a) && !VALUED.has(argv[i - 1]) && !a.startsWith('--config='));
  const fromAt = argv.indexOf('--from');
  const from = fromAt >= 0 ? argv[fromAt + 1] : undefined;
  if (unknown.length > 0 || argv.includes('--help') || (fromAt >= 0 && !from)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const config = loadConfig({ argv: argv.filter((a, i) => a !== '--from' && argv[i - 1] !== '--from') });
  const where = censorDatabaseUrl(config.database_url);
  const store = await openStore(config, { migrate: false });
  try {
    const pending = await store.pendingMigrations();
    if (dryRun) {
      process.stdout.write(
        pending.length === 0 ? `${where}: up to date\n` : `${where}: ${pending.length} pending (dry run, nothing applied):\n${list(pending)}`,
      );
    } else {
      const applied = await store.migrate();
      process.stdout.write(applied.length === 0 ? `${where}: up to date\n` : `${where}: applied ${applied.length}:\n${list(applied)}`);
    }
    if (from) await copyFrom(from, store, config, dryRun);
    return 0;
  } finally {
    await store.close();
  }
}

async function copyFrom(from: string, target: Store, config: ReturnType<typeof loadConfig>, dryRun: boolean): Promise<void> {
  const source = await openStore({ ...config, database_url: from }, { migrate: !dryRun });
  const what = `${censorDatabaseUrl(from)} -> ${censorDatabaseUrl(config.database_url)}`;
  try {
    if (dryRun) {
      const pending = await source.pendingMigrations();
      process.stdout.write(
        `copy ${what}: dry run, nothing copied${pending.length > 0 ? ` (the source would first be migrated: ${pending.join(', ')})` : ''}\n`,
      );
      return;
    }
    const started = Date.now();
    const copied = await copyStore(source, target);
    const rows = Object.values(copied).reduce((a, b) => a + b, 0);
    process.stdout.write(
      `copied ${what}: ${rows} rows in ${Date.now() - started} ms\n${Object.entries(copied)
        .map(([t, n]) => `  ${t}: ${n}\n`)
        .join('')}`,
    );
  } finally {
    await source.close();
  }
}

function list(names: readonly string[]): string {
  return names.map((m) => `  ${m}\n`).join('');
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    const brief = err instanceof ConfigError || err instanceof CopyRefusedError;
    process.stderr.write(`migrate: ${brief ? (err as Error).message : ((err as Error).stack ?? String(err))}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  },
);
