/*
 * The steps of every mode: the checkout's packages and build, the service user and its writable
 * directories.
 */
import fs from 'node:fs';
import path from 'node:path';
import { cmd, commandStep, mtime, newestUnder, passwdEntry, type HostContext } from '../context';

export const npmPackages = commandStep({
  title: () => 'install the npm packages (npm ci)',
  commands: (ctx) => [cmd(['npm', 'ci', '--no-audit', '--no-fund'], ctx.appDir)],
  async check(ctx) {
    const hidden = mtime(path.join(ctx.appDir, 'node_modules', '.package-lock.json'));
    const lock = mtime(path.join(ctx.appDir, 'package-lock.json'));
    return hidden !== undefined && lock !== undefined && hidden >= lock ? 'node_modules matches package-lock.json' : undefined;
  },
});

export const build = commandStep({
  title: () => 'build (npm run build)',
  commands: (ctx) => [cmd(['npm', 'run', 'build'], ctx.appDir)],
  async check(ctx) {
    const outs = ['standalone.js', 'server.js', 'worker.js', 'config.js'].map((f) => mtime(path.join(ctx.appDir, 'dist', f)));
    if (outs.some((m) => m === undefined)) return undefined;
    const oldest = Math.min(...(outs as number[]));
    return oldest >= newestUnder(path.join(ctx.appDir, 'src')) ? 'dist/ is newer than every file under src/' : undefined;
  },
});

export const serviceUser = commandStep({
  title: (ctx) => `create the service user ${ctx.user}`,
  commands: (ctx) => [cmd(['useradd', '--system', '--create-home', '--home-dir', ctx.home, '--shell', '/usr/sbin/nologin', ctx.user])],
  async check(ctx) {
    return (await passwdEntry(ctx.runner, ctx.user)) ? `user ${ctx.user} exists` : undefined;
  },
});

/** The data directory, and in the PM2 modes the log directory (the journal takes the standalone's logs). */
function writableDirs(ctx: HostContext): string[] {
  const dataDir = path.resolve(ctx.appDir, ctx.api.dataDir);
  return ctx.mode === 'standalone' ? [dataDir] : [dataDir, path.dirname(ctx.eco.api.log_file)];
}

export const writableDirectories = commandStep({
  title: (ctx) =>
    `give ${ctx.user} its writable directories (${writableDirs(ctx)
      .map((d) => path.relative(ctx.appDir, d) || d)
      .join(', ')})`,
  commands: (ctx) => [cmd(['mkdir', '-p', ...writableDirs(ctx)]), cmd(['chown', '-R', `${ctx.user}:`, ...writableDirs(ctx)])],
  async check(ctx) {
    const pw = await passwdEntry(ctx.runner, ctx.user);
    if (!pw) return undefined;
    const dirs = writableDirs(ctx);
    for (const d of dirs) {
      try {
        if (fs.statSync(d).uid !== pw.uid) return undefined;
      } catch {
        return undefined;
      }
    }
    return `${dirs.join(', ')} belong to ${ctx.user}`;
  },
});
