/*
 * The real Rally (Debian `rally` + `python3-rally-openstack`) against our API through Keystone.
 *
 * Rally only finds a volume API through Keystone's catalog (service type `block-storage`, region
 * RegionOne, public interface), so a run needs: a Keystone whose catalog points at the API under test,
 * an "existing" Rally environment with an admin and one ordinary user (so that Rally creates no users,
 * which would need Neutron), and a private Rally database. Polling is 0.1 s before the first poll, then
 * every 0.2 s, so numbers compare with the real Cinder's in docs/performance.md (measured with the same
 * polling); the sleeps are inside Rally's timed actions.
 *
 * The task file is Rally's format version 2 with the three CinderVolumes scenarios of issue 9, each
 * with `sla: failure_rate max 0`, and no `users:` context options.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const RALLY = '/usr/bin/rally';
export const RALLY_PACKAGES = ['rally', 'python3-rally-openstack'];

export const RALLY_SCENARIOS = ['CinderVolumes.list_volumes', 'CinderVolumes.create_and_delete_volume', 'CinderVolumes.create_and_list_volume'] as const;

export interface RallyCredentials {
  username: string;
  password: string;
  project_name: string;
  user_domain_name?: string;
  project_domain_name?: string;
}

export interface RallyRunOptions {
  /** A private directory for rally.conf, its database, the task and the reports. */
  dir: string;
  /** Keystone's base URL (`/v3` is added). */
  authUrl: string;
  admin: RallyCredentials;
  user: RallyCredentials;
  times: number;
  concurrency: number;
  /** Seconds before the first status poll and between polls (Rally's defaults are 2.0 and 2.0). */
  prepoll?: number;
  poll?: number;
}

export interface RallyActionRow {
  scenario: string;
  action: string;
  count: number;
  success: string;
  min: number | null;
  median: number | null;
  p90: number | null;
  p95: number | null;
  max: number | null;
  avg: number | null;
}

export interface RallyRunResult {
  taskUuid: string;
  iterations: number;
  failedIterations: number;
  /** First few error messages of failed iterations. */
  errors: string[];
  slaPassed: boolean;
  rows: RallyActionRow[];
  htmlReport: string;
  jsonReport: string;
}

export function missingRallyPackages(): string[] {
  return fs.existsSync(RALLY) ? [] : RALLY_PACKAGES;
}

/** Rally's task file (format version 2), one subtask per scenario. */
export function rallyTask(times: number, concurrency: number): unknown {
  const runner = { constant: { times, concurrency } };
  const sla = { failure_rate: { max: 0 } };
  const args: Record<string, Record<string, unknown>> = {
    'CinderVolumes.list_volumes': { detailed: true },
    'CinderVolumes.create_and_delete_volume': { size: 1 },
    'CinderVolumes.create_and_list_volume': { size: 1, detailed: true },
  };
  return {
    version: 2,
    title: 'volume-api: CinderVolumes',
    subtasks: RALLY_SCENARIOS.map((name) => ({ title: name, workloads: [{ scenario: { [name]: args[name] }, runner, sla }] })),
  };
}

