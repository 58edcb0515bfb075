/*
 * Service processes for functional tests: `src/server.ts` and `src/worker.ts` run under tsx in their own
 * process group (a kill takes what they spawned too), their JSON log lines collected, started when a log
 * line says so. `killAll` in an afterEach hook stops whatever a test started, whatever the outcome.
 * Plus the checks such tests make on the shared store afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Store } from '../../src/db/store';
import { PROJECT_ID } from './server';

const ROOT = path.resolve(__dirname, '..', '..');

export type LogLine = Record<string, unknown> & { msg: string };

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  lines: LogLine[];
  alive: boolean;
  exited: Promise<void>;
}

/** Starts `src/<entry>.ts` with exactly `env` (plus PATH); resolves once `ready` accepts a log line. */
export function startServiceProcess(
  procs: ServiceProcess[],
  name: string,
  entry: 'server' | 'worker',
  env: Record<string, string>,
  ready: (line: LogLine) => boolean,
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--disable-warning=DEP0111', `src/${entry}.ts`], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const p: ServiceProcess = { name, child, pid: child.pid!, lines: [], alive: true, exited: Promise.resolve() };
  p.exited = new Promise((resolve) =>
    child.on('exit', () => {
      p.alive = false;
      resolve();
    }),
  );
  procs.push(p);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let buf = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start; stderr: ${stderr}`)), 60000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const text = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let line: LogLine;
        try {
          line = JSON.parse(text) as LogLine;
        } catch {
          continue; // not a log line
        }
        p.lines.push(line);
        if (ready(line)) {
          clearTimeout(timer);
          resolve(p);
        }
      }
    });
    void p.exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${name} exited before it was ready; stderr: ${stderr}`));
    });
  });
}

/** SIGKILL to every process group still alive; empties `procs`. */
export async function killAll(procs: ServiceProcess[]): Promise<void> {
  for (const p of procs.splice(0)) {
    if (!p.alive) continue;
    try {
      process.kill(-p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await p.exited;
  }
}

/** The port an API process logged when it started listening. */
export function listeningPort(p: ServiceProcess): number {
  return Number(p.lines.find((l) => typeof l.port === 'number' && /listening/.test(l.msg))!.port);
}

export const isListening = (l: LogLine): boolean => typeof l.port === 'number' && /listening/.test(l.msg);
export const isWorkerRunning = (l: LogLine): boolean => l.msg === 'volume-worker running';

/** One API call as admin of PROJECT_ID; the body parsed when there is one. */
export async function apiCall(port: number, method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${port}${urlPath}`, {
    method,
    headers: { 'X-Auth-Token': `admin:${PROJECT_ID}`, Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

export async function waitUntil<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Resolves once no operation is pending or running (the workers have caught up). */
export async function allOperationsFinished(store: Store, timeoutMs = 60000): Promise<void> {
  await waitUntil(
    'all operations finished',
    async () => {
      const open = await store.db.selectFrom('operations').select('id').where('state', 'in', ['pending', 'running']).execute();
      return open.length === 0 ? true : undefined;
    },
    timeoutMs,
  );
}

/** PROJECT_ID's usage as the quota rows say, and as its live volume rows say. */
export async function usageAndRows(store: Store): Promise<{ volumes: number; gigabytes: number; rows: number; rowsGb: number }> {
  const usage = await store.db.selectFrom('quota_usages').select(['resource', 'in_use']).where('project_id', '=', PROJECT_ID).execute();
  const byResource = Object.fromEntries(usage.map((u) => [u.resource, u.in_use]));
  const live = await store.db
    .selectFrom('volumes')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.coalesce(eb.fn.sum<number>('size'), eb.lit(0)).as('gb')])
    .where('project_id', '=', PROJECT_ID)
    .where('deleted', '=', 0)
    .executeTakeFirstOrThrow();
  return { volumes: byResource.volumes ?? 0, gigabytes: byResource.gigabytes ?? 0, rows: Number(live.n), rowsGb: Number(live.gb) };
}
