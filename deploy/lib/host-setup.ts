/*
 * `volume-api-deploy host-setup --mode standalone|pm2|apache|nginx`: the one switch an operator flips to
 * bring a host to one of the supported shapes. A mode is a list of steps; each step names the exact
 * commands it runs, checks first whether it is already done (then says so and runs nothing), and stops
 * the run when it fails, so running the command again resumes where it stopped.
 *
 *   standalone: npm ci, build, service user, data directory, systemd unit for dist/standalone.js,
 *               enable + (re)start it.
 *   pm2:        npm ci, build, service user, data + log directories, `pm2 start` as that user,
 *               `pm2 save`, `pm2 startup systemd`, log rotation.
 *   apache|nginx: everything of pm2, then the web server package (apt-get / dnf) when missing, on RHEL the
 *               SELinux boolean that lets it connect to the API, the service enabled and running, and
 *               `install <server>` (validate, back up, write, enable, config test, graceful reload).
 *
 * With `--root DIR` other than `/`, only the steps that write files under the root run (systemd unit,
 * logrotate configuration, vhost); steps that act on the live host are listed as skipped.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Ecosystem } from './ecosystem';
import { installVhost, isInstalled, runCommand, shellLine, type Log, type Runner } from './install';
import type { Layout } from './layouts';
import type { WebServer } from './webserver';
import { renderLogrotate } from '../scripts/logrotate';

export type Mode = 'standalone' | 'pm2' | 'apache' | 'nginx';
export const MODES: readonly Mode[] = ['standalone', 'pm2', 'apache', 'nginx'];

export interface HostSetupOptions {
  mode: Mode;
  eco: Ecosystem;
  /** Ecosystem environment name (`pm2 start --env NAME`, env_NAME for the standalone unit). */
  envName: string;
  layout: Layout;
  root: string;
  appDir: string;
  user: string;
  /** The service user's home (PM2_HOME is <home>/.pm2); default: its passwd entry, else /srv/<user>. */
  home?: string;
  /** apache|nginx: the server and its generated vhost. */
  server?: WebServer;
  vhost?: string;
  /** The `install` command line shown for the vhost step (its options as given). */
  installArgs?: string[];
  /** Whether every upstream is on this host's loopback (then the API is bound to 127.0.0.1). */
  loopbackOnly?: boolean;
  /** Also install mod_ssl (RHEL Apache with TLS). */
  tls?: boolean;
  /** The node binary for the systemd unit; default: the one running this command. */
  nodeBin?: string;
  runner?: Runner;
  log: Log;
}

type StepKind = 'host' | 'file';

interface Flags {
  unitChanged?: boolean;
  pm2Started?: boolean;
}

export interface Step {
  title: string;
  /** `host`: acts on the live host (skipped under --root DIR); `file`: writes under the root. */
  kind: StepKind;
  /** What it runs, one shell line each (exact commands; `write FILE` for a file written by this tool). */
  commands: string[];
  /** Text shown under the commands with --dry-run (the file a `write` produces). */
  detail?: string;
  /** A reason when the step is already done; undefined when it must run. Read-only. */
  check(flags: Flags): Promise<string | undefined>;
  run(flags: Flags): Promise<void>;
  /** Sets flags for later steps when this step runs (or would run, with --dry-run). */
  marks?: (flags: Flags) => void;
}

export interface PlannedStep {
  step: Step;
  status: 'to do' | 'already done' | 'skipped';
  reason?: string;
}

class StepError extends Error {}

async function must(runner: Runner, argv: string[], cwd?: string): Promise<string> {
  const r = await runner(argv, { cwd });
  if (r.code !== 0) throw new StepError(`${shellLine(argv, cwd)} exited with ${r.code}${r.output.trim() ? `:\n${r.output.trimEnd()}` : ''}`);
  return r.output;
}

