/*
 * `npm run rally`: the real Rally's CinderVolumes scenarios against our API through a real Keystone, per
 * deployment mode, side by side.
 *
 *   npm run rally -- [--times 10] [--concurrency 2] [--modes standalone,pm2-N,nginx,apache] [--out DIR]
 *                    [--prepoll 0.1] [--poll 0.2] [--no-build]
 *
 * For the run it starts a private Keystone (Debian `keystone` under uwsgi on 127.0.0.1, test/lib/keystone.ts)
 * with a service user for the API, a member user for Rally and an admin; then per mode it starts the
 * service with `auth.strategy = keystone` the way the benchmark does (bench/lib/modes.ts: `npm start`'s
 * standalone process, the PM2 ecosystem, the generated nginx or Apache vhost in front of it), points the
 * catalog's `block-storage`/`volumev3` endpoints at it, runs Rally (bench/lib/rally.ts) and prints Rally's
 * per-action table. DIR/<mode>/report.html is Rally's own HTML report; DIR/results.json holds every row.
 * Exit status 1 when an iteration failed or a mode could not start.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pm2Deployment, ROOT, startProxy, startStandalone, type RunningMode } from './lib/modes';
import { formatRows, missingRallyPackages, runRally, type RallyRunResult } from './lib/rally';
import { missingKeystonePackages, startKeystone, type Keystone } from '../test/lib/keystone';

const MODES = ['standalone', 'pm2-N', 'nginx', 'apache'] as const;
type RallyMode = (typeof MODES)[number];

interface Options {
  times: number;
  concurrency: number;
  modes: RallyMode[];
  out: string;
  prepoll: number;
  poll: number;
  build: boolean;
}

function usage(msg?: string): never {
  if (msg) process.stderr.write(`rally: ${msg}\n`);
  process.stderr.write(
    'usage: npm run rally -- [--times N] [--concurrency N] [--modes standalone,pm2-N,nginx,apache] [--out DIR] [--prepoll S] [--poll S] [--no-build]\n',
  );
  process.exit(2);
}

export function parseRallyArgs(argv: string[]): Options {
  const o: Options = { times: 10, concurrency: 2, modes: [...MODES], out: '', prepoll: 0.1, poll: 0.2, build: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === '--times') o.times = Number(val());
    else if (a === '--concurrency') o.concurrency = Number(val());
    else if (a === '--prepoll') o.prepoll = Number(val());
    else if (a === '--poll') o.poll = Number(val());
    else if (a === '--out') o.out = val();
    else if (a === '--no-build') o.build = false;
    else if (a === '--modes') {
      o.modes = val()
        .split(',')
        .map((m) => m.trim()) as RallyMode[];
      for (const m of o.modes) if (!MODES.includes(m)) usage(`unknown mode ${m} (one of ${MODES.join(', ')})`);
    } else usage(`unknown argument ${a}`);
  }
  for (const k of ['times', 'concurrency'] as const) if (!Number.isInteger(o[k]) || o[k] < 1) usage(`--${k} must be a positive integer`);
  for (const k of ['prepoll', 'poll'] as const) if (!(o[k] >= 0)) usage(`--${k} must be a number of seconds >= 0`);
  if (!o.out) o.out = path.join(ROOT, 'bench', 'results', `rally-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  o.out = path.resolve(o.out);
  return o;
}

/** Points the catalog's volume services at `apiUrl` (creates them the first time). */
async function pointCatalogAt(ks: Keystone, apiUrl: string): Promise<void> {
  const services = (await ks.adminRequest('GET', '/v3/services')).body.services as { id: string; type: string }[];
  const ours = services.filter((s) => s.type === 'block-storage' || s.type === 'volumev3');
  if (ours.length === 0) return ks.registerVolumeEndpoints(apiUrl);
  const template = `${apiUrl.replace(/\/+$/, '')}/v3/%(project_id)s`;
  for (const s of ours) {
    const endpoints = (await ks.adminRequest('GET', `/v3/endpoints?service_id=${s.id}`)).body.endpoints as { id: string }[];
    for (const e of endpoints) {
      const r = await ks.adminRequest('PATCH', `/v3/endpoints/${e.id}`, { endpoint: { url: template } });
      if (r.status !== 200) throw new Error(`cannot update endpoint ${e.id}: ${r.status}`);
    }
  }
}

function keystoneEnv(ks: Keystone): Record<string, string> {
  const env: Record<string, string> = { VOLUME_API_AUTH_STRATEGY: 'keystone' };
  for (const [k, v] of Object.entries(ks.serviceAuth())) env[`VOLUME_API_AUTH_KEYSTONE_${k.toUpperCase()}`] = String(v);
  return env;
}

