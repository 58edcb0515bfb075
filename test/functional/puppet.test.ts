/*
 * The Puppet module (deploy/puppet/volume_api, issue 10), checked the way an operator uses it:
 *
 * - static: `puppet parser validate` on every manifest, `puppet-lint --fail-on-warnings`, both templates
 *   rendered (EPP through `puppet epp render`, ERB through Ruby's ERB as Puppet runs it);
 * - standalone and pm2 modes applied for real into a temporary root (install, config, data and log
 *   directories under one temp dir, a throwaway service user, a free loopback port, a snapshot of this
 *   checkout as `source`, its node_modules as `node_modules_source` so no 5-minute native build runs):
 *   the API answers, a second apply changes nothing (--detailed-exitcodes 0), a parameter change
 *   restarts or reloads it;
 * - apache mode applied with its vhost under a temporary root (webserver_root) and served by a private
 *   Apache (test/lib/apache.ts): the project's vhost, pointing at the module's port, answers;
 * - apache and nginx modes with --noop: the catalog holds the web server package, service, vhost exec and
 *   vhost file, and nothing on the host changes; the systemd default (unit, drop-in, pm2 startup) is
 *   compiled too, though systemd cannot run here.
 *
 * No systemd runs here (a container), so applies use service_provider 'base' (start-stop-daemon, PM2's
 * own daemon). Each suite stops what its applies started and removes its user and directories in
 * `after`, whatever the outcome. Needs root (useradd, runuser); under CI=true a missing puppet fails.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, requireApache, startApacheProxy, type ApacheProxy } from '../lib/apache';
import { PROJECT_ID } from '../lib/server';
import {
  MODULE_DIR,
  ROOT,
  catalogResources,
  hasCommand,
  puppetApply,
  removeUser,
  requireCommand,
  siteManifest,
  snapshotCheckout,
  throwawayUser,
  type PuppetValue,
} from '../lib/puppet';

function tempRoot(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  // The service user must reach the application and its directories below.
  fs.chmodSync(dir, 0o755);
  return dir;
}

function requireRoot(ctx: Mocha.Context): void {
  if (process.getuid?.() === 0) return;
  if (process.env.CI === 'true') throw new Error('the Puppet apply tests need root (useradd, runuser) under CI=true');
  ctx.skip();
}

async function api(port: number, method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${port}${urlPath}`, {
    method,
    headers: { 'X-Auth-Token': `admin:${PROJECT_ID}`, Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // /healthcheck answers text
  }
  return { status: res.status, body: parsed };
}

/** Polls until /healthcheck answers 200 (a reload or restart may still be binding the port). */
async function healthy(port: number, attempts = 300): Promise<void> {
  let last = '';
  for (let i = 0; i < attempts; i++) {
    try {
      const r = await api(port, 'GET', '/healthcheck');
      if (r.status === 200) return;
      last = `status ${r.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`http://127.0.0.1:${port}/healthcheck never answered 200 (${last})`);
}

/** POST a volume, then find it in the list: the store, the worker queue and the views all work. */
async function createAndListVolume(port: number, name: string): Promise<void> {
  const created = await api(port, 'POST', `/v3/${PROJECT_ID}/volumes`, { volume: { size: 1, name } });
  expect(created.status, JSON.stringify(created.body)).to.equal(202);
  const id = created.body.volume.id as string;
  const listed = await api(port, 'GET', `/v3/${PROJECT_ID}/volumes`);
  expect(listed.status).to.equal(200);
  expect(listed.body.volumes.map((v: { id: string }) => v.id)).to.include(id);
  const one = await api(port, 'GET', `/v3/${PROJECT_ID}/volumes/${id}`);
  expect(one.status).to.equal(200);
  expect(one.body.volume.name).to.equal(name);
}

function applyFailed(r: { code: number; output: string }): string {
  return `puppet apply exited with ${r.code}:\n${r.output.split('\n').slice(-60).join('\n')}`;
}

function log(line: string): void {
  process.stdout.write(`      ${line}\n`);
}

describe('Puppet module deploy/puppet/volume_api', function () {
  this.timeout(20 * 60 * 1000);

  before(function () {
    requireCommand(this, 'puppet', 'puppet');
  });

  describe('static checks', function () {
    const manifests = fs
      .readdirSync(path.join(MODULE_DIR, 'manifests'))
      .filter((f) => f.endsWith('.pp'))
      .map((f) => path.join(MODULE_DIR, 'manifests', f));

    it('has a metadata.json naming the module and its Puppet requirement', function () {
      const meta = JSON.parse(fs.readFileSync(path.join(MODULE_DIR, 'metadata.json'), 'utf8'));
      expect(meta.name).to.match(/-volume_api$/);
      expect(meta.dependencies).to.deep.equal([]);
      expect(meta.requirements.map((r: { name: string }) => r.name)).to.include('puppet');
    });

    it('parses every manifest (puppet parser validate)', function () {
      expect(manifests.map((m) => path.basename(m))).to.include.members([
        'init.pp',
        'params.pp',
        'install.pp',
        'config.pp',
        'service.pp',
        'webserver.pp',
        'logrotate.pp',
      ]);
      const r = spawnSync('puppet', ['parser', 'validate', '--color=false', ...manifests], { encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).to.equal(0);
    });

    it('passes puppet-lint --fail-on-warnings', function () {
      requireCommand(this, 'puppet-lint', 'puppet-lint');
      const r = spawnSync('puppet-lint', ['--fail-on-warnings', '--with-filename', path.join(MODULE_DIR, 'manifests')], { encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).to.equal(0);
    });

    it("renders the environment file (EPP): sorted KEY='value' lines that sh can source", function () {
      const values = "{ 'environment' => { 'VOLUME_API_PORT' => '9000', 'VOLUME_API_CONFIG' => '/etc/volume-api/volume-api.json' } }";
      const r = spawnSync('puppet', ['epp', 'render', '--color=false', '--values', values, path.join(MODULE_DIR, 'templates', 'volume-api.env.epp')], {
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).to.equal(0);
      const lines = r.stdout.split('\n').filter((l) => l && !l.startsWith('#'));
      expect(lines).to.deep.equal(["VOLUME_API_CONFIG='/etc/volume-api/volume-api.json'", "VOLUME_API_PORT='9000'"]);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vapi-puppet-epp-'));
      try {
        fs.writeFileSync(path.join(dir, 'volume-api.env'), r.stdout);
        const sh = spawnSync('sh', ['-c', 'set -a && . "$1" && set +a && sh -c \'echo "$VOLUME_API_PORT"\'', 'sh', path.join(dir, 'volume-api.env')], {
          encoding: 'utf8',
        });
        expect(sh.stdout.trim(), sh.stderr).to.equal('9000');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('renders the config file (ERB) as JSON the app reads, quoting included', function () {
      if (!hasCommand('ruby')) this.skip();
      const settings = { port: 8776, public_endpoint: 'https://v.example.com', auth: { strategy: 'keystone', keystone: { password: 'p"w\\x' } } };
      const script = '@settings = JSON.parse(ARGV[0]); print ERB.new(File.read(ARGV[1]), trim_mode: "-").result(binding)';
      const r = spawnSync('ruby', ['-rerb', '-rjson', '-e', script, JSON.stringify(settings), path.join(MODULE_DIR, 'templates', 'volume-api.json.erb')], {
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).to.equal(0);
      expect(JSON.parse(r.stdout)).to.deep.equal(settings);
    });

    it('refuses tls_cert without tls_key when compiling', async function () {
      const dir = tempRoot('vapi-puppet-fail-');
      try {
        const r = await puppetApply(dir, siteManifest({ source: ROOT, mode: 'nginx', tls_cert: '/etc/ssl/certs/x.pem', service_provider: 'base' }), ['--noop']);
        expect(r.code, r.output).to.not.equal(0);
        expect(r.output).to.include('tls_cert and tls_key go together');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  /** A full apply of one mode into a temp root: the shared setup of the standalone and pm2 suites. */
  function appliedMode(mode: 'standalone' | 'pm2' | 'apache', extra: (dir: string) => Record<string, PuppetValue>) {
    const ctx = {
      dir: '',
      user: '',
      port: 0,
      params: {} as Record<string, PuppetValue>,
    };
    before(async function () {
      requireRoot(this);
      ctx.dir = tempRoot(`vapi-puppet-${mode}-`);
      ctx.user = throwawayUser();
      ctx.port = await freePort();
      const source = path.join(ctx.dir, 'source');
      const t0 = Date.now();
      snapshotCheckout(source);
      log(`snapshot of the checkout: ${Date.now() - t0} ms`);
      ctx.params = {
        mode,
        source,
        node_modules_source: path.join(ROOT, 'node_modules'),
        install_dir: path.join(ctx.dir, 'app'),
        user: ctx.user,
        group: ctx.user,
        home: path.join(ctx.dir, 'home'),
        config_dir: path.join(ctx.dir, 'etc'),
        data_dir: path.join(ctx.dir, 'data'),
        log_dir: path.join(ctx.dir, 'log'),
        listen_host: '127.0.0.1',
        port: ctx.port,
        service_provider: 'base',
        ...extra(ctx.dir),
      };
    });
    return ctx;
  }

  describe('standalone mode, applied into a temporary root', function () {
    const ctx = appliedMode('standalone', () => ({}));
    const pidfile = () => `/run/volume-api-${ctx.user}.pid`;
    const pid = () => Number(fs.readFileSync(pidfile(), 'utf8').trim());

    after(async function () {
      if (!ctx.user) return;
      spawnSync('start-stop-daemon', ['--stop', '--quiet', '--oknodo', '--pidfile', pidfile(), '--retry', 'TERM/20/KILL/5', '--remove-pidfile'], {
        stdio: 'ignore',
      });
      fs.rmSync(pidfile(), { force: true });
      await removeUser(ctx.user);
      if (ctx.dir) fs.rmSync(ctx.dir, { recursive: true, force: true });
    });

    it('installs, builds, configures and starts the API (exit 2: changes applied)', async function () {
      const r = await puppetApply(ctx.dir, siteManifest(ctx.params));
      log(`first apply (standalone): ${(r.ms / 1000).toFixed(1)} s`);
      expect(r.code, applyFailed(r)).to.equal(2);
      expect(r.output).to.match(/Exec\[volume-api build\]\/returns: executed successfully/);
      expect(r.output).to.match(/Service\[volume-api\]\/ensure: ensure changed 'stopped' to 'running'/);
      expect(spawnSync('getent', ['passwd', ctx.user]).status).to.equal(0);
      const config = JSON.parse(fs.readFileSync(path.join(ctx.dir, 'etc', 'volume-api.json'), 'utf8'));
      expect(config).to.include({ host: '127.0.0.1', port: ctx.port, data_dir: path.join(ctx.dir, 'data') });
      expect(fs.statSync(path.join(ctx.dir, 'etc', 'volume-api.json')).mode & 0o777).to.equal(0o640);
    });

    it('runs the API as the service user: /healthcheck, then a volume created and listed', async function () {
      await healthy(ctx.port);
      const uid = Number(spawnSync('id', ['-u', ctx.user], { encoding: 'utf8' }).stdout.trim());
      expect(Number(spawnSync('ps', ['-o', 'uid=', '-p', String(pid())], { encoding: 'utf8' }).stdout.trim())).to.equal(uid);
      expect(fs.statSync(path.join(ctx.dir, 'data')).uid).to.equal(uid);
      await createAndListVolume(ctx.port, 'puppet-standalone');
      expect(fs.existsSync(path.join(ctx.dir, 'data', 'volume-api.sqlite'))).to.equal(true);
    });

    it('changes nothing on a second apply (--detailed-exitcodes 0)', async function () {
      const before = pid();
      const r = await puppetApply(ctx.dir, siteManifest(ctx.params));
      log(`second apply (standalone): ${(r.ms / 1000).toFixed(1)} s`);
      expect(r.code, applyFailed(r)).to.equal(0);
      expect(pid()).to.equal(before);
    });

    it('re-renders the config and restarts the service when a parameter changes', async function () {
      const before = pid();
      ctx.params = { ...ctx.params, log_level: 'debug' };
      const r = await puppetApply(ctx.dir, siteManifest(ctx.params));
      log(`reconfiguring apply (standalone): ${(r.ms / 1000).toFixed(1)} s`);
      expect(r.code, applyFailed(r)).to.equal(2);
      expect(r.output).to.match(/File\[[^\]]*volume-api\.json\]\/content: content changed/);
      expect(r.output).to.match(/Service\[volume-api\]: Triggered 'refresh'/);
      expect(pid()).to.not.equal(before);
      await healthy(ctx.port);
      const again = await puppetApply(ctx.dir, siteManifest(ctx.params));
      expect(again.code, applyFailed(again)).to.equal(0);
    });
  });

  describe('pm2 mode, applied into a temporary root', function () {
    const ctx = appliedMode('pm2', () => ({ instances: 2 }));
    const pm2Home = () => path.join(ctx.dir, 'home', '.pm2');

    after(async function () {
      if (!ctx.user) return;
      const pm2 = path.join(ctx.dir, 'app', 'node_modules', '.bin', 'pm2');
      if (fs.existsSync(pm2) && fs.existsSync(pm2Home())) {
        spawnSync('runuser', ['-u', ctx.user, '--', 'env', `PM2_HOME=${pm2Home()}`, pm2, 'kill'], { stdio: 'ignore', timeout: 60000 });
      }
      await removeUser(ctx.user);
      if (ctx.dir) fs.rmSync(ctx.dir, { recursive: true, force: true });
    });

    it("starts the ecosystem as the service user and sets up log rotation with the module's policy", async function () {
      ctx.params = { ...ctx.params, logrotate_file: path.join(ctx.dir, 'logrotate.d', 'volume-api'), log_max_size: '20M', log_retain: 3 };
      const r = await puppetApply(ctx.dir, siteManifest(ctx.params));
      log(`first apply (pm2): ${(r.ms / 1000).toFixed(1)} s`);
      expect(r.code, applyFailed(r)).to.equal(2);
      expect(r.output).to.match(/Exec\[volume-api pm2 start\]\/returns: executed successfully/);
      // The project's logrotate script got the module's environment (log dir, policy), not the ecosystem's defaults.
      const rotate = fs.readFileSync(path.join(ctx.dir, 'logrotate.d', 'volume-api'), 'utf8');
      expect(rotate).to.include(`${path.join(ctx.dir, 'log')}/volume-api.log`);
      expect(rotate).to.include('maxsize 20M');
      expect(rotate).to.include('rotate 3');
      expect(rotate).to.include(`PM2_HOME=${pm2Home()}`);
      expect(fs.existsSync(path.join(pm2Home(), 'dump.pm2'))).to.equal(true);
    });

    it('serves the API from the PM2 cluster: /healthcheck, then a volume created and listed', async function () {
      await healthy(ctx.port);
      await createAndListVolume(ctx.port, 'puppet-pm2');
      expect(fs.existsSync(path.join(ctx.dir, 'log', 'volume-api.log'))).to.equal(true);
    });

    it('changes nothing on a second apply (--detailed-exitcodes 0)', async function () {
      const r = await puppetApply(ctx.dir, siteManifest(ctx.params));
      log(`second apply (pm2): ${(r.ms / 1000).toFixed(1)} s`);
      expect(r.code, applyFailed(r)).to.equal(0);
    });

    it('moves the cluster to a new port through the health-gated reload when the port changes', async function () {
      const newPort = await freePort();
      ctx.params = { ...ctx.params, port: newPort };
      const r = await puppetApply(ctx.dir, siteManifest(ctx.params));
      log(`reconfiguring apply (pm2): ${(r.ms / 1000).toFixed(1)} s`);
      expect(r.code, applyFailed(r)).to.equal(2);
      expect(r.output).to.match(/Exec\[volume-api pm2 reload\]: Triggered 'refresh'/);
      ctx.port = newPort;
      await healthy(newPort);
    });
  });

  describe('apache mode, vhost installed under a temporary root and served by a private Apache', function () {
    // A live apache-mode apply would enable modules in the machine's /etc/apache2 and reload the
    // system Apache on port 80, under the feet of the other suites that run Apache: webserver_root
    // gives the tool's `install --root` (files only), and the test serves that file itself.
    let vhostPort = 0;
    const ctx = appliedMode('apache', (dir) => ({
      instances: 1,
      webserver_root: path.join(dir, 'root'),
      vhost_listen: `127.0.0.1:${vhostPort}`,
      vhost_options: ['--log-dir', path.join(dir, 'vhost-log')],
      server_name: 'volume.example.test',
      logrotate_file: path.join(dir, 'logrotate.d', 'volume-api'),
    }));
    let proxy: ApacheProxy | undefined;
    const vhostFile = () => path.join(ctx.dir, 'root', 'etc', 'apache2', 'sites-available', 'volume-api.conf');

    before(async function () {
      requireApache(this);
      vhostPort = await freePort();
      ctx.params = { ...ctx.params, vhost_listen: `127.0.0.1:${vhostPort}` };
      fs.mkdirSync(path.join(ctx.dir, 'vhost-log'), { recursive: true });
    });

    after(async function () {
      if (proxy) await proxy.stop();
      if (!ctx.user) return;
      const pm2 = path.join(ctx.dir, 'app', 'node_modules', '.bin', 'pm2');
      const pm2Home = path.join(ctx.dir, 'home', '.pm2');
      if (fs.existsSync(pm2) && fs.existsSync(pm2Home)) {
        spawnSync('runuser', ['-u', ctx.user, '--', 'env', `PM2_HOME=${pm2Home}`, pm2, 'kill'], { stdio: 'ignore', timeout: 60000 });
      }
      await removeUser(ctx.user);
      if (ctx.dir) fs.rmSync(ctx.dir, { recursive: true, force: true });
    });

    it("starts the apps and installs the project's vhost (validated, enabled) pointing at the module's port", async function () {
      const r = await puppetApply(ctx.dir, siteManifest(ctx.params));
      log(`first apply (apache, vhost under a root): ${(r.ms / 1000).toFixed(1)} s`);
      expect(r.code, applyFailed(r)).to.equal(2);
      expect(r.output).to.include('apache validation passed');
      const vhost = fs.readFileSync(vhostFile(), 'utf8');
      expect(vhost).to.include(`Listen 127.0.0.1:${vhostPort}`);
      expect(vhost).to.include(`127.0.0.1:${ctx.port}`);
      expect(vhost).to.include('ServerName volume.example.test');
      const link = path.join(ctx.dir, 'root', 'etc', 'apache2', 'sites-enabled', 'volume-api.conf');
      expect(fs.readlinkSync(link)).to.equal('../sites-available/volume-api.conf');
      // Behind a web server the API listens on the loopback only.
      const config = JSON.parse(fs.readFileSync(path.join(ctx.dir, 'etc', 'volume-api.json'), 'utf8'));
      expect(config.host).to.equal('127.0.0.1');
    });

    it('answers through Apache: /healthcheck, then a volume created and listed', async function () {
      proxy = await startApacheProxy(fs.readFileSync(vhostFile(), 'utf8'));
      await healthy(proxy.port);
      await createAndListVolume(proxy.port, 'puppet-apache');
    });

    it('changes nothing on a second apply (--detailed-exitcodes 0)', async function () {
      const r = await puppetApply(ctx.dir, siteManifest(ctx.params));
      log(`second apply (apache): ${(r.ms / 1000).toFixed(1)} s`);
      expect(r.code, applyFailed(r)).to.equal(0);
    });
  });

  describe('--noop runs: the web server modes, and the systemd default', function () {
    const dirs: string[] = [];
    after(function () {
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    });

    const cases = [
      { mode: 'apache', layout: 'debian', tls: false, pkg: 'apache2', service: 'apache2', vhost: '/etc/apache2/sites-available/volume-api.conf' },
      { mode: 'nginx', layout: 'debian', tls: false, pkg: 'nginx', service: 'nginx', vhost: '/etc/nginx/sites-available/volume-api' },
      { mode: 'apache', layout: 'rhel', tls: true, pkg: 'mod_ssl', service: 'httpd', vhost: '/etc/httpd/conf.d/volume-api.conf' },
    ];
    for (const c of cases) {
      it(`${c.mode} (${c.layout}${c.tls ? ', TLS' : ''}): package, service, vhost install and vhost file planned, nothing changed`, async function () {
        const dir = tempRoot(`vapi-puppet-noop-${c.mode}-`);
        dirs.push(dir);
        const user = throwawayUser();
        const params: Record<string, PuppetValue> = {
          mode: c.mode,
          layout: c.layout,
          source: ROOT,
          install_dir: path.join(dir, 'app'),
          user,
          group: user,
          home: path.join(dir, 'home'),
          config_dir: path.join(dir, 'etc'),
          data_dir: path.join(dir, 'data'),
          log_dir: path.join(dir, 'log'),
          logrotate_file: path.join(dir, 'logrotate.d', 'volume-api'),
          server_name: 'volume.example.test',
          service_provider: 'base',
          ...(c.tls ? { tls_cert: '/etc/pki/tls/certs/volume.pem', tls_key: '/etc/pki/tls/private/volume.key' } : {}),
        };
        const r = await puppetApply(dir, siteManifest(params), ['--noop', '--write-catalog-summary']);
        log(`noop apply (${c.mode}, ${c.layout}): ${(r.ms / 1000).toFixed(1)} s`);
        expect(r.code, applyFailed(r)).to.equal(0);
        const resources = catalogResources(dir);
        expect(resources).to.include.members([
          `package[${c.pkg}]`,
          `service[${c.service}]`,
          `exec[volume-api vhost ${c.vhost}]`,
          `file[${c.vhost}]`,
          'exec[volume-api pm2 start]',
          'exec[volume-api logrotate]',
          'exec[volume-api npm packages]',
          'exec[volume-api build]',
        ]);
        expect(r.output).to.include(`Exec[volume-api vhost ${c.vhost}]/returns: current_value 'notrun', should be ['0'] (noop)`);
        expect(r.output).to.match(/User\[[^\]]+\]\/ensure: current_value '?absent'?, should be '?present'? \(noop\)/);
        // --noop changed nothing: no user, no application, no config.
        expect(spawnSync('getent', ['passwd', user]).status).to.not.equal(0);
        expect(fs.existsSync(path.join(dir, 'app'))).to.equal(false);
        expect(fs.existsSync(path.join(dir, 'etc'))).to.equal(false);
      });
    }

    // The production default needs systemd, which does not run here: the catalog is still compiled and
    // listed, and the systemd provider's refusal is the only error.
    const systemdCases = [
      {
        mode: 'standalone',
        expected: [
          'exec[volume-api systemd unit]',
          'file[/etc/systemd/system/volume-api.service.d/puppet.conf]',
          'exec[volume-api systemd daemon-reload]',
          'service[volume-api]',
        ],
      },
      { mode: 'pm2', expected: ['exec[volume-api pm2 start]', 'exec[volume-api pm2 save]', 'exec[volume-api pm2 startup]'] },
    ];
    for (const c of systemdCases) {
      it(`${c.mode} with service_provider systemd (the default): the unit or pm2 startup is in the catalog`, async function () {
        const dir = tempRoot(`vapi-puppet-systemd-${c.mode}-`);
        dirs.push(dir);
        const user = throwawayUser();
        const params: Record<string, PuppetValue> = {
          mode: c.mode,
          source: ROOT,
          install_dir: path.join(dir, 'app'),
          user,
          group: user,
          home: path.join(dir, 'home'),
          config_dir: path.join(dir, 'etc'),
          data_dir: path.join(dir, 'data'),
          log_dir: path.join(dir, 'log'),
          logrotate_file: path.join(dir, 'logrotate.d', 'volume-api'),
        };
        const r = await puppetApply(dir, siteManifest(params), ['--noop', '--write-catalog-summary']);
        expect(catalogResources(dir)).to.include.members(c.expected);
        const errors = r.output.split('\n').filter((l) => /^Error:/.test(l));
        const systemdUp = fs.existsSync('/run/systemd/system');
        if (!systemdUp)
          expect(
            errors.every((l) => /Provider systemd is not functional/.test(l)),
            errors.join('\n'),
          ).to.equal(true);
        expect(spawnSync('getent', ['passwd', user]).status).to.not.equal(0);
      });
    }
  });
});
