/*
 * `npm run bench`: Rally-style scenarios against every deployment mode in one run, side by side.
 *
 *   npm run bench                      full profile (bench/tasks/full.json), < 20 min on 2 cores
 *   npm run bench -- --quick           bench/tasks/quick.json, about 2 minutes
 *   npm run bench -- --tiny            a few seconds (standalone + bare Restify), for the test
 *   npm run bench -- --task FILE       any task file in the accepted Rally subset (bench/lib/tasks.ts)
 *   npm run bench -- --modes standalone,pm2-N,nginx
 *   npm run bench -- --out DIR         results directory (default bench/results/<timestamp>)
 *   npm run bench -- --no-build        use the existing dist/ (default: build it first)
 *   npm run bench -- --compare A.json B.json [--threshold 10]
 *
 * Writes results.json and a self-contained report.html; progress goes to stderr.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compareResults } from './lib/compare';
import { ALL_MODES, Pm2Deployment, ROOT, startBaseline, startProxy, startStandalone, type ModeName, type RunningMode } from './lib/modes';
import { renderReport, computeTargets, type BenchResults, type WorkloadResult } from './lib/report';
import { READ_SCENARIOS, readPath, runScenario, setupContext, type Context } from './lib/scenarios';
import { loadTask, workloadKey } from './lib/tasks';
import { Client, cores, sampleProcesses } from './lib/util';
import { findNginx, nginxVersion } from '../deploy/lib/nginx';

interface Options {
  profile: string;
  task: string;
  modes: ModeName[];
  out: string;
  build: boolean;
  compare?: [string, string];
  threshold: number;
}

function usage(msg: string): never {
  process.stderr.write(
    `bench: ${msg}\nusage: npm run bench -- [--quick|--tiny|--task FILE] [--modes m1,m2] [--out DIR] [--no-build] | --compare A.json B.json [--threshold PCT]\nmodes: ${ALL_MODES.join(', ')}\n`,
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const stamp = new Date()
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d\dZ$/, 'Z');
  const o: Options = { profile: 'full', task: '', modes: [...ALL_MODES], out: '', build: true, threshold: 10 };
  let modesGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === '--quick') o.profile = 'quick';
    else if (a === '--tiny') o.profile = 'tiny';
    else if (a === '--full') o.profile = 'full';
    else if (a === '--task') o.task = val();
    else if (a === '--out') o.out = val();
    else if (a === '--no-build') o.build = false;
    else if (a === '--threshold') o.threshold = Number(val());
    else if (a === '--modes') {
      modesGiven = true;
      o.modes = val()
        .split(',')
        .map((m) => m.trim()) as ModeName[];
      for (const m of o.modes) if (!ALL_MODES.includes(m)) usage(`unknown mode ${m}`);
    } else if (a === '--compare') o.compare = [val(), val()];
    else usage(`unknown argument ${a}`);
  }
  if (process.env.BENCH_PROFILE) o.profile = process.env.BENCH_PROFILE;
  // A task file of the user's own names the profile after itself (report title, results folder).
  else if (o.task) o.profile = path.basename(o.task).replace(/\.json$/i, '');
  if (!o.task) o.task = path.join(ROOT, 'bench', 'tasks', `${o.profile}.json`);
  if (!modesGiven && o.profile === 'tiny') o.modes = ['standalone', 'baseline-restify'];
  if (!o.out) o.out = path.join(ROOT, 'bench', 'results', `${stamp}${o.profile === 'full' ? '' : `-${o.profile}`}`);
  return o;
}

const isTty = process.stderr.isTTY;
let lastLen = 0;
function progress(text: string, final = false): void {
  if (isTty) {
    process.stderr.write(`\r${text.padEnd(lastLen)}${final ? '\n' : ''}`);
    lastLen = final ? 0 : text.length;
  } else if (final) process.stderr.write(`${text}\n`);
}
function log(text: string): void {
  if (isTty && lastLen) process.stderr.write('\n');
  lastLen = 0;
  process.stderr.write(`${text}\n`);
}

function versionOf(cmd: string, args: string[]): string | null {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    const e = err as { stderr?: string };
    return e.stderr?.trim() || null;
  }
}

async function environment(): Promise<BenchResults['environment']> {
  const nginxBin = findNginx();
  const apacheV = versionOf('apache2', ['-v']) ?? versionOf('/usr/sbin/apache2', ['-v']);
  return {
    cores: cores(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    totalMemMB: Math.round(os.totalmem() / 2 ** 20),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    pm2: (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'pm2', 'package.json'), 'utf8')) as { version: string }).version,
    apache: apacheV ? (/Apache\/[\d.]+/.exec(apacheV)?.[0] ?? apacheV.split('\n')[0]) : null,
    nginx: nginxBin ? ((await nginxVersion(nginxBin).catch(() => null)) ? `nginx/${await nginxVersion(nginxBin)}` : null) : null,
    autocannon: (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'autocannon', 'package.json'), 'utf8')) as { version: string }).version,
  };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.compare) {
    const { text, regressions } = compareResults(o.compare[0], o.compare[1], o.threshold);
    process.stdout.write(text);
    process.exitCode = regressions > 0 ? 1 : 0;
    return;
  }
  const workloads = loadTask(o.task);
  fs.mkdirSync(o.out, { recursive: true });
  const started = new Date();
  if (o.build) {
    log('bench: building dist/ (tsc -p tsconfig.build.json)');
    try {
      execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      // tsc still emits on type errors; a tree being edited by others may have some.
      if (!fs.existsSync(path.join(ROOT, 'dist', 'standalone.js'))) throw err;
      log(
        `bench: warning: tsc reported errors, using the emitted dist/:\n${String((err as { stdout?: Buffer }).stdout ?? '')
          .split('\n')
          .slice(0, 5)
          .join('\n')}`,
      );
    }
  }
  const env = await environment();
  const nApi = cores();
  // Service modes first: the baselines serve bodies captured from the first one.
  const order: ModeName[] = ['standalone', 'pm2-1', 'baseline-node', 'baseline-restify', 'pm2-N', 'nginx', 'apache'];
  const modes = order.filter((m) => o.modes.includes(m));
  if (modes.some((m) => m.startsWith('baseline')) && !modes.some((m) => !m.startsWith('baseline')))
    usage('the baselines need a service mode in the same run (their bodies come from it)');
  const results: WorkloadResult[] = [];
  const modeInfo: BenchResults['modes'] = [];
  const bodiesFile = path.join(o.out, 'baseline-bodies.json');
  let bodies: { show?: unknown; list?: unknown; listVolumes?: number } = {};
  let pmN: Pm2Deployment | undefined;
  const total = modes.reduce((n, m) => n + workloads.filter((w) => !m.startsWith('baseline') || READ_SCENARIOS.has(w.scenario)).length, 0);
  let done = 0;
  const failures: string[] = [];

  const runMode = async (mode: RunningMode) => {
    modeInfo.push({ name: mode.name, description: mode.description, url: mode.url, baseline: mode.baseline });
    const readCtx = new Map<string, Context>();
    for (const w of workloads) {
      if (mode.baseline && !READ_SCENARIOS.has(w.scenario)) continue;
      done++;
      const label = `[${done}/${total}] ${mode.name} ${workloadKey(w)}`;
      const step = (s: string) => progress(`${label}: ${s}`);
      step('context');
      try {
        let ctx: Context;
        if (mode.baseline) ctx = { project: 'baseline', token: 'bench:baseline', volumes: ['00000000-0000-0000-0000-000000000000'] };
        else {
          // Read-only workloads with the same context share it (they do not change it).
          const key = JSON.stringify(w.context);
          const cached = READ_SCENARIOS.has(w.scenario) ? readCtx.get(key) : undefined;
          ctx = cached ?? (await setupContext(mode.url, w));
          if (READ_SCENARIOS.has(w.scenario)) readCtx.set(key, ctx);
          if (READ_SCENARIOS.has(w.scenario) && !bodies.show && ctx.volumes.length > 0) {
            const c = new Client(mode.url, ctx.token, 1);
            bodies = {
              show: JSON.parse((await c.request('GET', `/v3/volumes/${ctx.volumes[0]}`)).body),
              list: JSON.parse((await c.request('GET', '/v3/volumes/detail')).body),
              listVolumes: ctx.volumes.length,
            };
            c.close();
            fs.writeFileSync(bodiesFile, JSON.stringify(bodies));
          }
        }
        const groups = await mode.groups();
        // The load generator (autocannon and the iteration loops run in this process) shares the cores.
        const sampler = sampleProcesses({ ...groups, loadgen: [process.pid] });
        step('running');
        const r = await runScenario(mode.url, w, ctx, step);
        const resources = sampler.stop();
        results.push({
          mode: mode.name,
          scenario: w.scenario,
          workload: workloadKey(w),
          runner: w.runner,
          context: w.context,
          path: READ_SCENARIOS.has(w.scenario) ? readPath(w, ctx) : undefined,
          ...r,
          resources,
        });
        progress(`${label}: ${r.throughput} ${r.unit}, p50 ${r.latency.p50} ms, p95 ${r.latency.p95} ms, p99 ${r.latency.p99} ms, ${r.failed} failed`, true);
      } catch (err) {
        const msg = `${mode.name} ${w.scenario}: ${(err as Error).message}`;
        failures.push(msg);
        log(`bench: FAILED ${msg}`);
      }
    }
  };

  const write = () => {
    const data: BenchResults = {
      schema: 1,
      tool: 'volume-api bench',
      profile: o.profile,
      task: path.relative(ROOT, o.task) || o.task,
      started: started.toISOString(),
      finished: new Date().toISOString(),
      environment: env,
      apiInstances: { 'pm2-1': 1, 'pm2-N': nApi },
      baselineBody: bodies.show
        ? { showBytes: JSON.stringify(bodies.show).length, listBytes: JSON.stringify(bodies.list).length, listVolumes: bodies.listVolumes }
        : undefined,
      modes: modeInfo,
      results,
      failures,
      targets: [],
    };
    data.targets = computeTargets(data);
    fs.writeFileSync(path.join(o.out, 'results.json'), `${JSON.stringify(data, null, 2)}\n`);
    fs.writeFileSync(path.join(o.out, 'report.html'), renderReport(data));
    return data;
  };

  try {
    for (const name of modes) {
      log(`bench: mode ${name}: starting`);
      let mode: RunningMode;
      try {
        if (name === 'standalone') mode = await startStandalone();
        else if (name === 'baseline-node' || name === 'baseline-restify') {
          if (!bodies.show) throw new Error('no bodies captured from a service mode (no read scenario ran)');
          mode = await startBaseline(name === 'baseline-node' ? 'node' : 'restify', bodiesFile);
        } else if (name === 'pm2-1') {
          const d = new Pm2Deployment(1);
          try {
            await d.start();
            const m = d.mode('pm2-1');
            mode = { ...m, stop: () => d.stop() };
          } catch (err) {
            await d.stop();
            throw err;
          }
        } else {
          if (!pmN) {
            pmN = new Pm2Deployment(nApi);
            await pmN.start();
          }
          mode = name === 'pm2-N' ? pmN.mode('pm2-N') : await startProxy(name, pmN, nApi);
        }
      } catch (err) {
        const msg = `${name}: cannot start: ${(err as Error).message}`;
        failures.push(msg);
        log(`bench: FAILED ${msg}`);
        continue;
      }
      try {
        await runMode(mode);
      } finally {
        await mode.stop();
      }
    }
  } finally {
    if (pmN) await pmN.stop();
    fs.rmSync(bodiesFile, { force: true });
  }
  const data = write();
  log(`bench: ${data.results.length} workloads, ${failures.length} failures; ${path.join(o.out, 'results.json')}, ${path.join(o.out, 'report.html')}`);
  for (const t of data.targets) log(`  target ${t.met === null ? 'n/a ' : t.met ? 'MET ' : 'MISS'} ${t.name}: ${t.measured ?? '-'} (want ${t.want})`);
  if (failures.length) process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
