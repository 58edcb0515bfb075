/*
 * `npm run tempest [-- --regex RE] [--out DIR]`: Tempest's volume API tests and cinder-tempest-plugin's
 * against `npm start`'s service with Keystone auth (test/lib/tempest.ts), as CI runs them. Builds dist/
 * first. Prints the counts and the failures; the report goes to DIR (default artifacts/tempest).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runTempest } from '../test/lib/tempest';

const ROOT = path.resolve(__dirname, '..');
const { values } = parseArgs({ options: { regex: { type: 'string' }, out: { type: 'string' }, concurrency: { type: 'string' }, help: { type: 'boolean' } } });
if (values.help) {
  process.stdout.write('usage: npm run tempest -- [--regex RE] [--out DIR] [--concurrency N]\n');
  process.exit(0);
}
const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) process.exit(1);
runTempest({
  out: path.resolve(values.out ?? path.join(ROOT, 'artifacts', 'tempest')),
  regex: values.regex,
  concurrency: values.concurrency ? Number(values.concurrency) : undefined,
  log: (l) => process.stdout.write(`${l}\n`),
})
  .then((r) => {
    process.stdout.write(
      `\n${r.passed.length} passed, ${r.failed.length} failed, ${r.skipped.length} skipped, ${r.knownFailures.length} known (need Glance) in ${r.wallSeconds.toFixed(0)} s; report ${r.out}\n`,
    );
    for (const f of r.failed) process.stdout.write(`FAILED ${f}\n`);
    process.exit(r.failed.length ? 1 : 0);
  })
  .catch((err) => {
    process.stderr.write(`tempest: ${(err as Error).stack}\n`);
    process.exit(1);
  });