export async function rallyModes(o: Options, log: (line: string) => void): Promise<{ results: Record<string, RallyRunResult>; failures: string[] }> {
  const missing = [...missingKeystonePackages(), ...missingRallyPackages()];
  if (missing.length) throw new Error(`needs the Debian packages ${missing.join(' ')} (apt-get install ${missing.join(' ')})`);
  fs.mkdirSync(o.out, { recursive: true });
  if (o.build) {
    const b = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
    if (b.status !== 0 && !fs.existsSync(path.join(ROOT, 'dist', 'server.js'))) throw new Error(`build failed:\n${b.stdout}${b.stderr}`);
  }
  const results: Record<string, RallyRunResult> = {};
  const failures: string[] = [];
  const ks = await startKeystone();
  let pm2: Pm2Deployment | undefined;
  try {
    log(`keystone on ${ks.url} (bootstrap ${ks.bootstrapMs} ms, first token ${ks.startupMs} ms)`);
    const env = keystoneEnv(ks);
    const instances = os.cpus().length || 2;
    for (const name of o.modes) {
      let mode: RunningMode | undefined;
      try {
        log(`${name}: starting`);
        if (name === 'standalone') mode = await startStandalone([], env);
        else {
          if (!pm2) {
            pm2 = new Pm2Deployment(instances, env);
            await pm2.start();
          }
          mode = name === 'pm2-N' ? pm2.mode('pm2-N') : await startProxy(name, pm2, instances);
        }
        await pointCatalogAt(ks, mode.url);
        log(`${name}: rally, ${o.times} iterations at concurrency ${o.concurrency} per scenario`);
        const u = ks.users;
        const r = await runRally({
          dir: path.join(o.out, name),
          authUrl: ks.url,
          admin: { username: u.alphaAdmin.name, password: u.alphaAdmin.password, project_name: u.alphaAdmin.project },
          user: { username: u.betaMember.name, password: u.betaMember.password, project_name: u.betaMember.project },
          times: o.times,
          concurrency: o.concurrency,
          prepoll: o.prepoll,
          poll: o.poll,
        });
        results[name] = r;
        log(
          `${name}: ${r.iterations} iterations, ${r.failedIterations} failed, SLA ${r.slaPassed ? 'passed' : 'FAILED'}; report ${r.htmlReport}\n${formatRows(r.rows)}`,
        );
        if (r.failedIterations > 0 || !r.slaPassed)
          failures.push(`${name}: ${r.failedIterations} failed iterations${r.errors.length ? `: ${r.errors.join(' | ')}` : ''}`);
      } catch (err) {
        failures.push(`${name}: ${(err as Error).message}`);
        log(`${name}: FAILED ${(err as Error).message}`);
      } finally {
        if (mode && name !== 'pm2-N') await mode.stop().catch(() => undefined);
      }
    }
  } finally {
    if (pm2) await pm2.stop();
    await ks.stop();
  }
  fs.writeFileSync(
    path.join(o.out, 'results.json'),
    `${JSON.stringify({ date: new Date().toISOString(), cores: os.cpus().length, node: process.version, times: o.times, concurrency: o.concurrency, prepoll: o.prepoll, poll: o.poll, results, failures }, null, 2)}\n`,
  );
  return { results, failures };
}

/** One table: each action's median / 90%ile (s) per mode. */
export function compareModes(results: Record<string, RallyRunResult>): string {
  const modes = Object.keys(results);
  const keys: string[] = [];
  for (const m of modes) for (const r of results[m].rows) if (!keys.includes(`${r.scenario}\t${r.action}`)) keys.push(`${r.scenario}\t${r.action}`);
  const lines = [`| scenario | action | ${modes.map((m) => `${m} median / p90 s`).join(' | ')} |`, `|---|---|${modes.map(() => '---').join('|')}|`];
  for (const k of keys) {
    const [scenario, action] = k.split('\t');
    const cells = modes.map((m) => {
      const r = results[m].rows.find((x) => x.scenario === scenario && x.action === action);
      return r ? `${r.median ?? 'n/a'} / ${r.p90 ?? 'n/a'}` : '';
    });
    lines.push(`| ${scenario} | ${action} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

if (require.main === module) {
  const o = parseRallyArgs(process.argv.slice(2));
  rallyModes(o, (l) => process.stdout.write(`${l}\n`))
    .then(({ results, failures }) => {
      if (Object.keys(results).length) process.stdout.write(`\n${compareModes(results)}\n`);
      process.stdout.write(`\nresults: ${path.join(o.out, 'results.json')}\n`);
      if (failures.length) {
        process.stdout.write(`FAILED:\n${failures.map((f) => `  ${f}`).join('\n')}\n`);
        process.exit(1);
      }
    })
    .catch((err) => {
      process.stderr.write(`rally: ${(err as Error).message}\n`);
      process.exit(1);
    });
}
