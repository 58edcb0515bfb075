/*
 * The steps of the PM2 modes (pm2, apache, nginx): the apps of ecosystem.config.js started by the
 * service user's PM2, the process list saved, PM2 started at boot, and log rotation.
 */
import fs from 'node:fs';
import path from 'node:path';
import { renderLogrotate } from '../../../scripts/logrotate';
import { asUser, cmd, commandStep, readIfExists, type HostContext } from '../context';

export const LOGROTATE_FILE = 'etc/logrotate.d/volume-api';

const appNames = (ctx: HostContext) => ctx.eco.apps.map((a) => a.name);

export const pm2Start = commandStep({
  title: (ctx) => `start the apps with PM2 as ${ctx.user} (${appNames(ctx).join(', ')})`,
  commands(ctx) {
    // Behind a local web server the API need not be reachable from outside: bind it to loopback.
    const startEnv = ctx.mode !== 'pm2' && ctx.loopbackOnly ? ['env', 'VOLUME_API_HOST=127.0.0.1'] : [];
    return [cmd(asUser(ctx, [...startEnv, ctx.pm2Bin, 'start', ctx.eco.file, '--env', ctx.envName]), ctx.appDir)];
  },
  async check(ctx) {
    // Only ask a daemon that already runs: `pm2 jlist` would start one.
    const pid = Number(readIfExists(path.join(ctx.pm2Home, 'pm2.pid'))?.trim());
    if (!pid) return undefined;
    try {
      process.kill(pid, 0);
    } catch {
      return undefined;
    }
    const r = await ctx.runner(asUser(ctx, [ctx.pm2Bin, 'jlist']), { cwd: ctx.appDir });
    if (r.code !== 0) return undefined;
    const names = appNames(ctx);
    try {
      const list = JSON.parse(r.output.slice(r.output.indexOf('['))) as { name: string; pm2_env: { status: string } }[];
      const online = names.every((n) => list.some((p) => p.name === n && p.pm2_env.status === 'online'));
      return online ? `${names.join(' and ')} are online (roll out a new build with npm run upgrade)` : undefined;
    } catch {
      return undefined;
    }
  },
  marks: (flags) => void (flags.pm2Started = true),
});

export const pm2Save = commandStep({
  title: () => 'save the PM2 process list (pm2 save)',
  commands: (ctx) => [cmd(asUser(ctx, [ctx.pm2Bin, 'save']), ctx.appDir)],
  async check(ctx, flags) {
    if (flags.pm2Started) return undefined;
    const dumpFile = path.join(ctx.pm2Home, 'dump.pm2');
    const dump = readIfExists(dumpFile);
    const names = appNames(ctx);
    return dump && names.every((n) => dump.includes(`"name":"${n}"`)) ? `${dumpFile} lists ${names.join(' and ')}` : undefined;
  },
});

export const pm2Startup = commandStep({
  title: (ctx) => `start PM2 at boot (pm2-${ctx.user}.service)`,
  commands: (ctx) => [cmd([ctx.pm2Bin, 'startup', 'systemd', '-u', ctx.user, '--hp', ctx.home])],
  async check(ctx) {
    if (!fs.existsSync(path.join(ctx.root, 'etc', 'systemd', 'system', `pm2-${ctx.user}.service`))) return undefined;
    const r = await ctx.runner(['systemctl', 'is-enabled', `pm2-${ctx.user}.service`]);
    return r.code === 0 ? `pm2-${ctx.user}.service is enabled` : undefined;
  },
});

const rotateOut = (ctx: HostContext) => path.join(ctx.root, LOGROTATE_FILE);

export const logRotation = commandStep({
  kind: 'file',
  title: (ctx) => `log rotation (${rotateOut(ctx)})`,
  commands: (ctx) => [
    cmd(['env', `PM2_HOME=${ctx.pm2Home}`, 'npm', 'run', 'logrotate:setup', ...(ctx.live ? [] : ['--', '--output', rotateOut(ctx)])], ctx.appDir),
  ],
  async check(ctx) {
    const current = readIfExists(rotateOut(ctx));
    return current !== undefined && current === renderLogrotate(ctx.eco, ctx.pm2Home) ? 'the logrotate configuration is up to date' : undefined;
  },
});