function run(args: string[], opts: { cwd: string; timeoutMs: number }): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(RALLY, args, { cwd: opts.cwd, env: { ...process.env, HOME: opts.cwd }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** Rally's per-action statistics from `rally task report --json`. */
export function actionRows(report: any): RallyActionRow[] {
  const rows: RallyActionRow[] = [];
  const num = (v: unknown) => (typeof v === 'number' ? Math.round(v * 1000) / 1000 : null);
  for (const task of report.tasks ?? []) {
    for (const sub of task.subtasks ?? []) {
      for (const w of sub.workloads ?? []) {
        const scenario = Object.keys(w.scenario ?? {})[0] ?? sub.title;
        const d = w.statistics?.durations ?? {};
        for (const a of [...(d.atomics ?? []), ...(d.total ? [d.total] : [])]) {
          const x = a.data ?? {};
          rows.push({
            scenario,
            action: a.display_name ?? a.name,
            count: x.iteration_count ?? 0,
            success: String(x.success ?? ''),
            min: num(x.min),
            median: num(x.median),
            p90: num(x['90%ile']),
            p95: num(x['95%ile']),
            max: num(x.max),
            avg: num(x.avg),
          });
        }
      }
    }
  }
  return rows;
}

export function formatRows(rows: RallyActionRow[]): string {
  const head = ['scenario', 'action', 'min', 'median', '90%ile', '95%ile', 'max', 'avg', 'success', 'count'];
  const cells = rows.map((r) =>
    [r.scenario, r.action, r.min, r.median, r.p90, r.p95, r.max, r.avg, r.success, r.count].map((v) => (v === null ? 'n/a' : String(v))),
  );
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((v, i) => (i < 2 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** Creates the Rally database and environment, runs the task, writes the HTML and JSON reports. */
export async function runRally(o: RallyRunOptions): Promise<RallyRunResult> {
  fs.mkdirSync(o.dir, { recursive: true });
  const conf = path.join(o.dir, 'rally.conf');
  fs.writeFileSync(
    conf,
    [
      '[DEFAULT]',
      `log_file = ${path.join(o.dir, 'rally.log')}`,
      '[database]',
      `connection = sqlite:///${path.join(o.dir, 'rally.sqlite')}`,
      '[openstack]',
      `cinder_volume_create_prepoll_delay = ${o.prepoll ?? 0.1}`,
      `cinder_volume_create_poll_interval = ${o.poll ?? 0.2}`,
      `cinder_volume_delete_poll_interval = ${o.poll ?? 0.2}`,
      'cinder_volume_create_timeout = 120',
      'cinder_volume_delete_timeout = 120',
      '',
    ].join('\n'),
  );
  const rally = async (args: string[], timeoutMs = 120000) => {
    const r = await run(['--config-file', conf, ...args], { cwd: o.dir, timeoutMs });
    if (r.code !== 0) throw new Error(`rally ${args.join(' ')} exited ${r.code}:\n${r.out.split('\n').slice(-25).join('\n')}`);
    return r.out;
  };
  const cred = (c: RallyCredentials) => ({
    username: c.username,
    password: c.password,
    project_name: c.project_name,
    user_domain_name: c.user_domain_name ?? 'Default',
    project_domain_name: c.project_domain_name ?? 'Default',
  });
  const spec = {
    'existing@openstack': {
      auth_url: `${o.authUrl.replace(/\/+$/, '')}/v3`,
      region_name: 'RegionOne',
      endpoint_type: 'public',
      admin: cred(o.admin),
      users: [cred(o.user)],
    },
  };
  const specFile = path.join(o.dir, 'env.json');
  fs.writeFileSync(specFile, JSON.stringify(spec, null, 2));
  const taskFile = path.join(o.dir, 'task.json');
  fs.writeFileSync(taskFile, JSON.stringify(rallyTask(o.times, o.concurrency), null, 2));

  await rally(['db', 'create']);
  await rally(['env', 'create', '--name', 'volume-api', '--spec', specFile]);
  await rally(['env', 'check']);
  // `task start` exits 1 when an SLA fails; the report still tells which iterations failed and why.
  const started = await run(['--config-file', conf, 'task', 'start', '--task', taskFile], { cwd: o.dir, timeoutMs: 30 * 60000 });
  const uuid = /Task\s+([0-9a-f-]{36})/.exec(started.out)?.[1];
  if (!uuid) throw new Error(`rally task start printed no task id (exit ${started.code}):\n${started.out.split('\n').slice(-30).join('\n')}`);
  const htmlReport = path.join(o.dir, 'report.html');
  const jsonReport = path.join(o.dir, 'report.json');
  await rally(['task', 'report', '--uuid', uuid, '--html-static', '--out', htmlReport]);
  await rally(['task', 'report', '--uuid', uuid, '--json', '--out', jsonReport]);
  const report = JSON.parse(fs.readFileSync(jsonReport, 'utf8'));
  let iterations = 0;
  let failed = 0;
  let slaPassed = true;
  const errors: string[] = [];
  for (const task of report.tasks ?? []) {
    for (const sub of task.subtasks ?? []) {
      for (const w of sub.workloads ?? []) {
        if (w.pass_sla === false) slaPassed = false;
        for (const it of w.data ?? []) {
          iterations++;
          if (it.error && it.error.length) {
            failed++;
            if (errors.length < 5) errors.push(String(it.error.slice(0, 2).join(': ')));
          }
        }
      }
    }
  }
  return { taskUuid: uuid, iterations, failedIterations: failed, errors, slaPassed, rows: actionRows(report), htmlReport, jsonReport };
}
