/*
 * Running the Puppet module (deploy/puppet/volume_api, issue 10) from tests: `puppet apply` of a
 * one-class site manifest with every Puppet directory (vardir, confdir, codedir, logdir, rundir) in a
 * temporary directory, so no test reads or writes the host's Puppet state; a snapshot of the checkout
 * to use as the module's `source` (other engineers edit the tree while tests run: a moving source would
 * make "the second apply changes nothing" untrue); and cleanup of what an apply leaves behind (the
 * service user, its processes).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const MODULE_PATH = path.join(ROOT, 'deploy', 'puppet');
export const MODULE_DIR = path.join(MODULE_PATH, 'volume_api');

export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** Skips the suite when `command` is missing, except under CI=true, where that is a failure. */
export function requireCommand(ctx: Mocha.Context, command: string, pkg: string): void {
  if (hasCommand(command)) return;
  if (process.env.CI === 'true') throw new Error(`${command} is required under CI=true (apt-get install ${pkg})`);
  ctx.skip();
}

export type PuppetValue = string | number | boolean | PuppetValue[];

/** A Puppet literal: strings single-quoted (only `\` and `'` need escaping there). */
export function puppetLiteral(v: PuppetValue): string {
  if (Array.isArray(v)) return `[${v.map(puppetLiteral).join(', ')}]`;
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return String(v);
}

export function siteManifest(params: Record<string, PuppetValue>): string {
  const lines = Object.entries(params).map(([k, v]) => `  ${k} => ${puppetLiteral(v)},`);
  return `class { 'volume_api':\n${lines.join('\n')}\n}\n`;
}

export interface ApplyResult {
  code: number;
  /** stdout + stderr, without Facter's container noise (it cannot read /proc/1/environ here). */
  output: string;
  ms: number;
}

/**
 * `puppet apply` of `manifest` (written to dir/site-N.pp) with its state under dir/puppet. Resolves with
 * the exit code (with --detailed-exitcodes: 0 no change, 2 changes, 4/6 failures). Its own process group,
 * killed on timeout.
 */
export async function puppetApply(dir: string, manifest: string, extra: string[] = [], timeoutMs = 900000): Promise<ApplyResult> {
  const state = path.join(dir, 'puppet');
  fs.mkdirSync(state, { recursive: true });
  const n = fs.readdirSync(dir).filter((f) => f.startsWith('site-')).length;
  const file = path.join(dir, `site-${n}.pp`);
  fs.writeFileSync(file, manifest);
  const args = [
    'apply',
    '--color=false',
    '--detailed-exitcodes',
    '--modulepath',
    MODULE_PATH,
    '--vardir',
    path.join(state, 'var'),
    '--confdir',
    path.join(state, 'etc'),
    '--codedir',
    path.join(state, 'code'),
    '--logdir',
    path.join(state, 'log'),
    '--rundir',
    path.join(state, 'run'),
    ...extra,
    file,
  ];
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('puppet', args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const clean = output
        .split('\n')
        .filter((l) => !/Facter: Permission denied @ rb_sysopen - \/proc\/1\/environ/.test(l))
        .join('\n');
      resolve({ code: code ?? 128, output: clean, ms: Date.now() - started });
    });
  });
}

/** The resources of the last apply's catalog (--write-catalog-summary), lower-case `type[title]`. */
export function catalogResources(dir: string): string[] {
  const file = path.join(dir, 'puppet', 'var', 'state', 'resources.txt');
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

/**
 * A copy of the checkout as the module's `source`: what `git ls-files` would give plus local edits, minus
 * build outputs, dependencies and local data, and minus what the application never reads (tests, docs,
 * the benchmark: more than half the files, each a resource Puppet checksums on every apply). Tar, so
 * it takes a second or two.
 */
export function snapshotCheckout(dest: string): void {
  fs.mkdirSync(dest, { recursive: true });
  const excludes = ['./.git', './node_modules', './dist', './coverage', './data', './logs', './artifacts', './bench', './.nyc_output', './test', './docs'];
  const r = spawnSync('sh', ['-c', `tar -C "$1" ${excludes.map((e) => `--exclude=${e}`).join(' ')} -cf - . | tar -C "$2" -xf -`, 'sh', ROOT, dest], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`snapshot of ${ROOT} failed: ${r.stderr}`);
}

/** A user name nobody else uses: the module creates it, the test removes it. */
export function throwawayUser(): string {
  return `vapi${process.pid.toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`.slice(0, 30);
}

/** Kills every process of `user` (TERM, then KILL), then removes the user and its group. */
export async function removeUser(user: string): Promise<void> {
  if (spawnSync('getent', ['passwd', user]).status !== 0) {
    spawnSync('groupdel', [user], { stdio: 'ignore' });
    return;
  }
  // The user exists only for this test, so its processes are the ones the test's applies started.
  const pids = () => (spawnSync('pgrep', ['-u', user], { encoding: 'utf8' }).stdout ?? '').split('\n').filter(Boolean).map(Number);
  const signal = (sig: NodeJS.Signals) => {
    for (const pid of pids()) {
      try {
        process.kill(pid, sig);
      } catch {
        // exited meanwhile
      }
    }
  };
  signal('SIGTERM');
  for (let i = 0; i < 100 && pids().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  signal('SIGKILL');
  spawnSync('userdel', [user], { stdio: 'ignore' });
  spawnSync('groupdel', [user], { stdio: 'ignore' });
}
