/*
 * `npm run bench -- --compare A.json B.json`: B against A for every (mode, workload) in both; a
 * throughput drop or a p95/p99 rise beyond the threshold (percent, default 10) is a regression.
 */
import fs from 'node:fs';
import type { BenchResults, WorkloadResult } from './report';

const color = process.stdout.isTTY ? (c: number, s: string) => `\x1b[${c}m${s}\x1b[0m` : (_c: number, s: string) => s;

export function compareResults(fileA: string, fileB: string, thresholdPct = 10): { text: string; regressions: number } {
  const a = JSON.parse(fs.readFileSync(fileA, 'utf8')) as BenchResults;
  const b = JSON.parse(fs.readFileSync(fileB, 'utf8')) as BenchResults;
  const key = (r: WorkloadResult) => `${r.mode}\t${r.workload}`;
  const byKey = new Map(a.results.map((r) => [key(r), r]));
  const lines: string[] = [
    `A: ${fileA} (${a.started}, ${a.profile})`,
    `B: ${fileB} (${b.started}, ${b.profile})`,
    `regression: throughput -${thresholdPct}% or p95/p99 +${thresholdPct}%`,
    '',
  ];
  const head = ['mode', 'workload', 'thr A', 'thr B', 'Δthr', 'p95 A', 'p95 B', 'Δp95', 'p99 A', 'p99 B', 'Δp99', ''];
  const rows: string[][] = [];
  let regressions = 0;
  const delta = (x: number, y: number) => (x > 0 ? ((y - x) / x) * 100 : 0);
  const sign = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(1)}%`;
  for (const rb of b.results) {
    const ra = byKey.get(key(rb));
    if (!ra) continue;
    const dt = delta(ra.throughput, rb.throughput);
    const d95 = delta(ra.latency.p95, rb.latency.p95);
    const d99 = delta(ra.latency.p99, rb.latency.p99);
    const bad = dt < -thresholdPct || d95 > thresholdPct || d99 > thresholdPct;
    const better = dt > thresholdPct && d95 <= 0;
    if (bad) regressions++;
    rows.push([
      rb.mode,
      rb.workload,
      ra.throughput.toFixed(1),
      rb.throughput.toFixed(1),
      sign(dt),
      ra.latency.p95.toFixed(2),
      rb.latency.p95.toFixed(2),
      sign(d95),
      ra.latency.p99.toFixed(2),
      rb.latency.p99.toFixed(2),
      sign(d99),
      bad ? 'REGRESSION' : better ? 'improved' : '',
    ]);
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmtRow = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
  lines.push(fmtRow(head));
  for (const r of rows) {
    const line = fmtRow(r);
    lines.push(r[11] === 'REGRESSION' ? color(31, line) : r[11] === 'improved' ? color(32, line) : line);
  }
  const onlyA = a.results.filter((r) => !b.results.some((x) => key(x) === key(r))).length;
  const onlyB = b.results.filter((r) => !byKey.has(key(r))).length;
  lines.push('', `${rows.length} compared, ${regressions} regression(s)${onlyA || onlyB ? `; ${onlyA} only in A, ${onlyB} only in B` : ''}`, '');
  return { text: lines.join('\n'), regressions };
}
