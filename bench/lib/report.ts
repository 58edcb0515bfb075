/*
 * results.json's shape, the issue's targets computed from it, and the self-contained report.html
 * (inline SVG charts, no script, no network): throughput per mode, latency percentiles per mode, each
 * mode as a ratio to the baselines, the targets, and a comparison table.
 */
import type { Percentiles, GroupUsage } from './util';
import type { ScenarioResult } from './scenarios';
import type { Runner, Workload } from './tasks';

export interface WorkloadResult extends ScenarioResult {
  mode: string;
  scenario: string;
  workload: string;
  runner: Runner;
  context: Workload['context'];
  path?: string;
  resources: Record<string, GroupUsage>;
}

export interface Target {
  name: string;
  want: string;
  measured: string | null;
  met: boolean | null;
}

export interface BenchResults {
  schema: 1;
  tool: string;
  profile: string;
  task: string;
  started: string;
  finished: string;
  environment: {
    cores: number;
    cpuModel: string;
    totalMemMB: number;
    platform: string;
    node: string;
    pm2: string;
    apache: string | null;
    nginx: string | null;
    autocannon: string;
  };
  apiInstances: Record<string, number>;
  baselineBody?: { showBytes: number; listBytes: number; listVolumes?: number };
  modes: { name: string; description: string; url: string; baseline: boolean }[];
  results: WorkloadResult[];
  failures: string[];
  targets: Target[];
}

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

/** The first workload of a scenario (by workload label order) for a mode. */
function first(d: BenchResults, mode: string, scenario: string): WorkloadResult | undefined {
  return d.results.find((r) => r.mode === mode && r.scenario === scenario);
}

/**
 * Scaling can only show where there is an idle core: say where the machine's CPU went during the
 * N-instance run (API instances, worker, PM2 daemon, load generator), as % of one core.
 */
function cpuNote(t: Target, r: WorkloadResult | undefined, cores: number): void {
  if (!r || !t.measured) return;
  const parts = Object.entries(r.resources).map(([group, u]) => `${group} ${u.cpuPct}%`);
  t.measured += `; CPU during the ${r.mode} run: ${parts.join(', ')} of ${cores * 100}%`;
}

export function computeTargets(d: BenchResults): Target[] {
  const out: Target[] = [];
  const ratio = (name: string, a: [string, string], b: [string, string], min: number) => {
    const x = first(d, ...a);
    const y = first(d, ...b);
    const r = x && y && y.throughput > 0 ? x.throughput / y.throughput : null;
    out.push({
      name,
      want: `>= ${min}x`,
      measured: r === null ? null : `${r.toFixed(2)}x (${fmt(x!.throughput)} / ${fmt(y!.throughput)} req/s)`,
      met: r === null ? null : r >= min,
    });
  };
  const show = 'CinderVolumes.show_volume';
  const list = 'CinderVolumes.list_volumes';
  ratio('GET one volume, standalone vs bare Restify', ['standalone', show], ['baseline-restify', show], 0.4);
  ratio('Detail list, standalone vs bare Restify', ['standalone', list], ['baseline-restify', list], 0.5);
  ratio(`PM2 ${d.apiInstances['pm2-N']} instances vs 1, show`, ['pm2-N', show], ['pm2-1', show], 1.5);
  cpuNote(out[out.length - 1], first(d, 'pm2-N', show), d.environment.cores);
  ratio(`PM2 ${d.apiInstances['pm2-N']} instances vs 1, detail list`, ['pm2-N', list], ['pm2-1', list], 1.5);
  cpuNote(out[out.length - 1], first(d, 'pm2-N', list), d.environment.cores);
  ratio('Nginx vs direct (PM2 N), show', ['nginx', show], ['pm2-N', show], 0.75);
  ratio('Nginx vs direct (PM2 N), detail list', ['nginx', list], ['pm2-N', list], 0.8);
  ratio('Apache vs direct (PM2 N), show', ['apache', show], ['pm2-N', show], 0.5);
  ratio('Apache vs direct (PM2 N), detail list', ['apache', list], ['pm2-N', list], 0.8);
  for (const r of d.results) {
    if (r.scenario !== 'CinderVolumes.create_and_delete_volume' || r.runner.concurrency !== 2 || !r.timeToAvailable) continue;
    out.push({
      name: `create -> available p95 at concurrency 2, ${r.mode}`,
      want: '< 50 ms',
      measured: `${fmt(r.timeToAvailable.p95)} ms`,
      met: r.timeToAvailable.p95 < 50,
    });
  }
  const rss = d.results.filter((r) => !d.modes.find((m) => m.name === r.mode)?.baseline && r.resources.api);
  if (rss.length) {
    const worst = rss.reduce((a, b) => (b.resources.api.rssMaxMB > a.resources.api.rssMaxMB ? b : a));
    out.push({
      name: 'RSS per API process (largest seen)',
      want: '< 80 MB',
      measured: `${worst.resources.api.rssMaxMB} MB (${worst.mode}, ${worst.scenario})`,
      met: worst.resources.api.rssMaxMB < 80,
    });
  }
  return out;
}

const COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f'];

interface Bar {
  label: string;
  values: number[];
}

/** A horizontal (grouped) bar chart as inline SVG. */
export function barChart(title: string, bars: Bar[], series: string[], unit: string, refLine?: number): string {
  const rowH = 16 * series.length + 8;
  const left = 150;
  const width = 720;
  const plotW = width - left - 90;
  const top = 28;
  const legendH = series.length > 1 ? 20 : 0;
  const height = top + bars.length * rowH + legendH + 24;
  const max = Math.max(1e-9, refLine ?? 0, ...bars.flatMap((b) => b.values.filter(Number.isFinite)));
  const x = (v: number) => (v / max) * plotW;
  const parts: string[] = [
    `<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}">`,
    `<title>${esc(title)}</title>`,
    `<text x="0" y="16" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  bars.forEach((b, i) => {
    const y0 = top + i * rowH;
    parts.push(`<text x="${left - 6}" y="${y0 + rowH / 2 + 4}" font-size="12" text-anchor="end">${esc(b.label)}</text>`);
    b.values.forEach((v, j) => {
      if (!Number.isFinite(v)) return;
      const y = y0 + 4 + j * 16;
      parts.push(
        `<rect x="${left}" y="${y}" width="${Math.max(1, x(v)).toFixed(1)}" height="13" fill="${COLORS[j % COLORS.length]}"><title>${esc(`${b.label} ${series[j] ?? ''}: ${fmt(v)} ${unit}`)}</title></rect>`,
      );
      parts.push(`<text x="${(left + x(v) + 4).toFixed(1)}" y="${y + 11}" font-size="11">${fmt(v)}${unit === 'x' ? 'x' : ''}</text>`);
    });
  });
  if (refLine !== undefined) {
    const rx = left + x(refLine);
    parts.push(`<line x1="${rx}" y1="${top - 4}" x2="${rx}" y2="${top + bars.length * rowH}" stroke="#333" stroke-dasharray="4 3"/>`);
  }
  const axisY = top + bars.length * rowH + 14;
  parts.push(
    `<text x="${left}" y="${axisY}" font-size="11" fill="#555">0</text><text x="${left + plotW}" y="${axisY}" font-size="11" fill="#555" text-anchor="end">${fmt(max)} ${esc(unit)}</text>`,
  );
  if (series.length > 1) {
    series.forEach((s, j) => {
      const lx = left + j * 90;
      parts.push(
        `<rect x="${lx}" y="${axisY + 8}" width="10" height="10" fill="${COLORS[j % COLORS.length]}"/><text x="${lx + 14}" y="${axisY + 17}" font-size="11">${esc(s)}</text>`,
      );
    });
  }
  parts.push('</svg>');
  return parts.join('\n');
}

function pct(p: Percentiles | undefined): string {
  return p ? `${fmt(p.p50)} / ${fmt(p.p95)} / ${fmt(p.p99)}` : '';
}

export function renderReport(d: BenchResults): string {
  const workloads = [...new Set(d.results.map((r) => r.workload))];
  const modes = d.modes.map((m) => m.name);
  const sections: string[] = [];
  for (const w of workloads) {
    const rows = d.results.filter((r) => r.workload === w);
    const unit = rows[0].unit;
    const charts: string[] = [];
    charts.push(
      barChart(
        `Throughput (${unit})`,
        rows.map((r) => ({ label: r.mode, values: [r.throughput] })),
        [unit],
        unit,
      ),
    );
    charts.push(
      barChart(
        'Latency (ms)',
        rows.map((r) => ({ label: r.mode, values: [r.latency.p50, r.latency.p90, r.latency.p95, r.latency.p99] })),
        ['p50', 'p90', 'p95', 'p99'],
        'ms',
      ),
    );
    const bases = rows.filter((r) => r.mode.startsWith('baseline'));
    for (const b of bases) {
      if (b.throughput <= 0) continue;
      charts.push(
        barChart(
          `Ratio to ${b.mode} throughput`,
          rows.map((r) => ({ label: r.mode, values: [r.throughput / b.throughput] })),
          ['ratio'],
          'x',
          1,
        ),
      );
    }
    const withTta = rows.filter((r) => r.timeToAvailable);
    if (withTta.length)
      charts.push(
        barChart(
          'Time to available (ms)',
          withTta.map((r) => ({ label: r.mode, values: [r.timeToAvailable!.p50, r.timeToAvailable!.p95, r.timeToAvailable!.p99] })),
          ['p50', 'p95', 'p99'],
          'ms',
        ),
      );
    sections.push(
      `<section><h2>${esc(w)}</h2>${rows[0].path ? `<p>GET <code>${esc(rows[0].path)}</code>, ${rows[0].responseBytes ?? '?'} bytes per response</p>` : ''}<div class="charts">${charts.join('\n')}</div></section>`,
    );
  }
  const table = `<table><thead><tr><th>workload</th><th>mode</th><th>throughput</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>max</th><th>ok</th><th>errors</th><th>create→available p50/p95/p99 ms</th><th>API RSS max MB</th><th>API CPU %</th><th>worker CPU %</th><th>PM2 daemon CPU %</th><th>load generator CPU %</th><th>proxy RSS MB / CPU %</th></tr></thead><tbody>
${d.results
  .map((r) => {
    const errs = Object.entries(r.errors)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ');
    const px = r.resources.proxy;
    return `<tr><td>${esc(r.workload)}</td><td>${esc(r.mode)}</td><td class="n">${fmt(r.throughput)} ${r.unit}</td><td class="n">${fmt(r.latency.p50)}</td><td class="n">${fmt(r.latency.p90)}</td><td class="n">${fmt(r.latency.p95)}</td><td class="n">${fmt(r.latency.p99)}</td><td class="n">${fmt(r.latency.max)}</td><td class="n">${r.ok}</td><td class="${r.failed ? 'bad' : ''}">${r.failed ? esc(errs) : '0'}</td><td class="n">${pct(r.timeToAvailable)}</td><td class="n">${r.resources.api?.rssMaxMB ?? ''}</td><td class="n">${r.resources.api?.cpuPct ?? ''}</td><td class="n">${r.resources.worker?.cpuPct ?? ''}</td><td class="n">${r.resources.pm2?.cpuPct ?? ''}</td><td class="n">${r.resources.loadgen?.cpuPct ?? ''}</td><td class="n">${px ? `${px.rssTotalMB} / ${px.cpuPct}` : ''}</td></tr>`;
  })
  .join('\n')}
</tbody></table>`;
  const targets = `<table><thead><tr><th>target</th><th>want</th><th>measured</th><th>status</th></tr></thead><tbody>${d.targets.map((t) => `<tr><td>${esc(t.name)}</td><td>${esc(t.want)}</td><td>${esc(t.measured ?? 'not measured')}</td><td class="${t.met === false ? 'bad' : t.met ? 'good' : ''}">${t.met === null ? 'n/a' : t.met ? 'met' : 'not met'}</td></tr>`).join('')}</tbody></table>`;
  const e = d.environment;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>volume-api benchmark ${esc(d.started)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
table{border-collapse:collapse;font-size:12px;margin:12px 0}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.bad{background:#fdd}.good{background:#dfd}
.charts{display:flex;flex-wrap:wrap;gap:16px}
svg.chart{background:#fafafa;border:1px solid #eee}
code{background:#f4f4f4;padding:1px 3px}
</style>
</head>
<body>
<h1>volume-api benchmark</h1>
<p>Profile <b>${esc(d.profile)}</b> (${esc(d.task)}), ${esc(d.started)} – ${esc(d.finished)}.
${e.cores} cores (${esc(e.cpuModel)}), ${e.totalMemMB} MB, ${esc(e.platform)}; Node ${esc(e.node)}, PM2 ${esc(e.pm2)}, ${esc(e.apache ?? 'no Apache')}, ${esc(e.nginx ?? 'no nginx')}, autocannon ${esc(e.autocannon)}.
Load generator and services share the machine.</p>
<p>Modes: ${d.modes.map((m) => `<b>${esc(m.name)}</b>: ${esc(m.description)}`).join('; ')}.</p>
${d.baselineBody ? `<p>Baselines answer with bodies captured from the service: one volume ${d.baselineBody.showBytes} bytes, detail list of ${d.baselineBody.listVolumes ?? '?'} volumes ${d.baselineBody.listBytes} bytes.</p>` : ''}
${d.failures.length ? `<p class="bad">Failures: ${d.failures.map(esc).join('<br>')}</p>` : ''}
<h2>Targets</h2>
${targets}
${sections.join('\n')}
<h2>Comparison table</h2>
<p>Latency in ms; CPU in % of one core over the workload; modes: ${modes.map(esc).join(', ')}.</p>
${table}
</body>
</html>
`;
}
