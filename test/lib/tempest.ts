/*
 * OpenStack's acceptance suite against volume-api (issue 15): Debian's `tempest` 33 with
 * `cinder-tempest-plugin` 1.7.2, identity from a private real Keystone (test/lib/keystone.ts), the
 * service as `npm start` runs it (dist/standalone.js, SQLite, file backend) with `auth.strategy =
 * keystone`, on an empty data directory (a class whose set-up fails after creating a type would leak it
 * into the next run).
 *
 *   const r = await runTempest({ out: 'artifacts/tempest' });   // minutes; r.failed lists the failures
 *
 * The workspace lives in a temp dir (`tempest init --workspace-path`, never ~/.tempest). Tempest's
 * configuration is docs/tempest.md's. The report (subunit stream, CSV, HTML from subunit2html) is
 * written to `out`.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStandalone, type RunningMode } from '../../bench/lib/modes';
import { missingKeystonePackages, startKeystone, type Keystone } from './keystone';

/** The suites the issue names: Tempest's volume API tests and the Cinder plugin's. */
export const TEMPEST_REGEX = '^(tempest\\.api\\.volume|cinder_tempest_plugin\\.api\\.volume)';

/**
 * Tests that fail on the real Cinder too, with Glance off: the test reaches for an image client that
 * Tempest only builds when Glance is available (Tempest and plugin bugs, not the API).
 */
export const NEEDS_GLANCE_EVEN_WHEN_OFF: readonly RegExp[] = [
  // AttributeError: type object 'VolumesExtendTest' has no attribute 'images_client'
  /^tempest\.api\.volume\.test_volumes_extend\.VolumesExtendTest\.test_volume_extend$/,
  // AttributeError: 'Manager' object has no attribute 'image_client_v2'
  /^cinder_tempest_plugin\.api\.volume\.test_volume_backup\.VolumesBackupsTest\.test_incremental_backup$/,
];

/**
 * Tests of features a later issue builds, excluded from the run (neither failures nor passes); the list
 * shrinks as the features land. Empty: generic volume groups landed with issue 16.
 */
export const NOT_BUILT_YET = '';

/** The backends the service runs under Tempest: `backend_names` in tempest.conf (issue 16). */
export const TEMPEST_BACKENDS = 'file-1,file-2';

const TOOLS: Record<string, string> = {
  '/usr/bin/tempest': 'tempest',
  '/usr/lib/python3/dist-packages/cinder_tempest_plugin': 'cinder-tempest-plugin',
  '/usr/bin/stestr': 'python3-stestr',
  '/usr/bin/subunit2csv': 'python3-subunit',
  '/usr/bin/subunit2html': 'python3-os-testr',
};

export function missingTempestPackages(): string[] {
  const missing = Object.entries(TOOLS)
    .filter(([file]) => !fs.existsSync(file))
    .map(([, pkg]) => pkg);
  return [...new Set([...missing, ...missingKeystonePackages()])];
}

export interface TempestTest {
  name: string;
  status: 'success' | 'fail' | 'skip';
  seconds: number;
}

export interface TempestResult {
  tests: TempestTest[];
  passed: string[];
  failed: string[];
  skipped: string[];
  /** Failed tests that need Glance even with it off (NEEDS_GLANCE_EVEN_WHEN_OFF). */
  knownFailures: string[];
  /** The failed tests' tracebacks (from the subunit stream), by test name. */
  details: Record<string, string>;
  wallSeconds: number;
  /** Where the report was written. */
  out: string;
}

export interface TempestOptions {
  out: string;
  regex?: string;
  /** Tests not to run (default NOT_BUILT_YET). */
  excludeRegex?: string;
  concurrency?: number;
  /** Extra environment for the service (VOLUME_API_*). */
  serviceEnv?: Record<string, string>;
  log?: (line: string) => void;
}

/** tempest.conf as docs/tempest.md gives it, for this Keystone and its bootstrap admin. */
export function tempestConf(ks: Keystone, workspace: string): string {
  return `[DEFAULT]
log_file = ${path.join(workspace, 'tempest.log')}

[auth]
use_dynamic_credentials = true
create_isolated_networks = false
admin_username = ${ks.bootstrapAdmin.name}
admin_password = ${ks.bootstrapAdmin.password}
admin_project_name = ${ks.bootstrapAdmin.project}
admin_domain_name = Default
default_credentials_domain_name = Default

[identity]
auth_version = v3
uri_v3 = ${ks.url}/v3
region = RegionOne
v3_endpoint_type = public

[identity-feature-enabled]
api_v2 = false
api_v3 = true

[service_available]
cinder = true
nova = false
glance = false
neutron = false
swift = false

[volume]
catalog_type = volumev3
endpoint_type = publicURL
region = RegionOne
min_microversion = 3.0
max_microversion = 3.70
build_timeout = 60
build_interval = 1
volume_size = 1
storage_protocol = iSCSI
vendor_name = Open Source
# The service runs two file backends (VOLUME_API_ENABLED_BACKENDS below): multi-backend and retype-with-migration tests.
backend_names = ${TEMPEST_BACKENDS}

[volume-feature-enabled]
backup = true
snapshot = true
clone = true
manage_volume = false
manage_snapshot = false
extend_attached_volume = false
multi_backend = true
api_extensions = all
volume_revert = true
consistency_group = false

[validation]
run_validation = false
`;
}

function run(cmd: string, args: string[], cwd: string, log: (l: string) => void, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
    const timer = setTimeout(() => {
      log(`${cmd}: no end after ${timeoutMs / 1000} s, killing it`);
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }, timeoutMs);
    let partial = '';
    const onData = (d: Buffer) => {
      partial += d.toString();
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const l of lines) log(l);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (partial) log(partial);
      resolve(code ?? 1);
    });
  });
}

