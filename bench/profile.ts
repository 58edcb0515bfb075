/*
 * `npm run bench:profile`: where the API spends its CPU on a read route. Starts `dist/standalone.js`
 * under `node --cpu-prof`, creates the context volumes, loads one route with autocannon (as the read
 * scenarios do), stops the service (which writes the profile) and prints the functions with the most
 * inclusive and self time during the measured window only (start-up and context creation excluded).
 *
 *   npm run bench:profile -- [--route show|list] [--seconds 6] [--volumes 100] [--concurrency 8] [--out DIR]
 *
 * The .cpuprofile stays in DIR (default bench/results/profile-<route>-<timestamp>/) and opens in Chrome
 * DevTools (Performance tab) or speedscope for a flame graph.
 */
import autocannon from 'autocannon';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, startStandalone } from './lib/modes';
import { readPath, setupContext } from './lib/scenarios';
import type { Workload } from './lib/tasks';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function usage(msg?: string): never {
  if (msg) process.stderr.write(`bench:profile: ${msg}\n`);
  process.stderr.write('usage: npm run bench:profile -- [--route show|list] [--seconds N] [--volumes N] [--concurrency N] [--out DIR]\n');
  process.exit(2);
}

function frameName(n: ProfileNode): string {
  const cf = n.callFrame;
  const where = cf.url
    .replace(/^.*node_modules\//, '')
    .replace(/^.*\/dist\//, 'dist/')
    .replace(/^file:\/\//, '');
  return `${cf.functionName || '(anonymous)'} ${where}${where ? `:${cf.lineNumber + 1}` : ''}`;
}

/** Self and inclusive time per function over the samples taken in the last `windowS` seconds. */
export function summarize(profile: CpuProfile, windowS: number, top = 30): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const cut = profile.endTime - windowS * 1e6;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let t = profile.startTime;
  let busy = 0;
  let idle = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    const dt = profile.timeDeltas[i + 1] ?? 0;
    if (t < cut) continue;
    const leaf = byId.get(profile.samples[i])!;
    if (leaf.callFrame.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    busy += dt;
    self.set(frameName(leaf), (self.get(frameName(leaf)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const name = frameName(byId.get(id)!);
      if (seen.has(name) || name.startsWith('(root)')) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + dt);
    }
  }
  const table = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => `${((100 * us) / Math.max(busy, 1)).toFixed(1).padStart(6)} %  ${name}`)
      .join('\n');
  return [
    `window ${windowS} s: busy ${(busy / 1000).toFixed(0)} ms, idle ${(idle / 1000).toFixed(0)} ms; percentages are of busy time`,
    '',
    'inclusive (the function and what it calls):',
    table(inclusive),
    '',
    'self:',
    table(self),
  ].join('\n');
}

async function main(): Promise<void> {
  const o = { route: 'show', seconds: 6, volumes: 100, concurrency: 8, out: '' };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === '--route') o.route = val();
    else if (a === '--seconds') o.seconds = Number(val());
    else if (a === '--volumes') o.volumes = Number(val());
    else if (a === '--concurrency') o.concurrency = Number(val());
    else if (a === '--out') o.out = val();
    else usage(`unknown argument ${a}`);
  }
  if (o.route !== 'show' && o.route !== 'list') usage('--route is show or list');
  for (const k of ['seconds', 'volumes', 'concurrency'] as const) if (!(o[k] >= 1)) usage(`--${k} must be a positive number`);
  if (!fs.existsSync(path.join(ROOT, 'dist', 'standalone.js'))) usage('dist/ is missing: run `npm run build` first');
  const out = path.resolve(o.out || path.join(ROOT, 'bench', 'results', `profile-${o.route}-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  fs.mkdirSync(out, { recursive: true });

  const workload: Workload = {
    scenario: o.route === 'list' ? 'CinderVolumes.list_volumes' : 'CinderVolumes.show_volume',
    args: { detailed: true },
    runner: { type: 'constant_for_duration', duration: o.seconds, concurrency: o.concurrency, warmup: 1 },
    context: { users: { tenants: 1, users_per_tenant: 1 }, volumes: { size: 1, volumes_per_tenant: o.volumes } },
  };
  const mode = await startStandalone(['--cpu-prof', `--cpu-prof-dir=${out}`]);
  let result: autocannon.Result;
  try {
    const ctx = await setupContext(mode.url, workload);
    const url = mode.url + readPath(workload, ctx);
    const headers = { 'X-Auth-Token': ctx.token, Accept: 'application/json' };
    process.stdout.write(`profiling GET ${readPath(workload, ctx)} (${o.volumes} volumes) for ${o.seconds} s at concurrency ${o.concurrency}\n`);
    await autocannon({ url, headers, connections: o.concurrency, duration: 1 });
    result = await autocannon({ url, headers, connections: o.concurrency, duration: o.seconds });
  } finally {
    await mode.stop();
  }
  const file = fs.readdirSync(out).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile written in ${out}`);
  const summary = summarize(JSON.parse(fs.readFileSync(path.join(out, file), 'utf8')) as CpuProfile, o.seconds);
  const head = `${result.requests.average} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${result.errors + result.non2xx} errors (under the profiler: slower than a plain run)`;
  fs.writeFileSync(path.join(out, 'summary.txt'), `${head}\n\n${summary}\n`);
  process.stdout.write(`${head}\n\n${summary}\n\nprofile: ${path.join(out, file)}\nsummary: ${path.join(out, 'summary.txt')}\n`);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`bench:profile: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
