/*
 * `volume-api-deploy install|uninstall apache|nginx`: puts a generated vhost in place, safely.
 *
 *   install:   validate (the server's own config test on a throwaway configuration) -> back up the file it
 *              replaces (<file>.bak-<timestamp>) -> write (temporary file + rename) -> enabled link
 *              (Debian) -> on a live host (root `/`): prepare commands (a2enmod ...), the full config
 *              test, graceful reload. A failed validation changes nothing; a failed prepare or full test
 *              puts the previous file (or nothing) back before reporting.
 *   uninstall: the file is renamed to a backup, the link removed; on a live host: config test, reload.
 *
 * Paths are relative to a root: `/` on a real host, a temporary tree with `--root DIR` (then only files
 * are written: no host command runs). Host commands go through a Runner so tests can stand in for them.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Layout } from './layouts';
import type { WebServer } from './webserver';

export interface CommandResult {
  code: number;
  output: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs a command (no shell); resolves with its exit code and its stdout + stderr. Never rejects. */
export type Runner = (argv: string[], opts?: RunOptions) => Promise<CommandResult>;

export const runCommand: Runner = (argv, opts = {}) =>
  new Promise((resolve) => {
    let output = '';
    const child = spawn(argv[0], argv.slice(1), { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (err) => resolve({ code: 127, output: `${argv[0]}: ${err.message}` }));
    child.on('close', (code, signal) => resolve({ code: code ?? 128, output: signal ? `${output}(killed by ${signal})\n` : output }));
  });

/** A command as one copy-pastable shell line. */
export function shellLine(argv: string[], cwd?: string): string {
  const q = (a: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const line = argv.map(q).join(' ');
  return cwd ? `cd ${q(cwd)} && ${line}` : line;
}

export type Log = (line: string) => void;

export interface InstallTarget {
  server: WebServer;
  layout: Layout;
  /** Install root: `/` on a real host. */
  root: string;
  /** Run the host commands (prepare, full test, reload): true when root is `/`. */
  live: boolean;
  runner?: Runner;
  log: Log;
  /** For the backup name; tests pin it. */
  now?: () => Date;
}

export interface InstallResult {
  ok: boolean;
  /** Whether anything on disk changed (false for --dry-run, refusals and an up-to-date install). */
  changed: boolean;
  file: string;
  backup?: string;
}

type LinkState = 'absent' | 'ours' | 'foreign';

function linkState(link: string, file: string): LinkState {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(link);
  } catch {
    return 'absent';
  }
  if (!st.isSymbolicLink()) return 'foreign';
  return path.resolve(path.dirname(link), fs.readlinkSync(link)) === path.resolve(file) ? 'ours' : 'foreign';
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function stamp(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** `<file>.bak-<UTC timestamp>`, with `-2`, `-3` ... when that name is taken (two runs in one second). */
export function backupName(file: string, now: Date): string {
  const base = `${file}.bak-${stamp(now)}`;
  let name = base;
  for (let i = 2; fs.existsSync(name); i++) name = `${base}-${i}`;
  return name;
}

function writeAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // A dot name outside every include pattern (*.conf, sites-enabled/*) while it is being written.
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}`);
  fs.writeFileSync(tmp, text, { mode: 0o644 });
  fs.renameSync(tmp, file);
}

/** A unified diff of two texts: `diff -u` when it is installed, else the whole of both. */
export function unifiedDiff(oldText: string | undefined, newText: string, oldLabel: string, newLabel: string): string {
  if (oldText === newText) return '';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'volume-api-diff-'));
  try {
    const a = path.join(dir, 'old');
    const b = path.join(dir, 'new');
    fs.writeFileSync(a, oldText ?? '');
    fs.writeFileSync(b, newText);
    const r = spawnSync('diff', ['-u', '--label', oldText === undefined ? '/dev/null' : oldLabel, '--label', newLabel, a, b], { encoding: 'utf8' });
    if (!r.error && (r.status === 0 || r.status === 1)) return r.stdout;
    const lines = (t: string) => (t === '' ? [] : t.replace(/\n$/, '').split('\n'));
    const o = lines(oldText ?? '');
    const n = lines(newText);
    return [
      `--- ${oldText === undefined ? '/dev/null' : oldLabel}`,
      `+++ ${newLabel}`,
      `@@ -${o.length ? 1 : 0},${o.length} +${n.length ? 1 : 0},${n.length} @@`,
      ...o.map((l) => `-${l}`),
      ...n.map((l) => `+${l}`),
      '',
    ].join('\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether the vhost at the install location is exactly `text` and enabled. */
export function isInstalled(target: Pick<InstallTarget, 'server' | 'layout' | 'root'>, text: string): boolean {
  const facts = target.server.installFacts(target.layout);
  const file = path.join(target.root, facts.file);
  if (readIfExists(file) !== text) return false;
  return !facts.enabledLink || linkState(path.join(target.root, facts.enabledLink), file) === 'ours';
}

async function runAll(runner: Runner, commands: string[][], log: Log): Promise<{ ok: boolean; command?: string[]; output: string }> {
  for (const cmd of commands) {
    log(`$ ${shellLine(cmd)}`);
    const r = await runner(cmd);
    if (r.output.trim()) log(r.output.trimEnd());
    if (r.code !== 0) return { ok: false, command: cmd, output: r.output };
  }
  return { ok: true, output: '' };
}

export async function installVhost(target: InstallTarget & { text: string; dryRun?: boolean }): Promise<InstallResult> {
  const { server, layout, root, log, text } = target;
  const runner = target.runner ?? runCommand;
  const facts = server.installFacts(layout);
  const file = path.join(root, facts.file);
  const link = facts.enabledLink ? path.join(root, facts.enabledLink) : undefined;

  const validation = await server.validate(text, layout);
  if (!validation.ok) {
    if (validation.output.trim()) log(validation.output.trimEnd());
    log(`${server.name} validation failed: nothing was changed (${file} is as it was)`);
    return { ok: false, changed: false, file };
  }
  log(`${server.name} validation passed`);

  const current = readIfExists(file);
  const lstate = link ? linkState(link, file) : 'ours';
  if (link && lstate === 'foreign') {
    log(`${link} exists and is not a link to ${file}: refusing to replace it (nothing was changed)`);
    return { ok: false, changed: false, file };
  }
  const contentChanges = current !== text;
  const linkMissing = link !== undefined && lstate === 'absent';

  if (target.dryRun) {
    const diff = unifiedDiff(current, text, file, `${file} (new)`);
    log(diff ? diff.trimEnd() : `${file}: no change`);
    const plan: string[] = [];
    if (current !== undefined && contentChanges) plan.push(`back up ${file} to ${file}.bak-<timestamp>`);
    if (contentChanges) plan.push(`write ${file}`);
    if (link && linkMissing) plan.push(`link ${link} -> ${path.relative(path.dirname(link), file)}`);
    if (plan.length > 0 && target.live) {
      for (const c of [...facts.prepare, facts.test, facts.reload]) plan.push(`run ${shellLine(c)}`);
    }
    if (plan.length === 0) log('dry run: already installed, nothing to do');
    else log(['dry run: would', ...plan.map((p, i) => `  ${i + 1}. ${p}`)].join('\n'));
    log('dry run: nothing was changed');
    return { ok: true, changed: false, file };
  }

  if (!contentChanges && !linkMissing) {
    log(`already installed: ${file} is up to date${link ? ' and enabled' : ''}`);
    return { ok: true, changed: false, file };
  }

  let backup: string | undefined;
  if (current !== undefined && contentChanges) {
    backup = backupName(file, (target.now ?? (() => new Date()))());
    fs.copyFileSync(file, backup);
    log(`backed up ${file} to ${backup}`);
  }
  if (contentChanges) {
    writeAtomic(file, text);
    log(`wrote ${file}`);
  }
  if (link && linkMissing) {
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(path.relative(path.dirname(link), file), link);
    log(`linked ${link} -> ${path.relative(path.dirname(link), file)}`);
  }

  const restore = () => {
    if (contentChanges) {
      if (backup) fs.renameSync(backup, file);
      else fs.rmSync(file, { force: true });
    }
    if (link && linkMissing) fs.rmSync(link, { force: true });
    log(backup ? `restored ${file} from ${backup}` : `removed ${file}${link && linkMissing ? ` and ${link}` : ''} again`);
  };

  if (!target.live) {
    log(`installed into ${root} (not a live host: no prepare, config test or reload was run)`);
    return { ok: true, changed: true, file, backup };
  }
  const prep = await runAll(runner, facts.prepare, log);
  if (!prep.ok) {
    log(`${shellLine(prep.command ?? [])} failed`);
    restore();
    return { ok: false, changed: false, file };
  }
  const test = await runAll(runner, [facts.test], log);
  if (!test.ok) {
    log(`the full configuration test failed with the new vhost`);
    restore();
    return { ok: false, changed: false, file };
  }
  const reload = await runAll(runner, [facts.reload], log);
  if (!reload.ok) {
    log(
      `installed and the configuration test passed, but the reload failed: is ${server.name === 'apache' ? layout.apache.service : layout.nginx.service} running?`,
    );
    return { ok: false, changed: true, file, backup };
  }
  log(`installed ${file} and reloaded ${server.name}`);
  return { ok: true, changed: true, file, backup };
}

export async function uninstallVhost(target: InstallTarget & { dryRun?: boolean }): Promise<InstallResult> {
  const { server, layout, root, log } = target;
  const runner = target.runner ?? runCommand;
  const facts = server.installFacts(layout);
  const file = path.join(root, facts.file);
  const link = facts.enabledLink ? path.join(root, facts.enabledLink) : undefined;
  const exists = fs.existsSync(file);
  const lstate = link ? linkState(link, file) : 'absent';

  const plan: string[] = [];
  if (lstate === 'ours' && link) plan.push(`remove the link ${link}`);
  if (exists) plan.push(`move ${file} to ${file}.bak-<timestamp>`);
  if (link && lstate === 'foreign') log(`${link} is not a link to ${file}: left alone`);
  if (plan.length === 0) {
    log(`not installed: no ${file}${link ? ` and no link ${link}` : ''}, nothing to do`);
    return { ok: true, changed: false, file };
  }
  if (target.live) for (const c of [facts.test, facts.reload]) plan.push(`run ${shellLine(c)}`);
  if (target.dryRun) {
    log(['dry run: would', ...plan.map((p, i) => `  ${i + 1}. ${p}`)].join('\n'));
    log('dry run: nothing was changed');
    return { ok: true, changed: false, file };
  }

  if (link && lstate === 'ours') {
    fs.rmSync(link);
    log(`removed ${link}`);
  }
  let backup: string | undefined;
  if (exists) {
    backup = backupName(file, (target.now ?? (() => new Date()))());
    fs.renameSync(file, backup);
    log(`moved ${file} to ${backup}`);
  }
  if (!target.live) {
    log(`uninstalled from ${root} (not a live host: no config test or reload was run)`);
    return { ok: true, changed: true, file, backup };
  }
  const test = await runAll(runner, [facts.test], log);
  if (!test.ok) {
    log(`the configuration test fails without the vhost: ${server.name} was not reloaded (the backup is ${backup ?? 'absent'})`);
    return { ok: false, changed: true, file, backup };
  }
  const reload = await runAll(runner, [facts.reload], log);
  if (!reload.ok) {
    log(`uninstalled, but the reload failed`);
    return { ok: false, changed: true, file, backup };
  }
  log(`uninstalled ${file} and reloaded ${server.name}`);
  return { ok: true, changed: true, file, backup };
}