/** One CSV line (subunit2csv quotes fields with commas: test names carry "[id-..., negative]"). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(cur);
      cur = '';
    } else cur += c;
  }
  fields.push(cur);
  return fields;
}

const STATUS: Record<string, TempestTest['status']> = { success: 'success', failure: 'fail', fail: 'fail', skip: 'skip', uxsuccess: 'fail', xfail: 'success' };

/** Parses subunit2csv's output: test,status,start_time,stop_time. A failed setUpClass counts as one failure. */
export function parseSubunitCsv(csv: string): TempestTest[] {
  const tests: TempestTest[] = [];
  for (const line of csv.split('\n').slice(1)) {
    if (!line.trim()) continue;
    const [name, status, start, stop] = csvFields(line);
    const mapped = STATUS[status];
    if (!mapped) continue;
    const seconds = start && stop ? (Date.parse(stop) - Date.parse(start)) / 1000 : 0;
    tests.push({ name: name.replace(/\[.*\]$/, ''), status: mapped, seconds });
  }
  return tests;
}

export async function runTempest(o: TempestOptions): Promise<TempestResult> {
  const log = o.log ?? (() => undefined);
  const missing = missingTempestPackages();
  if (missing.length) throw new Error(`Tempest needs the Debian packages ${missing.join(' ')} (apt-get install ${missing.join(' ')})`);
  const started = Date.now();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'volume-api-tempest-'));
  fs.mkdirSync(o.out, { recursive: true });
  let ks: Keystone | undefined;
  let api: RunningMode | undefined;
  try {
    ks = await startKeystone();
    const env: Record<string, string> = { VOLUME_API_AUTH_STRATEGY: 'keystone', VOLUME_API_ENABLED_BACKENDS: TEMPEST_BACKENDS, ...o.serviceEnv };
    for (const [k, v] of Object.entries(ks.serviceAuth())) env[`VOLUME_API_AUTH_KEYSTONE_${k.toUpperCase()}`] = String(v);
    api = await startStandalone([], env);
    await ks.registerVolumeEndpoints(api.url);
    log(`keystone ${ks.url}, volume-api ${api.url}`);

    const workspace = path.join(work, 'workspace');
    const init = spawnSync('tempest', ['init', '--workspace-path', path.join(work, 'workspaces.yaml'), '--name', 'volume-api', workspace], {
      encoding: 'utf8',
    });
    if (init.status !== 0) throw new Error(`tempest init failed: ${init.stderr}`);
    fs.writeFileSync(path.join(workspace, 'etc', 'tempest.conf'), tempestConf(ks, workspace));

    const regex = o.regex ?? TEMPEST_REGEX;
    const exclude = o.excludeRegex ?? NOT_BUILT_YET;
    await run(
      'tempest',
      ['run', '--regex', regex, ...(exclude ? ['--exclude-regex', exclude] : []), '--concurrency', String(o.concurrency ?? 4)],
      workspace,
      log,
      20 * 60_000,
    );
    const subunit = spawnSync('stestr', ['last', '--subunit'], { cwd: workspace, maxBuffer: 256 * 1024 * 1024 });
    if (subunit.status !== 0 || subunit.stdout.length === 0) throw new Error(`stestr last --subunit failed: ${subunit.stderr}`);
    fs.writeFileSync(path.join(o.out, 'results.subunit'), subunit.stdout);
    const csv = spawnSync('subunit2csv', [], { input: subunit.stdout, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).stdout;
    fs.writeFileSync(path.join(o.out, 'results.csv'), csv);
    spawnSync('subunit2html', [path.join(o.out, 'results.subunit'), path.join(o.out, 'results.html')]);
    const failing = spawnSync('stestr', ['last', '--no-subunit-trace'], { cwd: workspace, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    fs.writeFileSync(path.join(o.out, 'failures.txt'), failing.stdout);
    fs.copyFileSync(path.join(workspace, 'etc', 'tempest.conf'), path.join(o.out, 'tempest.conf'));
    if (fs.existsSync(path.join(workspace, 'tempest.log'))) fs.copyFileSync(path.join(workspace, 'tempest.log'), path.join(o.out, 'tempest.log'));

    const tests = parseSubunitCsv(csv);
    const names = (s: TempestTest['status']) => tests.filter((t) => t.status === s).map((t) => t.name);
    const failedAll = names('fail');
    const knownFailures = failedAll.filter((n) => NEEDS_GLANCE_EVEN_WHEN_OFF.some((re) => re.test(n)));
    return {
      tests,
      passed: names('success'),
      failed: failedAll.filter((n) => !knownFailures.includes(n)),
      skipped: names('skip'),
      knownFailures,
      details: splitFailures(failing.stdout),
      wallSeconds: (Date.now() - started) / 1000,
      out: o.out,
    };
  } finally {
    if (api) await api.stop().catch(() => undefined);
    if (ks) await ks.stop().catch(() => undefined);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** `stestr last` text: a block per failure headed by "FAIL: name" (or "ERROR: name"). */
function splitFailures(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^(?:FAIL|ERROR): (\S+)/gm;
  const heads = [...text.matchAll(re)];
  heads.forEach((m, i) => {
    const end = i + 1 < heads.length ? heads[i + 1].index : text.length;
    out[m[1].replace(/\[.*\]$/, '')] = text.slice(m.index, Math.min(end, m.index + 4000));
  });
  return out;
}
