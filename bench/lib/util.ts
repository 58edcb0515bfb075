/*
 * Small helpers of the benchmark: ports, a keep-alive HTTP client with timings, percentiles, and
 * process sampling from /proc (RSS, CPU time) for the service processes of a mode.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export { freePort } from '../../test/lib/ports';

export interface HttpResponse {
  status: number;
  body: string;
  ms: number;
}

/** A keep-alive client for the iteration scenarios (one agent per run, sized to the concurrency). */
export class Client {
  readonly agent: http.Agent;
  constructor(
    readonly base: string,
    readonly token: string,
    maxSockets = 16,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  request(method: string, path: string, body?: unknown): Promise<HttpResponse> {
    const url = new URL(path, this.base);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { 'X-Auth-Token': this.token, Accept: 'application/json' };
    if (payload !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const t0 = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
      const req = http.request(url, { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.setTimeout(30000, () => req.destroy(new Error('timeout')));
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface Percentiles {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of millisecond samples (rounded to 0.01 ms). */
export function percentiles(samples: number[]): Percentiles {
  const s = Float64Array.from(samples).sort();
  const at = (p: number) => (s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]);
  const r = (x: number) => Math.round(x * 100) / 100;
  let sum = 0;
  for (const x of s) sum += x;
  return {
    count: s.length,
    mean: r(s.length ? sum / s.length : 0),
    p50: r(at(50)),
    p90: r(at(90)),
    p95: r(at(95)),
    p99: r(at(99)),
    max: r(s.length ? s[s.length - 1] : 0),
  };
}

const CLK_TCK = 100;
const PAGE = 4096;

/** utime+stime (seconds) and RSS (bytes) of a process, or undefined when it is gone. */
export function procStat(pid: number): { cpuS: number; rss: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields after the name: state(0) ppid(1) ... utime(11) stime(12) ... rss(21)
    return { cpuS: (Number(f[11]) + Number(f[12])) / CLK_TCK, rss: Number(f[21]) * PAGE };
  } catch {
    return undefined;
  }
}

/** Pids whose command line contains `needle` (e.g. a private proxy directory). */
export function pidsMatching(needle: string): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(needle)) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

export interface GroupUsage {
  pids: number[];
  /** Largest RSS of one process during the run, MB. */
  rssMaxMB: number;
  /** Sum of the processes' RSS at the end, MB. */
  rssTotalMB: number;
  /** CPU of all the processes together, % of one core, over the run. */
  cpuPct: number;
}

export type ProcessGroups = Record<string, number[]>;

/** Samples RSS every 200 ms and CPU time at start and end, per group of processes. */
export function sampleProcesses(groups: ProcessGroups): { stop(): Record<string, GroupUsage> } {
  const t0 = process.hrtime.bigint();
  const start = new Map<number, number>();
  const maxRss = new Map<number, number>();
  const all = Object.values(groups).flat();
  const tick = () => {
    for (const pid of all) {
      const s = procStat(pid);
      if (s) maxRss.set(pid, Math.max(maxRss.get(pid) ?? 0, s.rss));
    }
  };
  for (const pid of all) {
    const s = procStat(pid);
    if (s) {
      start.set(pid, s.cpuS);
      maxRss.set(pid, s.rss);
    }
  }
  const timer = setInterval(tick, 200);
  return {
    stop() {
      clearInterval(timer);
      tick();
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const out: Record<string, GroupUsage> = {};
      for (const [name, pids] of Object.entries(groups)) {
        let cpu = 0;
        let rssMax = 0;
        let rssTotal = 0;
        for (const pid of pids) {
          const s = procStat(pid);
          if (!s) continue;
          cpu += s.cpuS - (start.get(pid) ?? s.cpuS);
          rssMax = Math.max(rssMax, maxRss.get(pid) ?? 0);
          rssTotal += s.rss;
        }
        out[name] = { pids, rssMaxMB: round1(rssMax / 2 ** 20), rssTotalMB: round1(rssTotal / 2 ** 20), cpuPct: round1(wall > 0 ? (cpu / wall) * 100 : 0) };
      }
      return out;
    },
  };
}

export const round1 = (x: number) => Math.round(x * 10) / 10;
export const round2 = (x: number) => Math.round(x * 100) / 100;

export function cores(): number {
  return os.availableParallelism?.() ?? os.cpus().length;
}
