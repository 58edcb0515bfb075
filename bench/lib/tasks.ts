/*
 * The subset of Rally's task format the benchmark accepts (JSON):
 *
 *   { "CinderVolumes.list_volumes": [ { "args": {"detailed": true},
 *       "runner": {"type": "constant", "times": 2000, "concurrency": 8},
 *       "context": {"users": {"tenants": 1, "users_per_tenant": 1}, "volumes": {"size": 1, "volumes_per_tenant": 100}} } ] }
 *
 * Runners: `constant` (times, concurrency) and Rally's `constant_for_duration` (duration in seconds,
 * concurrency); our extension `warmup` (seconds of unmeasured load before read scenarios, default 1).
 * Contexts: `users` (one project per workload; more tenants are not modelled) and `volumes`.
 * Unknown scenarios, runner types or contexts are refused with the key named.
 */
import fs from 'node:fs';
import { SCENARIOS } from './scenarios';

export interface Runner {
  type: 'constant' | 'constant_for_duration';
  times?: number;
  duration?: number;
  concurrency: number;
  warmup?: number;
}

export interface Workload {
  scenario: string;
  args: Record<string, unknown>;
  runner: Runner;
  context: { users?: { tenants?: number; users_per_tenant?: number }; volumes?: { size?: number; volumes_per_tenant?: number } };
}

function fail(where: string, msg: string): never {
  throw new Error(`task ${where}: ${msg}`);
}

export function parseTask(text: string, file = 'task'): Workload[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    fail(file, `not JSON: ${(err as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) fail(file, 'must be an object of scenario name -> workloads');
  const out: Workload[] = [];
  for (const [scenario, list] of Object.entries(doc as Record<string, unknown>)) {
    if (scenario.startsWith('_')) continue; // comments
    if (!SCENARIOS.includes(scenario)) fail(`${file} ${scenario}`, `unknown scenario (supported: ${SCENARIOS.join(', ')})`);
    if (!Array.isArray(list)) fail(`${file} ${scenario}`, 'must be a list of workloads');
    list.forEach((raw: Record<string, unknown>, i: number) => {
      const where = `${file} ${scenario}[${i}]`;
      const runner = (raw.runner ?? {}) as Partial<Runner>;
      if (runner.type !== 'constant' && runner.type !== 'constant_for_duration')
        fail(`${where}.runner.type`, `"${String(runner.type)}" (supported: constant, constant_for_duration)`);
      const concurrency = Number(runner.concurrency ?? 1);
      if (!Number.isInteger(concurrency) || concurrency < 1) fail(`${where}.runner.concurrency`, 'must be a positive integer');
      if (runner.type === 'constant' && !(Number(runner.times) >= 1)) fail(`${where}.runner.times`, 'must be >= 1');
      if (runner.type === 'constant_for_duration' && !(Number(runner.duration) > 0)) fail(`${where}.runner.duration`, 'must be > 0');
      const context = (raw.context ?? {}) as Workload['context'];
      for (const k of Object.keys(context))
        if (k !== 'users' && k !== 'volumes') fail(`${where}.context.${k}`, 'unsupported context (supported: users, volumes)');
      out.push({
        scenario,
        args: (raw.args ?? {}) as Record<string, unknown>,
        runner: {
          type: runner.type,
          concurrency,
          times: runner.type === 'constant' ? Number(runner.times) : undefined,
          duration: runner.type === 'constant_for_duration' ? Number(runner.duration) : undefined,
          warmup: runner.warmup === undefined ? undefined : Number(runner.warmup),
        },
        context,
      });
    });
  }
  if (out.length === 0) fail(file, 'no workloads');
  return out;
}

export function loadTask(file: string): Workload[] {
  return parseTask(fs.readFileSync(file, 'utf8'), file);
}

/** A short label of a workload: scenario and runner. */
export function workloadKey(w: Workload): string {
  const r = w.runner;
  return `${w.scenario} (${r.type === 'constant' ? `times=${r.times}` : `duration=${r.duration}s`}, concurrency=${r.concurrency}${w.context.volumes?.volumes_per_tenant ? `, volumes=${w.context.volumes.volumes_per_tenant}` : ''})`;
}
