/*
 * `npm run bench` end to end on the tiny profile (bench/tasks/tiny.json: standalone and the bare
 * Restify baseline, two scenarios, a few seconds) into a temporary directory: results.json has the
 * documented structure and report.html is a complete HTML document with its inline SVG charts. No
 * timing assertions: this machine's speed is not under test. Also the task parser and --compare.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { compareResults } from '../../bench/lib/compare';
import type { BenchResults } from '../../bench/lib/report';
import { parseTask } from '../../bench/lib/tasks';

const ROOT = path.resolve(__dirname, '..', '..');
const run = promisify(execFile);

describe('benchmark (npm run bench, tiny profile)', function () {
  this.timeout(180000);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'volume-api-bench-test-'));
  let data: BenchResults;
  let html: string;
  let stderr: string;

  before(async () => {
    const r = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'run.ts'), '--tiny', '--out', out], {
      cwd: ROOT,
      env: { ...process.env, BENCH_PROFILE: 'tiny' },
      maxBuffer: 16 * 1024 * 1024,
    });
    stderr = r.stderr;
    data = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as BenchResults;
    html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
  });
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('writes results.json with the environment, the modes and one result per mode and workload', () => {
    expect(data.schema).to.equal(1);
    expect(data.profile).to.equal('tiny');
    expect(data.environment.cores).to.be.a('number').and.at.least(1);
    expect(data.environment.node).to.equal(process.version);
    expect(data.environment).to.have.property('apache');
    expect(data.environment).to.have.property('nginx');
    expect(data.failures).to.deep.equal([]);
    expect(data.modes.map((m) => m.name)).to.have.members(['standalone', 'baseline-restify']);
    const keys = data.results.map((r) => `${r.mode} ${r.scenario}`);
    expect(keys).to.have.members([
      'standalone CinderVolumes.show_volume',
      'standalone CinderVolumes.create_and_delete_volume',
      'baseline-restify CinderVolumes.show_volume',
    ]);
    for (const r of data.results) {
      expect(r.ok, r.workload).to.be.greaterThan(0);
      expect(r.failed).to.equal(0);
      expect(r.errors).to.deep.equal({});
      expect(r.throughput).to.be.greaterThan(0);
      for (const k of ['p50', 'p90', 'p95', 'p99', 'max']) expect(r.latency, k).to.have.property(k).that.is.a('number');
      expect(r.latency.p50).to.be.at.most(r.latency.p99);
      expect(r.resources.api.pids).to.have.length.greaterThan(0);
      expect(r.resources.api.rssMaxMB).to.be.greaterThan(0);
    }
    const create = data.results.find((r) => r.scenario === 'CinderVolumes.create_and_delete_volume')!;
    expect(create.unit).to.equal('iter/s');
    expect(create.timeToAvailable!.count).to.equal(3);
    expect(create.actions).to.have.keys(['cinder_v3.create_volume', 'cinder_v3.wait_available', 'cinder_v3.delete_volume', 'cinder_v3.wait_deleted']);
    expect(data.targets.map((t) => t.name)).to.include('GET one volume, standalone vs bare Restify');
    expect(stderr).to.match(/\[1\/3\] standalone CinderVolumes\.show_volume/);
  });

  it('writes a self-contained report.html with inline SVG charts', () => {
    expect(html.startsWith('<!DOCTYPE html>')).to.equal(true);
    expect(html).to.match(/<html lang="en">[\s\S]*<head>[\s\S]*<\/head>\s*<body>[\s\S]*<\/body>\s*<\/html>\s*$/);
    expect((html.match(/<svg /g) ?? []).length).to.be.at.least(4);
    expect((html.match(/<svg /g) ?? []).length).to.equal((html.match(/<\/svg>/g) ?? []).length);
    for (const title of ['Throughput (req/s)', 'Latency (ms)', 'Ratio to baseline-restify throughput', 'Time to available (ms)', 'Comparison table'])
      expect(html).to.include(title);
    // No network: no external scripts, styles or images.
    expect(html).to.not.match(/<script|<link|src="http|href="http/);
  });

  it('compares two results files and flags regressions', () => {
    const b = structuredClone(data);
    b.results[0].throughput = data.results[0].throughput / 2;
    const fileB = path.join(out, 'b.json');
    fs.writeFileSync(fileB, JSON.stringify(b));
    const same = compareResults(path.join(out, 'results.json'), path.join(out, 'results.json'));
    expect(same.regressions).to.equal(0);
    const worse = compareResults(path.join(out, 'results.json'), fileB);
    expect(worse.regressions).to.equal(1);
    expect(worse.text).to.include('REGRESSION');
  });

  it('accepts the Rally task subset and names what it refuses', () => {
    const ok = parseTask(
      JSON.stringify({
        'CinderVolumes.list_volumes': [
          {
            args: { detailed: true },
            runner: { type: 'constant', times: 10, concurrency: 2 },
            context: { users: { tenants: 1 }, volumes: { size: 1, volumes_per_tenant: 5 } },
          },
        ],
      }),
    );
    expect(ok[0]).to.deep.include({ scenario: 'CinderVolumes.list_volumes' });
    expect(ok[0].runner).to.include({ type: 'constant', times: 10, concurrency: 2 });
    for (const f of ['quick', 'full', 'tiny'])
      expect(parseTask(fs.readFileSync(path.join(ROOT, 'bench', 'tasks', `${f}.json`), 'utf8')).length).to.be.greaterThan(0);
    expect(() => parseTask('{"NovaServers.boot_server": [{}]}')).to.throw(/unknown scenario/);
    expect(() => parseTask('{"CinderVolumes.list_volumes": [{"runner": {"type": "rps", "times": 1}}]}')).to.throw(/runner\.type/);
    expect(() => parseTask('{"CinderVolumes.list_volumes": [{"runner": {"type": "constant", "times": 1}, "context": {"servers": {}}}]}')).to.throw(
      /context\.servers/,
    );
  });
});
