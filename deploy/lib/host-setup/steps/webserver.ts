/*
 * The steps of the web-server modes (apache, nginx), after those of pm2: the server's package when
 * missing, on RHEL the SELinux boolean that lets it connect to the API, the service enabled and
 * running, and `install <server>` (validate, back up, write, enable, config test, graceful reload).
 */
import path from 'node:path';
import { installVhost, isInstalled, shellLine } from '../../install';
import { cmd, commandStep, enabledAndActive, StepError, type HostContext, type Site, type StepModule } from '../context';

const isRhel = (ctx: HostContext) => ctx.layout.name === 'rhel';

function packages(ctx: HostContext): string[] {
  if (ctx.mode === 'nginx') return ['nginx'];
  return isRhel(ctx) ? ['httpd', ...(ctx.tls ? ['mod_ssl'] : [])] : ['apache2'];
}

async function installed(ctx: HostContext, pkg: string): Promise<boolean> {
  if (isRhel(ctx)) return (await ctx.runner(['rpm', '-q', pkg])).code === 0;
  const r = await ctx.runner(['dpkg-query', '-W', '-f=${Status}', pkg]);
  return r.code === 0 && r.output.includes('install ok installed');
}

export const serverPackage = commandStep({
  title: (ctx) => `install the ${ctx.mode} package (${packages(ctx).join(', ')})`,
  commands: (ctx) =>
    isRhel(ctx)
      ? [cmd(['dnf', 'install', '-y', ...packages(ctx)])]
      : [cmd(['apt-get', 'update']), cmd(['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', ...packages(ctx)])],
  async check(ctx) {
    for (const p of packages(ctx)) if (!(await installed(ctx, p))) return undefined;
    return `${packages(ctx).join(', ')} installed`;
  },
});

export const selinuxNetworkConnect = commandStep({
  applies: isRhel,
  title: (ctx) => `let ${ctx.mode} connect to the API under SELinux (httpd_can_network_connect)`,
  commands: () => [cmd(['setsebool', '-P', 'httpd_can_network_connect', '1'])],
  async check(ctx) {
    const enforce = await ctx.runner(['getenforce']);
    if (enforce.code !== 0 || /disabled/i.test(enforce.output)) return 'SELinux is not enabled';
    const r = await ctx.runner(['getsebool', 'httpd_can_network_connect']);
    return r.code === 0 && /-->\s*on/.test(r.output) ? 'httpd_can_network_connect is on' : undefined;
  },
});

const serviceUnit = (ctx: HostContext) => `${ctx.mode === 'apache' ? ctx.layout.apache.service : ctx.layout.nginx.service}.service`;

export const serverService = commandStep({
  title: (ctx) => `enable and start ${serviceUnit(ctx)}`,
  commands: (ctx) => [cmd(['systemctl', 'enable', '--now', serviceUnit(ctx)])],
  check: (ctx) => enabledAndActive(ctx, serviceUnit(ctx)),
});

/** The web server and its vhost: createContext gives both to the web-server modes, the only ones with this step. */
const site = (ctx: HostContext) => ctx.site as Site;

export const vhostInstall: StepModule = {
  kind: 'file',
  describe: (ctx) => ({
    title: `install the ${ctx.mode} vhost (validate, back up, write, enable, config test, graceful reload)`,
    // The install runs in this process; its command line says what it is equivalent to.
    commands: [shellLine(['volume-api-deploy', 'install', ctx.mode, ...(ctx.installArgs ?? [])])],
  }),
  async check(ctx) {
    const { server, vhost } = site(ctx);
    return isInstalled({ server, layout: ctx.layout, root: ctx.root }, vhost)
      ? `${path.join(ctx.root, server.installFacts(ctx.layout).file)} is up to date and enabled`
      : undefined;
  },
  async apply(ctx) {
    const { server, vhost } = site(ctx);
    const lines: string[] = [];
    const r = await installVhost({ server, layout: ctx.layout, root: ctx.root, live: ctx.live, runner: ctx.runner, text: vhost, log: (l) => lines.push(l) });
    for (const l of lines) ctx.log(`   ${l.replace(/\n/g, '\n   ')}`);
    if (!r.ok) throw new StepError(`install ${ctx.mode} failed (see above)`);
  },
};
