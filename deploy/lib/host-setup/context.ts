/*
 * What every host-setup step is made of: the options of the run, the context the steps share (paths,
 * the service user's home, the API's settings from the ecosystem), the step module's shape and the
 * helpers steps use to run commands and look at the host.
 */
import fs from 'node:fs';
import path from 'node:path';
import { appSettings, type AppSettings, type Ecosystem } from '../ecosystem';
import { runCommand, shellLine, type Log, type Runner } from '../install';
import type { Layout } from '../layouts';
import type { WebServer } from '../webserver';

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

/** What the steps of one run share; made once, before any step (only read-only lookups). */
export interface HostContext extends HostSetupOptions {
  runner: Runner;
  /** Whether the root is `/` (host steps run) rather than a directory (file steps only). */
  live: boolean;
  home: string;
  pm2Home: string;
  /** The checkout's own PM2. */
  pm2Bin: string;
  /** The API app's settings with --env NAME. */
  api: AppSettings;
  /** apache|nginx: the server and its vhost (createContext refuses these modes without them). */
  site?: Site;
}

export interface Site {
  server: WebServer;
  vhost: string;
}

/** Set by a step that runs (or would run, with --dry-run), read by later ones. */
export interface Flags {
  unitChanged?: boolean;
  pm2Started?: boolean;
}

/** `host`: acts on the live host (skipped under --root DIR); `file`: writes under the root. */
export type StepKind = 'host' | 'file';

export interface StepDescription {
  title: string;
  /** What it runs, one shell line each (exact commands; `write FILE` for a file written by this tool). */
  commands: string[];
  /** Text shown under the commands with --dry-run (the file a `write` produces). */
  detail?: string;
}

/** One step of host-setup, for any run it belongs to. */
export interface StepModule {
  kind: StepKind;
  /** Whether the step belongs to this run, beyond its mode (the SELinux step: RHEL only); default: yes. */
  applies?(ctx: HostContext): boolean;
  /** The title, exact commands and file text: the numbered line and what --dry-run shows. Pure. */
  describe(ctx: HostContext): StepDescription;
  /** A reason when the step is already done; undefined when it must run. Read-only. */
  check(ctx: HostContext, flags: Flags): Promise<string | undefined>;
  apply(ctx: HostContext): Promise<void>;
  /** Sets flags for later steps when this step runs (or would run, with --dry-run). */
  marks?(flags: Flags): void;
}

/** A step module bound to the context of a run. */
export interface Step extends StepDescription {
  kind: StepKind;
  check(flags: Flags): Promise<string | undefined>;
  apply(): Promise<void>;
  marks?(flags: Flags): void;
}

/** A step's failure: its message is what the run prints under FAILED. */
export class StepError extends Error {}

export async function createContext(o: HostSetupOptions): Promise<HostContext> {
  const runner = o.runner ?? runCommand;
  const entry = await passwdEntry(runner, o.user);
  const home = o.home ?? entry?.home ?? path.join('/srv', o.user);
  let site: HostContext['site'];
  if (o.mode === 'apache' || o.mode === 'nginx') {
    if (!o.server || !o.vhost || o.server.name !== o.mode) throw new Error(`host-setup --mode ${o.mode} needs the ${o.mode} server and its vhost`);
    site = { server: o.server, vhost: o.vhost };
  }
  return {
    ...o,
    runner,
    live: path.resolve(o.root) === '/',
    home,
    pm2Home: path.join(home, '.pm2'),
    pm2Bin: path.join(o.appDir, 'node_modules', '.bin', 'pm2'),
    api: appSettings(o.eco.api, o.envName),
    site,
  };
}

export function bindStep(m: StepModule, ctx: HostContext): Step {
  return {
    ...m.describe(ctx),
    kind: m.kind,
    check: (flags) => m.check(ctx, flags),
    apply: () => m.apply(ctx),
    marks: m.marks,
  };
}

/** A step that runs its commands (the lines it shows); most steps are one. */
export function commandStep(s: {
  kind?: StepKind;
  applies?: StepModule['applies'];
  title: (ctx: HostContext) => string;
  commands: (ctx: HostContext) => Command[];
  check: StepModule['check'];
  marks?: StepModule['marks'];
}): StepModule {
  return {
    kind: s.kind ?? 'host',
    applies: s.applies,
    describe: (ctx) => ({ title: s.title(ctx), commands: s.commands(ctx).map((c) => c.line) }),
    check: s.check,
    apply: (ctx) => runAll(ctx, s.commands(ctx)),
    marks: s.marks,
  };
}

export interface Command {
  argv: string[];
  cwd?: string;
  /** The copy-pastable line shown for it. */
  line: string;
}

export function cmd(argv: string[], cwd?: string): Command {
  return { argv, cwd, line: shellLine(argv, cwd) };
}

/** The command run as the service user. */
export function asUser(ctx: HostContext, argv: string[]): string[] {
  return ['runuser', '-u', ctx.user, '--', ...argv];
}

/** Runs the commands in order; the first that fails throws a StepError with its output. */
export async function runAll(ctx: HostContext, commands: Command[]): Promise<void> {
  for (const { argv, cwd } of commands) {
    const r = await ctx.runner(argv, { cwd });
    if (r.code !== 0) throw new StepError(`${shellLine(argv, cwd)} exited with ${r.code}${r.output.trim() ? `:\n${r.output.trimEnd()}` : ''}`);
  }
}

/** passwd entry of a user (getent: also NSS users), or undefined. */
export async function passwdEntry(runner: Runner, user: string): Promise<{ uid: number; gid: number; home: string } | undefined> {
  const r = await runner(['getent', 'passwd', user]);
  if (r.code !== 0) return undefined;
  const f = r.output.trim().split('\n')[0].split(':');
  return f.length >= 7 ? { uid: Number(f[2]), gid: Number(f[3]), home: f[5] } : undefined;
}

/** The reason `<unit> is enabled and active`, or undefined when it is not both. */
export async function enabledAndActive(ctx: HostContext, unit: string): Promise<string | undefined> {
  const enabled = await ctx.runner(['systemctl', 'is-enabled', unit]);
  const active = await ctx.runner(['systemctl', 'is-active', unit]);
  return enabled.code === 0 && active.code === 0 ? `${unit} is enabled and active` : undefined;
}

export function mtime(file: string): number | undefined {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

export function newestUnder(dir: string): number {
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

export function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
