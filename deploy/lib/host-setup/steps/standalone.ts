/*
 * The steps of the standalone mode: a systemd unit running dist/standalone.js (API and worker in one
 * process) as the service user, enabled and (re)started.
 */
import fs from 'node:fs';
import path from 'node:path';
import { appSettings, type Ecosystem } from '../../ecosystem';
import { cmd, commandStep, enabledAndActive, readIfExists, type HostContext, type StepModule } from '../context';

export const STANDALONE_UNIT = 'etc/systemd/system/volume-api.service';

/** The systemd unit of the standalone mode: `node dist/standalone.js` as the service user. */
export function renderStandaloneUnit(o: { eco: Ecosystem; envName: string; appDir: string; user: string; nodeBin: string }): string {
  const env = { ...appSettings(o.eco.api, o.envName).env };
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

const unitFile = (ctx: HostContext) => path.join(ctx.root, STANDALONE_UNIT);
const unitText = (ctx: HostContext) =>
  renderStandaloneUnit({ eco: ctx.eco, envName: ctx.envName, appDir: ctx.appDir, user: ctx.user, nodeBin: ctx.nodeBin ?? process.execPath });

export const standaloneUnit: StepModule = {
  kind: 'file',
  describe: (ctx) => ({ title: `write the systemd unit ${unitFile(ctx)}`, commands: [`write ${unitFile(ctx)}`], detail: unitText(ctx) }),
  async check(ctx) {
    return readIfExists(unitFile(ctx)) === unitText(ctx) ? 'the unit is up to date' : undefined;
  },
  async apply(ctx) {
    fs.mkdirSync(path.dirname(unitFile(ctx)), { recursive: true });
    fs.writeFileSync(unitFile(ctx), unitText(ctx), { mode: 0o644 });
  },
  marks: (flags) => void (flags.unitChanged = true),
};

export const standaloneService = commandStep({
  title: () => 'enable and (re)start volume-api.service',
  commands: () => [
    cmd(['systemctl', 'daemon-reload']),
    cmd(['systemctl', 'enable', 'volume-api.service']),
    cmd(['systemctl', 'restart', 'volume-api.service']),
  ],
  async check(ctx, flags) {
    return flags.unitChanged ? undefined : enabledAndActive(ctx, 'volume-api.service');
  },
});