function mtime(file: string): number | undefined {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

function newestUnder(dir: string): number {
  let newest = 0;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return newest;
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** passwd entry of a user (getent: also NSS users), or undefined. */
async function passwdEntry(runner: Runner, user: string): Promise<{ uid: number; gid: number; home: string } | undefined> {
  const r = await runner(['getent', 'passwd', user]);
  if (r.code !== 0) return undefined;
  const f = r.output.trim().split('\n')[0].split(':');
  return f.length >= 7 ? { uid: Number(f[2]), gid: Number(f[3]), home: f[5] } : undefined;
}

function apiEnv(eco: Ecosystem, envName: string): Record<string, string> {
  const extra = (eco.api as unknown as Record<string, Record<string, string> | undefined>)[`env_${envName}`] ?? {};
  return { ...eco.api.env, ...extra };
}

/** The systemd unit of the standalone mode: `node dist/standalone.js` as the service user. */
export function renderStandaloneUnit(o: { eco: Ecosystem; envName: string; appDir: string; user: string; nodeBin: string }): string {
  const env = apiEnv(o.eco, o.envName);
  // The journal takes stdout (and rotates it): no own log file in this mode, and every level on stdout.
  delete env.VOLUME_API_LOG_FILE;
  delete env.VOLUME_API_LOG_STDOUT_LEVEL;
  env.NODE_ENV = env.NODE_ENV ?? 'production';
  const q = (s: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `"${s.replace(/(["\\])/g, '\\$1')}"`);
  return [
    '# volume-api standalone (API and worker in one process): written by volume-api-deploy host-setup; do not edit.',
    '[Unit]',
    'Description=volume-api (standalone: Block Storage API and worker)',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `User=${o.user}`,
    `WorkingDirectory=${o.appDir}`,
    ...Object.keys(env)
      .sort()
      .map((k) => `Environment=${q(`${k}=${env[k]}`)}`),
    `ExecStart=${o.nodeBin} --enable-source-maps --disable-warning=DEP0111 ${path.join(o.appDir, 'dist', 'standalone.js')}`,
    // The process drains and exits on SIGTERM within 8 s (plus the worker's hand-back).
    'KillSignal=SIGTERM',
    'TimeoutStopSec=20',
    'Restart=on-failure',
    'RestartSec=1',
    'NoNewPrivileges=yes',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

export const STANDALONE_UNIT = 'etc/systemd/system/volume-api.service';
export const LOGROTATE_FILE = 'etc/logrotate.d/volume-api';

/** The steps of a mode, in order. Nothing runs here except read-only lookups (the user's home). */
export async function planHostSetup(o: HostSetupOptions): Promise<Step[]> {
  const runner = o.runner ?? runCommand;
  const live = path.resolve(o.root) === '/';
  const app = o.appDir;
  const entry = await passwdEntry(runner, o.user);
  const home = o.home ?? entry?.home ?? path.join('/srv', o.user);
  const pm2Home = path.join(home, '.pm2');
  const pm2Bin = path.join(app, 'node_modules', '.bin', 'pm2');
  const ecoFile = o.eco.file;
  const env = apiEnv(o.eco, o.envName);
  const dataDir = path.resolve(app, env.VOLUME_API_DATA_DIR ?? './data');
  const logDir = path.dirname(o.eco.api.log_file);
  const steps: Step[] = [];
  const cmd = (argv: string[], cwd?: string) => ({ argv, cwd, line: shellLine(argv, cwd) });
  const asUser = (argv: string[]) => ['runuser', '-u', o.user, '--', ...argv];

  const npmCi = cmd(['npm', 'ci', '--no-audit', '--no-fund'], app);
  steps.push({
    title: 'install the npm packages (npm ci)',
    kind: 'host',
    commands: [npmCi.line],
    async check() {
      const hidden = mtime(path.join(app, 'node_modules', '.package-lock.json'));
      const lock = mtime(path.join(app, 'package-lock.json'));
      return hidden !== undefined && lock !== undefined && hidden >= lock ? 'node_modules matches package-lock.json' : undefined;
    },
    async run() {
      await must(runner, npmCi.argv, app);
    },
  });

  const build = cmd(['npm', 'run', 'build'], app);
  steps.push({
    title: 'build (npm run build)',
    kind: 'host',
    commands: [build.line],
    async check() {
      const outs = ['standalone.js', 'server.js', 'worker.js', 'config.js'].map((f) => mtime(path.join(app, 'dist', f)));
      if (outs.some((m) => m === undefined)) return undefined;
      const oldest = Math.min(...(outs as number[]));
      return oldest >= newestUnder(path.join(app, 'src')) ? 'dist/ is newer than every file under src/' : undefined;
    },
    async run() {
      await must(runner, build.argv, app);
    },
  });

  const useradd = cmd(['useradd', '--system', '--create-home', '--home-dir', home, '--shell', '/usr/sbin/nologin', o.user]);
  steps.push({
    title: `create the service user ${o.user}`,
    kind: 'host',
    commands: [useradd.line],
    async check() {
      return (await passwdEntry(runner, o.user)) ? `user ${o.user} exists` : undefined;
    },
    async run() {
      await must(runner, useradd.argv);
    },
  });

  const dirs = o.mode === 'standalone' ? [dataDir] : [dataDir, logDir];
  const mkdir = cmd(['mkdir', '-p', ...dirs]);
  const chown = cmd(['chown', '-R', `${o.user}:`, ...dirs]);
  steps.push({
    title: `give ${o.user} its writable directories (${dirs.map((d) => path.relative(app, d) || d).join(', ')})`,
    kind: 'host',
    commands: [mkdir.line, chown.line],
    async check() {
      const pw = await passwdEntry(runner, o.user);
      if (!pw) return undefined;
      for (const d of dirs) {
        try {
          if (fs.statSync(d).uid !== pw.uid) return undefined;
        } catch {
          return undefined;
        }
      }
      return `${dirs.join(', ')} belong to ${o.user}`;
    },
    async run() {
      await must(runner, mkdir.argv);
      await must(runner, chown.argv);
    },
  });

  if (o.mode === 'standalone') {
    const unitFile = path.join(o.root, STANDALONE_UNIT);
    const unit = renderStandaloneUnit({ eco: o.eco, envName: o.envName, appDir: app, user: o.user, nodeBin: o.nodeBin ?? process.execPath });
    steps.push({
      title: `write the systemd unit ${unitFile}`,
      kind: 'file',
      commands: [`write ${unitFile}`],
      detail: unit,
      async check() {
        return readIfExists(unitFile) === unit ? 'the unit is up to date' : undefined;
      },
      async run() {
        fs.mkdirSync(path.dirname(unitFile), { recursive: true });
        fs.writeFileSync(unitFile, unit, { mode: 0o644 });
      },
      marks: (f) => (f.unitChanged = true),
    });
    const start = [cmd(['systemctl', 'daemon-reload']), cmd(['systemctl', 'enable', 'volume-api.service']), cmd(['systemctl', 'restart', 'volume-api.service'])];
    steps.push({
      title: 'enable and (re)start volume-api.service',
      kind: 'host',
      commands: start.map((c) => c.line),
      async check(flags) {
        if (flags.unitChanged) return undefined;
        const enabled = await runner(['systemctl', 'is-enabled', 'volume-api.service']);
        const active = await runner(['systemctl', 'is-active', 'volume-api.service']);
        return enabled.code === 0 && active.code === 0 ? 'volume-api.service is enabled and active' : undefined;
      },
      async run() {
        for (const c of start) await must(runner, c.argv);
      },
    });
    return steps;
  }

  // pm2, apache, nginx: the PM2 layout of ecosystem.config.js, run by the service user.
  // Behind a local web server the API need not be reachable from outside: bind it to loopback.
  const startEnv = o.mode !== 'pm2' && o.loopbackOnly ? ['env', 'VOLUME_API_HOST=127.0.0.1'] : [];
  const pm2Start = cmd(asUser([...startEnv, pm2Bin, 'start', ecoFile, '--env', o.envName]), app);
  const names = o.eco.apps.map((a) => a.name);
  steps.push({
    title: `start the apps with PM2 as ${o.user} (${names.join(', ')})`,
    kind: 'host',
    commands: [pm2Start.line],
    async check() {
      // Only ask a daemon that already runs: `pm2 jlist` would start one.
      const pid = Number(readIfExists(path.join(pm2Home, 'pm2.pid'))?.trim());
      if (!pid) return undefined;
      try {
        process.kill(pid, 0);
      } catch {
        return undefined;
      }
      const r = await runner(asUser([pm2Bin, 'jlist']), { cwd: app });
      if (r.code !== 0) return undefined;
      try {
        const list = JSON.parse(r.output.slice(r.output.indexOf('['))) as { name: string; pm2_env: { status: string } }[];
        const online = names.every((n) => list.some((p) => p.name === n && p.pm2_env.status === 'online'));
        return online ? `${names.join(' and ')} are online (roll out a new build with npm run upgrade)` : undefined;
      } catch {
        return undefined;
      }
    },
    async run() {
      await must(runner, pm2Start.argv, app);
    },
    marks: (f) => (f.pm2Started = true),
  });

  const save = cmd(asUser([pm2Bin, 'save']), app);
  steps.push({
    title: 'save the PM2 process list (pm2 save)',
    kind: 'host',
    commands: [save.line],
    async check(flags) {
      if (flags.pm2Started) return undefined;
      const dump = readIfExists(path.join(pm2Home, 'dump.pm2'));
      return dump && names.every((n) => dump.includes(`"name":"${n}"`)) ? `${path.join(pm2Home, 'dump.pm2')} lists ${names.join(' and ')}` : undefined;
    },
    async run() {
      await must(runner, save.argv, app);
    },
  });

  const startup = cmd([pm2Bin, 'startup', 'systemd', '-u', o.user, '--hp', home]);
  const pm2Unit = path.join(o.root, 'etc', 'systemd', 'system', `pm2-${o.user}.service`);
  steps.push({
    title: `start PM2 at boot (pm2-${o.user}.service)`,
    kind: 'host',
    commands: [startup.line],
    async check() {
      if (!fs.existsSync(pm2Unit)) return undefined;
      const r = await runner(['systemctl', 'is-enabled', `pm2-${o.user}.service`]);
      return r.code === 0 ? `pm2-${o.user}.service is enabled` : undefined;
    },
    async run() {
      await must(runner, startup.argv);
    },
  });

  const rotateOut = path.join(o.root, LOGROTATE_FILE);
  const rotate = cmd(['env', `PM2_HOME=${pm2Home}`, 'npm', 'run', 'logrotate:setup', ...(live ? [] : ['--', '--output', rotateOut])], app);
  steps.push({
    title: `log rotation (${rotateOut})`,
    kind: 'file',
    commands: [rotate.line],
    async check() {
      const current = readIfExists(rotateOut);
      return current !== undefined && current === renderLogrotate(o.eco, pm2Home) ? 'the logrotate configuration is up to date' : undefined;
    },
    async run() {
      await must(runner, rotate.argv, app);
    },
  });

  if (o.mode === 'pm2') return steps;

  const server = o.server;
  const vhost = o.vhost;
  if (!server || !vhost || server.name !== o.mode) throw new Error(`host-setup --mode ${o.mode} needs the ${o.mode} server and its vhost`);
  const rhel = o.layout.name === 'rhel';
  const packages = o.mode === 'apache' ? (rhel ? ['httpd', ...(o.tls ? ['mod_ssl'] : [])] : ['apache2']) : ['nginx'];
  const pkgCommands = rhel
    ? [cmd(['dnf', 'install', '-y', ...packages])]
    : [cmd(['apt-get', 'update']), cmd(['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', ...packages])];
  const installed = async (pkg: string) => {
    if (rhel) return (await runner(['rpm', '-q', pkg])).code === 0;
    const r = await runner(['dpkg-query', '-W', '-f=${Status}', pkg]);
    return r.code === 0 && r.output.includes('install ok installed');
  };
  steps.push({
    title: `install the ${o.mode} package (${packages.join(', ')})`,
    kind: 'host',
    commands: pkgCommands.map((c) => c.line),
    async check() {
      for (const p of packages) if (!(await installed(p))) return undefined;
      return `${packages.join(', ')} installed`;
    },
    async run() {
      for (const c of pkgCommands) await must(runner, c.argv);
    },
  });

  if (rhel) {
    const sebool = cmd(['setsebool', '-P', 'httpd_can_network_connect', '1']);
    steps.push({
      title: `let ${o.mode} connect to the API under SELinux (httpd_can_network_connect)`,
      kind: 'host',
      commands: [sebool.line],
      async check() {
        const enforce = await runner(['getenforce']);
        if (enforce.code !== 0 || /disabled/i.test(enforce.output)) return 'SELinux is not enabled';
        const r = await runner(['getsebool', 'httpd_can_network_connect']);
        return r.code === 0 && /-->\s*on/.test(r.output) ? 'httpd_can_network_connect is on' : undefined;
      },
      async run() {
        await must(runner, sebool.argv);
      },
    });
  }

  const service = o.mode === 'apache' ? o.layout.apache.service : o.layout.nginx.service;
  const enable = cmd(['systemctl', 'enable', '--now', `${service}.service`]);
  steps.push({
    title: `enable and start ${service}.service`,
    kind: 'host',
    commands: [enable.line],
    async check() {
      const enabled = await runner(['systemctl', 'is-enabled', `${service}.service`]);
      const active = await runner(['systemctl', 'is-active', `${service}.service`]);
      return enabled.code === 0 && active.code === 0 ? `${service}.service is enabled and active` : undefined;
    },
    async run() {
      await must(runner, enable.argv);
    },
  });

  const installLine = shellLine(['volume-api-deploy', 'install', o.mode, ...(o.installArgs ?? [])]);
  steps.push({
    title: `install the ${o.mode} vhost (validate, back up, write, enable, config test, graceful reload)`,
    kind: 'file',
    commands: [installLine],
    async check() {
      return isInstalled({ server, layout: o.layout, root: o.root }, vhost) ? `${path.join(o.root, server.installFacts(o.layout).file)} is up to date and enabled` : undefined;
    },
    async run() {
      const lines: string[] = [];
      const r = await installVhost({ server, layout: o.layout, root: o.root, live, runner, text: vhost, log: (l) => lines.push(l) });
      for (const l of lines) o.log(`   ${l.replace(/\n/g, '\n   ')}`);
      if (!r.ok) throw new StepError(`install ${o.mode} failed (see above)`);
    },
  });
  return steps;
}

/** Each step with what it would do now: `to do`, `already done` (and why) or `skipped` (--root DIR). */
export async function assess(steps: Step[], root: string): Promise<PlannedStep[]> {
  const live = path.resolve(root) === '/';
  const flags: Flags = {};
  const out: PlannedStep[] = [];
  for (const step of steps) {
    if (!live && step.kind === 'host') {
      out.push({ step, status: 'skipped', reason: `--root ${root}: acts on the live host` });
      continue;
    }
    const reason = await step.check(flags);
    if (reason) out.push({ step, status: 'already done', reason });
    else {
      out.push({ step, status: 'to do' });
      step.marks?.(flags);
    }
  }
  return out;
}

export function describePlan(planned: PlannedStep[], withDetail = true): string {
  const lines: string[] = [];
  planned.forEach(({ step, status, reason }, i) => {
    lines.push(`${i + 1}. ${step.title} [${status}${reason ? `: ${reason}` : ''}]`);
    for (const c of step.commands) lines.push(`   $ ${c}`);
    if (withDetail && step.detail && status === 'to do') for (const l of step.detail.trimEnd().split('\n')) lines.push(`     | ${l}`);
  });
  return lines.join('\n');
}

/** Runs the steps in order; stops at the first failure. Returns whether every step is done. */
export async function runHostSetup(o: HostSetupOptions & { dryRun?: boolean }): Promise<boolean> {
  const steps = await planHostSetup(o);
  if (o.dryRun) {
    o.log(`host-setup --mode ${o.mode} (${o.layout.name}), dry run: ${steps.length} steps`);
    o.log(describePlan(await assess(steps, o.root)));
    o.log('dry run: nothing was changed');
    return true;
  }
  const live = path.resolve(o.root) === '/';
  const flags: Flags = {};
  o.log(`host-setup --mode ${o.mode} (${o.layout.name}): ${steps.length} steps`);
  for (const [i, step] of steps.entries()) {
    const head = `${i + 1}/${steps.length} ${step.title}`;
    if (!live && step.kind === 'host') {
      o.log(`${head}: skipped (--root ${o.root}: acts on the live host)`);
      continue;
    }
    const reason = await step.check(flags);
    if (reason) {
      o.log(`${head}: already done (${reason})`);
      continue;
    }
    o.log(`${head}`);
    for (const c of step.commands) o.log(`   $ ${c}`);
    step.marks?.(flags);
    try {
      await step.run(flags);
    } catch (err) {
      o.log(`${head}: FAILED\n${(err as Error).message}`);
      o.log(`steps after ${i + 1} were not run; fix the cause and run host-setup again (done steps are skipped)`);
      return false;
    }
    o.log(`${head}: done`);
  }
  o.log(`host-setup --mode ${o.mode}: every step is done`);
  return true;
}
