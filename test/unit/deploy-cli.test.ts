/*
 * volume-api-deploy (deploy/lib/cli.ts, install.ts, host-setup.ts) without a web server or a host:
 * argument parsing, usage errors (exit 2, naming the option), --help everywhere, generate = the server's
 * generate for the parsed options, validate's exit codes, install's ordering and rollback on a "live"
 * host with a fake runner, and the host-setup step lists of every mode on both layouts (--dry-run runs
 * nothing but read-only probes). Fake web servers stand in for apache/nginx except where the real
 * generators (pure functions) are compared; test/functional/deploy-install.test.ts uses the real ones.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main, parseOptions } from '../../deploy/lib/cli';
import { loadEcosystem, type Ecosystem } from '../../deploy/lib/ecosystem';
import { LAYOUTS, type Layout } from '../../deploy/lib/layouts';
import { installVhost, shellLine, type CommandResult, type RunOptions } from '../../deploy/lib/install';
import { STANDALONE_UNIT } from '../../deploy/lib/host-setup';
import { servers as realServers } from '../../deploy/lib/servers';
import { defaultVhostOptions, type InstallFacts, type VhostOptions, type WebServer } from '../../deploy/lib/webserver';

const REPO = path.resolve(__dirname, '..', '..');

function fakeFacts(name: string, layout: Layout): InstallFacts {
  const base = `etc/fake-${name}`;
  return layout.name === 'debian'
    ? {
        file: `${base}/sites-available/volume-api.conf`,
        enabledLink: `${base}/sites-enabled/volume-api.conf`,
        prepare: [
          [`${name}-enmod`, 'proxy'],
          [`${name}-ensite`, 'volume-api'],
        ],
        test: [`${name}ctl`, '-t'],
        reload: [`${name}ctl`, 'graceful'],
      }
    : { file: `${base}/conf.d/volume-api.conf`, prepare: [], test: [`${name}ctl`, '-t'], reload: [`${name}ctl`, 'graceful'] };
}

/** A web server with a pure, readable generator; validation fails for server name bad.example.com. */
function fakeServer(name: 'apache' | 'nginx'): WebServer & { validated: string[] } {
  const validated: string[] = [];
  return {
    name,
    validated,
    generate(eco: Ecosystem, opts: VhostOptions, layout: Layout) {
      if (opts.connectTimeoutSeconds > opts.proxyTimeoutSeconds) {
        throw new Error(`connectTimeoutSeconds ${opts.connectTimeoutSeconds} must not exceed proxyTimeoutSeconds ${opts.proxyTimeoutSeconds}`);
      }
      return `# fake ${name} vhost for ${layout.name}, port ${eco.port}\n${JSON.stringify(opts)}\n`;
    },
    async validate(text: string) {
      validated.push(text);
      return text.includes('"serverName":"bad.example.com"') ? { ok: false, output: 'fake: syntax error on line 2' } : { ok: true, output: 'fake: Syntax OK' };
    },
    installFacts: (layout: Layout) => fakeFacts(name, layout),
  };
}

interface Call {
  argv: string[];
  cwd?: string;
}

/** Records every command; answers from `answer` (default: exit 1, "not there"). */
function fakeRunner(answer: (argv: string[]) => CommandResult | undefined = () => undefined) {
  const calls: Call[] = [];
  const runner = async (argv: string[], opts: RunOptions = {}): Promise<CommandResult> => {
    calls.push({ argv, cwd: opts.cwd });
    return answer(argv) ?? { code: 1, output: '' };
  };
  return { calls, runner };
}

async function cli(argv: string[], deps: Partial<Parameters<typeof main>[1]> = {}) {
  let out = '';
  let err = '';
  const fakes = { apache: fakeServer('apache'), nginx: fakeServer('nginx') };
  const { runner, calls } = fakeRunner();
  const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t), servers: fakes, runner, env: {}, ...deps });
  return { code, out, err, fakes, calls };
}

const ECO = () => loadEcosystem(undefined, {});

describe('volume-api-deploy CLI', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-cli-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  describe('argument parsing', () => {
    it('takes --name value, --name=value, repeated --upstream and flags', () => {
      const p = parseOptions(
        ['apache', '--server-name', 'a.example.com', '--listen=127.0.0.1:8080', '--upstream', '10.0.0.1:1', '--upstream=10.0.0.2:2', '--dry-run'],
        'install',
      );
      expect(p.positionals).to.deep.equal(['apache']);
      expect(p.values.get('server-name')).to.deep.equal(['a.example.com']);
      expect(p.values.get('listen')).to.deep.equal(['127.0.0.1:8080']);
      expect(p.values.get('upstream')).to.deep.equal(['10.0.0.1:1', '10.0.0.2:2']);
      expect([...p.flags]).to.deep.equal(['dry-run']);
    });

    const usage: [string, string[], RegExp][] = [
      ['an unknown option', ['nginx', 'generate', '--layout', 'debian', '--bogus', 'x'], /unknown option --bogus/],
      ['an option of another command', ['nginx', 'generate', '--layout', 'debian', '--dry-run'], /unknown option --dry-run/],
      ['a missing value', ['nginx', 'generate', '--layout', 'debian', '--server-name'], /--server-name needs a value/],
      ['a value that is another option', ['nginx', 'generate', '--listen', '--layout', 'debian'], /--listen needs a value/],
      ['a bad --listen', ['nginx', 'generate', '--layout', 'debian', '--listen', 'localhost'], /--listen "localhost" must be HOST:PORT/],
      ['a bad --upstream', ['apache', 'generate', '--layout', 'debian', '--upstream', '10.0.0.1:99999'], /--upstream "10.0.0.1:99999" must be HOST:PORT/],
      ['--tls-cert alone', ['apache', 'generate', '--layout', 'debian', '--tls-cert', '/c.pem'], /--tls-cert and --tls-key go together: --tls-key is missing/],
      ['--tls-key alone', ['apache', 'generate', '--layout', 'debian', '--tls-key', '/k.pem'], /--tls-key go together: --tls-cert is missing/],
      ['a non-number --max-body', ['apache', 'generate', '--layout', 'debian', '--max-body', '1m'], /--max-body "1m" must be a positive whole number of bytes/],
      ['a zero --proxy-timeout', ['apache', 'generate', '--layout', 'debian', '--proxy-timeout', '0'], /--proxy-timeout "0" must be a positive/],
      ['a fractional --connect-timeout', ['apache', 'generate', '--layout', 'debian', '--connect-timeout', '1.5'], /--connect-timeout "1.5"/],
      ['a negative --health-interval', ['apache', 'generate', '--layout', 'debian', '--health-interval=-1'], /--health-interval "-1"/],
      [
        '--backend-keepalive at the service keep-alive',
        ['nginx', 'generate', '--layout', 'debian', '--backend-keepalive', '75'],
        /--backend-keepalive: backend keep-alive 75s must stay below/,
      ],
      ['a bad --server-name', ['nginx', 'generate', '--layout', 'debian', '--server-name', 'a b'], /--server-name "a b" is not a host name/],
      ['a bad --layout', ['nginx', 'generate', '--layout', 'solaris'], /--layout "solaris" must be debian or rhel/],
      ['an option given twice', ['nginx', 'generate', '--layout', 'debian', '--listen', '*:80', '--listen', '*:81'], /--listen given twice/],
      ['a flag with a value', ['install', 'nginx', '--layout', 'debian', '--dry-run=yes'], /--dry-run takes no value/],
      ['an --env the ecosystem lacks', ['nginx', 'generate', '--layout', 'debian', '--env', 'staging'], /--env staging: no app of .* defines env_staging/],
      [
        'a missing --ecosystem',
        ['nginx', 'generate', '--layout', 'debian', '--ecosystem', '/nonexistent/eco.js'],
        /--ecosystem \/nonexistent\/eco.js: no such file/,
      ],
      ['a missing --file', ['nginx', 'validate', '--layout', 'debian', '--file', '/nonexistent/vhost'], /--file \/nonexistent\/vhost: no such file/],
      [
        '--file with generate options',
        ['nginx', 'validate', '--layout', 'debian', '--file', '/etc/hostname', '--server-name', 'a.example.com'],
        /--server-name cannot be combined with --file/,
      ],
      [
        'a generator refusal',
        ['apache', 'generate', '--layout', 'debian', '--connect-timeout', '90', '--proxy-timeout', '60'],
        /--connect-timeout: connectTimeoutSeconds 90 must not exceed/,
      ],
      ['no command', [], /no command given/],
      ['an unknown command', ['deploy'], /unknown command "deploy"/],
      ['a server without action', ['apache'], /apache needs an action: generate or validate/],
      ['an unknown action', ['nginx', 'restart'], /unknown nginx action "restart"/],
      ['install without a server', ['install', '--layout', 'debian'], /install needs a web server: apache or nginx/],
      ['install of an unknown server', ['install', 'lighttpd', '--layout', 'debian'], /unknown web server "lighttpd"/],
      [
        'uninstall with a vhost option',
        ['uninstall', 'nginx', '--layout', 'debian', '--server-name', 'a.example.com'],
        /unknown option --server-name for uninstall/,
      ],
      ['host-setup without --mode', ['host-setup', '--layout', 'debian'], /--mode is required/],
      ['host-setup with a bad --mode', ['host-setup', '--mode', 'docker', '--layout', 'debian'], /--mode "docker" must be standalone, pm2, apache or nginx/],
      [
        'host-setup pm2 with a vhost option',
        ['host-setup', '--mode', 'pm2', '--layout', 'debian', '--server-name', 'a.example.com'],
        /--server-name only applies with --mode apache or nginx/,
      ],
      [
        'host-setup with a bad --user',
        ['host-setup', '--mode', 'pm2', '--layout', 'debian', '--user', 'Root User'],
        /--user "Root User" is not a valid user name/,
      ],
      [
        'host-setup with a bad --app-dir',
        ['host-setup', '--mode', 'pm2', '--layout', 'debian', '--app-dir', '/nonexistent'],
        /--app-dir \/nonexistent has no package.json/,
      ],
    ];
    for (const [what, argv, message] of usage) {
      it(`exits 2 on ${what}, naming it`, async () => {
        const r = await cli(argv);
        expect(r.code, r.err).to.equal(2);
        expect(r.err).to.match(message);
        expect(r.err).to.match(/Run 'volume-api-deploy .*--help' for usage/);
        expect(r.out).to.equal('');
      });
    }

    it('exits 2 when the layout cannot be detected under --root, pointing to --layout', async () => {
      const r = await cli(['install', 'nginx', '--root', tmp]);
      expect(r.code).to.equal(2);
      expect(r.err).to.match(/--layout debian\|rhel/);
    });

    it('detects the layout under --root', async () => {
      fs.mkdirSync(path.join(tmp, 'etc'));
      fs.writeFileSync(path.join(tmp, 'etc', 'redhat-release'), 'Rocky Linux release 9.4\n');
      const r = await cli(['install', 'nginx', '--root', tmp]);
      expect(r.code, r.err).to.equal(0);
      expect(fs.existsSync(path.join(tmp, 'etc/fake-nginx/conf.d/volume-api.conf'))).to.equal(true);
    });
  });

  describe('--help', () => {
    const commands: [string[], string][] = [
      [['--help'], 'volume-api-deploy <command>'],
      [['help'], 'volume-api-deploy <command>'],
      [['apache', '--help'], 'apache|nginx generate'],
      [['apache', 'generate', '--help'], 'apache|nginx generate [options]'],
      [['nginx', 'validate', '-h'], 'apache|nginx validate [options]'],
      [['install', '--help'], 'install apache|nginx [options]'],
      [['install', 'nginx', '--server-name', 'x', '--help'], 'install apache|nginx [options]'],
      [['uninstall', '--help'], 'uninstall apache|nginx [options]'],
      [['host-setup', '--help'], 'host-setup --mode standalone|pm2|apache|nginx [options]'],
      [['help', 'host-setup'], 'host-setup --mode'],
    ];
    for (const [argv, usage] of commands) {
      it(`${argv.join(' ')} prints the usage and exits 0`, async () => {
        const r = await cli(argv);
        expect(r.code).to.equal(0);
        expect(r.out).to.contain(usage);
        expect(r.out).to.contain('Exit codes: 0 ok, 1 failed, 2 usage error');
      });
    }

    it('lists every option of a command', async () => {
      const r = await cli(['host-setup', '--help']);
      for (const o of [
        '--mode',
        '--dry-run',
        '--user',
        '--home',
        '--root',
        '--app-dir',
        '--ecosystem',
        '--env',
        '--layout',
        '--server-name',
        '--listen',
        '--tls-cert',
        '--tls-key',
        '--upstream',
        '--max-body',
        '--proxy-timeout',
        '--connect-timeout',
        '--backend-keepalive',
        '--health-interval',
        '--log-dir',
      ]) {
        expect(r.out).to.contain(o);
      }
      const g = await cli(['nginx', 'generate', '--help']);
      expect(g.out).to.contain('--out FILE');
      expect(g.out).to.contain('--upstream HOST:PORT (repeatable)');
    });
  });

  describe('the ecosystem as the CLI reads it', () => {
    it('takes VOLUME_API_* from the process environment, as `VOLUME_API_PORT=9999 volume-api-deploy ...` sets it', () => {
      const saved = process.env.VOLUME_API_PORT;
      process.env.VOLUME_API_PORT = '9999';
      try {
        expect(loadEcosystem(undefined, process.env).port).to.equal(9999);
        // And process.env is as it was.
        expect(process.env.VOLUME_API_PORT).to.equal('9999');
      } finally {
        if (saved === undefined) delete process.env.VOLUME_API_PORT;
        else process.env.VOLUME_API_PORT = saved;
      }
    });
  });

  describe('generate', () => {
    const argv = [
      '--layout',
      'debian',
      '--server-name',
      'volume.example.com',
      '--listen',
      '127.0.0.1:8443',
      '--tls-cert',
      '/etc/ssl/volume.pem',
      '--tls-key',
      '/etc/ssl/volume.key',
      '--upstream',
      '10.0.0.1:8776',
      '--upstream',
      '10.0.0.2:8776',
      '--max-body',
      '200000',
      '--proxy-timeout',
      '90',
      '--connect-timeout',
      '3',
      '--backend-keepalive',
      '20',
      '--health-interval',
      '10',
      '--log-dir',
      '/var/log/volume-api-proxy',
    ];
    const expectedPartial: Partial<VhostOptions> = {
      serverName: 'volume.example.com',
      listen: { host: '127.0.0.1', port: 8443 },
      tls: { cert: '/etc/ssl/volume.pem', key: '/etc/ssl/volume.key' },
      upstreams: [
        { host: '10.0.0.1', port: 8776 },
        { host: '10.0.0.2', port: 8776 },
      ],
      maxBodyBytes: 200000,
      proxyTimeoutSeconds: 90,
      connectTimeoutSeconds: 3,
      backendKeepAliveSeconds: 20,
      healthCheckIntervalSeconds: 10,
      logDir: '/var/log/volume-api-proxy',
    };

    for (const name of ['apache', 'nginx'] as const) {
      it(`${name}: prints exactly the fake server's generate for the parsed options`, async () => {
        const r = await cli([name, 'generate', ...argv]);
        expect(r.code, r.err).to.equal(0);
        const eco = ECO();
        const fake = fakeServer(name);
        expect(r.out).to.equal(fake.generate(eco, defaultVhostOptions(eco, LAYOUTS.debian, name, expectedPartial), LAYOUTS.debian));
      });

      for (const layout of ['debian', 'rhel'] as const) {
        it(`${name} (real generator, ${layout}): equals ${name}.generate with all options, and with the defaults`, async () => {
          const eco = ECO();
          const L = LAYOUTS[layout];
          const full = await cli([name, 'generate', ...argv.map((a) => (a === 'debian' ? layout : a))], { servers: realServers });
          expect(full.code, full.err).to.equal(0);
          expect(full.out.trimEnd()).to.equal(realServers[name].generate(eco, defaultVhostOptions(eco, L, name, expectedPartial), L).trimEnd());
          const defaults = await cli([name, 'generate', '--layout', layout], { servers: realServers });
          expect(defaults.code, defaults.err).to.equal(0);
          expect(defaults.out.trimEnd()).to.equal(realServers[name].generate(eco, defaultVhostOptions(eco, L, name), L).trimEnd());
        });
      }
    }

    it('reads the port from the ecosystem as PM2 would (environment of the command, --ecosystem)', async () => {
      fs.copyFileSync(path.join(REPO, 'ecosystem.config.js'), path.join(tmp, 'ecosystem.config.js'));
      const r = await cli(['nginx', 'generate', '--layout', 'debian', '--ecosystem', path.join(tmp, 'ecosystem.config.js')], {
        env: { VOLUME_API_PORT: '9100' },
      });
      expect(r.code, r.err).to.equal(0);
      expect(r.out).to.contain('port 9100');
      expect(r.out).to.contain('"upstreams":[{"host":"127.0.0.1","port":9100}]');
    });

    it('defaults: localhost on *:80, *:443 with TLS; relative paths are made absolute', async () => {
      const plain = await cli(['nginx', 'generate', '--layout', 'rhel']);
      expect(plain.out).to.contain('"serverName":"localhost","listen":{"host":"*","port":80}');
      expect(plain.out).to.contain('"logDir":"/var/log/nginx"');
      const tls = await cli(['nginx', 'generate', '--layout', 'rhel', '--tls-cert', 'c.pem', '--tls-key=k.pem', '--log-dir', 'logs']);
      expect(tls.out).to.contain('"listen":{"host":"*","port":443}');
      expect(tls.out).to.contain(`"tls":{"cert":"${path.resolve('c.pem')}","key":"${path.resolve('k.pem')}"}`);
      expect(tls.out).to.contain(`"logDir":"${path.resolve('logs')}"`);
    });

    it('--out writes the file instead of printing it', async () => {
      const out = path.join(tmp, 'sub', 'vhost.conf');
      const r = await cli(['apache', 'generate', '--layout', 'debian', `--out=${out}`]);
      expect(r.code).to.equal(0);
      expect(r.out).to.equal(`wrote ${out}\n`);
      expect(fs.readFileSync(out, 'utf8')).to.match(/^# fake apache vhost for debian, port 8776\n/);
    });
  });

  describe('validate', () => {
    it('prints the server output and exits 0 when valid', async () => {
      const r = await cli(['nginx', 'validate', '--layout', 'debian', '--server-name', 'ok.example.com']);
      expect(r.code).to.equal(0);
      expect(r.out).to.contain('fake: Syntax OK');
      expect(r.out).to.contain('ok: the generated nginx vhost (debian) passes');
      expect(r.fakes.nginx.validated[0]).to.contain('"serverName":"ok.example.com"');
    });

    it('exits 1 when the server refuses it', async () => {
      const r = await cli(['apache', 'validate', '--layout', 'debian', '--server-name', 'bad.example.com']);
      expect(r.code).to.equal(1);
      expect(r.out).to.contain('fake: syntax error on line 2');
      expect(r.err).to.contain('invalid: the generated apache vhost (debian) fails');
    });

    it('--file validates an existing file as it is', async () => {
      const file = path.join(tmp, 'v.conf');
      fs.writeFileSync(file, '{"serverName":"bad.example.com"}\n');
      const r = await cli(['nginx', 'validate', '--layout', 'debian', '--file', file]);
      expect(r.code).to.equal(1);
      expect(r.fakes.nginx.validated).to.deep.equal(['{"serverName":"bad.example.com"}\n']);
    });
  });

  describe('install and uninstall (fake server)', () => {
    const facts = fakeFacts('nginx', LAYOUTS.debian);

    it('into --root: validates, writes the file and the relative enabled link, runs no host command', async () => {
      const r = await cli(['install', 'nginx', '--layout', 'debian', '--root', tmp]);
      expect(r.code, r.out + r.err).to.equal(0);
      expect(r.calls).to.deep.equal([]);
      expect(r.fakes.nginx.validated).to.have.length(1);
      expect(fs.readFileSync(path.join(tmp, facts.file), 'utf8')).to.equal(r.fakes.nginx.validated[0]);
      expect(fs.readlinkSync(path.join(tmp, facts.enabledLink as string))).to.equal('../sites-available/volume-api.conf');
    });

    it('refuses to replace an enabled "link" that is not one to the vhost', async () => {
      fs.mkdirSync(path.join(tmp, path.dirname(facts.enabledLink as string)), { recursive: true });
      fs.writeFileSync(path.join(tmp, facts.enabledLink as string), 'someone else');
      const r = await cli(['install', 'nginx', '--layout', 'debian', '--root', tmp]);
      expect(r.code).to.equal(1);
      expect(r.out).to.contain('is not a link to');
      expect(fs.existsSync(path.join(tmp, facts.file))).to.equal(false);
    });

    const server = fakeServer('apache');
    const aFacts = fakeFacts('apache', LAYOUTS.debian);
    const text = (n: string) => `{"serverName":"${n}"}\n`;

    it('on a live host: prepare, full test and reload, in that order, after writing', async () => {
      const { runner, calls } = fakeRunner(() => ({ code: 0, output: '' }));
      const lines: string[] = [];
      const r = await installVhost({ server, layout: LAYOUTS.debian, root: tmp, live: true, runner, text: text('a.example.com'), log: (l) => lines.push(l) });
      expect(r).to.include({ ok: true, changed: true });
      expect(calls.map((c) => c.argv)).to.deep.equal([...aFacts.prepare, aFacts.test, aFacts.reload]);
      expect(lines.join('\n')).to.contain('$ apachectl graceful');
    });

    it('on a live host: a failing full test puts the previous file back and reloads nothing', async () => {
      fs.mkdirSync(path.join(tmp, path.dirname(aFacts.file)), { recursive: true });
      fs.writeFileSync(path.join(tmp, aFacts.file), text('old.example.com'));
      const { runner, calls } = fakeRunner((argv) => (argv[1] === '-t' ? { code: 1, output: 'AH00526: Syntax error' } : { code: 0, output: '' }));
      const lines: string[] = [];
      const r = await installVhost({ server, layout: LAYOUTS.debian, root: tmp, live: true, runner, text: text('new.example.com'), log: (l) => lines.push(l) });
      expect(r.ok).to.equal(false);
      expect(calls.map((c) => c.argv)).to.deep.equal([...aFacts.prepare, aFacts.test]);
      expect(fs.readFileSync(path.join(tmp, aFacts.file), 'utf8')).to.equal(text('old.example.com'));
      expect(fs.readdirSync(path.join(tmp, path.dirname(aFacts.file)))).to.deep.equal(['volume-api.conf']);
      expect(fs.existsSync(path.join(tmp, aFacts.enabledLink as string))).to.equal(false);
      expect(lines.join('\n')).to.contain('AH00526: Syntax error');
    });

    it('on a live host: a failing prepare command removes a first install again', async () => {
      const { runner } = fakeRunner(() => ({ code: 1, output: 'ERROR: Module proxy does not exist!' }));
      const r = await installVhost({ server, layout: LAYOUTS.debian, root: tmp, live: true, runner, text: text('a.example.com'), log: () => undefined });
      expect(r.ok).to.equal(false);
      expect(fs.existsSync(path.join(tmp, aFacts.file))).to.equal(false);
      expect(fs.existsSync(path.join(tmp, aFacts.enabledLink as string))).to.equal(false);
    });

    it('on a live host: a failed validation runs nothing and writes nothing', async () => {
      const { runner, calls } = fakeRunner(() => ({ code: 0, output: '' }));
      const r = await installVhost({ server, layout: LAYOUTS.debian, root: tmp, live: true, runner, text: text('bad.example.com'), log: () => undefined });
      expect(r.ok).to.equal(false);
      expect(calls).to.deep.equal([]);
      expect(fs.existsSync(path.join(tmp, 'etc'))).to.equal(false);
    });

    it('--dry-run on a live host lists the commands it would run and runs none', async () => {
      const { runner, calls } = fakeRunner(() => ({ code: 0, output: '' }));
      const lines: string[] = [];
      const r = await installVhost({
        server,
        layout: LAYOUTS.debian,
        root: tmp,
        live: true,
        runner,
        dryRun: true,
        text: text('a.example.com'),
        log: (l) => lines.push(l),
      });
      expect(r).to.include({ ok: true, changed: false });
      expect(calls).to.deep.equal([]);
      const out = lines.join('\n');
      expect(out).to.contain('--- /dev/null');
      expect(out).to.contain('+{"serverName":"a.example.com"}');
      expect(out).to.contain('run apache-enmod proxy');
      expect(out).to.contain('run apachectl graceful');
      expect(fs.existsSync(path.join(tmp, 'etc'))).to.equal(false);
    });

    it('uninstall on a live host: link removed, file moved to a backup, then test and reload', async () => {
      await installVhost({ server, layout: LAYOUTS.debian, root: tmp, live: false, text: text('a.example.com'), log: () => undefined });
      const { runner, calls } = fakeRunner(() => ({ code: 0, output: '' }));
      let out = '';
      const code = await main(['uninstall', 'apache', '--layout', 'debian', '--root', tmp], {
        stdout: (t) => (out += t),
        stderr: (t) => (out += t),
        servers: { apache: server, nginx: fakeServer('nginx') },
        runner,
      });
      expect(code, out).to.equal(0);
      expect(calls).to.deep.equal([]); // --root other than /: no host command
      const dir = fs.readdirSync(path.join(tmp, path.dirname(aFacts.file)));
      expect(dir).to.have.length(1);
      expect(dir[0]).to.match(/^volume-api\.conf\.bak-\d{8}T\d{6}Z$/);
      expect(fs.existsSync(path.join(tmp, aFacts.enabledLink as string))).to.equal(false);
    });
  });

  describe('host-setup --dry-run step lists', () => {
    let app: string;
    beforeEach(() => {
      app = path.join(tmp, 'app');
      fs.mkdirSync(app);
      fs.copyFileSync(path.join(REPO, 'ecosystem.config.js'), path.join(app, 'ecosystem.config.js'));
      fs.copyFileSync(path.join(REPO, 'package.json'), path.join(app, 'package.json'));
    });

    /** Read-only probes the dry run may use; anything else would change the host. */
    const PROBES = [/^getent passwd /, /^systemctl is-(enabled|active) /, /^dpkg-query -W /, /^rpm -q /, /^getenforce$/, /^getsebool /];

    async function dryRun(mode: string, layout: string, extra: string[] = []) {
      const r = await cli(['host-setup', '--mode', mode, '--dry-run', '--layout', layout, '--app-dir', app, ...extra]);
      expect(r.code, r.err).to.equal(0);
      for (const c of r.calls)
        expect(
          PROBES.some((re) => re.test(c.argv.join(' '))),
          `dry run ran ${c.argv.join(' ')}`,
        ).to.equal(true);
      const steps = r.out
        .split('\n')
        .filter((l) => /^\d+\. /.test(l))
        .map((l) => l.replace(/ \[.*$/, ''));
      const commands = r.out
        .split('\n')
        .filter((l) => l.startsWith('   $ '))
        .map((l) => l.slice(5));
      return { ...r, steps, commands };
    }

    const A = () => app;
    const common = (dirs: string[]) => [
      `cd ${A()} && npm ci --no-audit --no-fund`,
      `cd ${A()} && npm run build`,
      'useradd --system --create-home --home-dir /srv/volume-api --shell /usr/sbin/nologin volume-api',
      `mkdir -p ${dirs.map((d) => `${A()}/${d}`).join(' ')}`,
      `chown -R volume-api: ${dirs.map((d) => `${A()}/${d}`).join(' ')}`,
    ];
    const pm2 = (startEnv = '') => [
      ...common(['data', 'logs']),
      `cd ${A()} && runuser -u volume-api -- ${startEnv}${A()}/node_modules/.bin/pm2 start ${A()}/ecosystem.config.js --env production`,
      `cd ${A()} && runuser -u volume-api -- ${A()}/node_modules/.bin/pm2 save`,
      `${A()}/node_modules/.bin/pm2 startup systemd -u volume-api --hp /srv/volume-api`,
      `cd ${A()} && env PM2_HOME=/srv/volume-api/.pm2 npm run logrotate:setup`,
    ];

    for (const layout of ['debian', 'rhel'] as const) {
      it(`standalone (${layout}): npm ci, build, user, data dir, unit, enable + start`, async () => {
        const r = await dryRun('standalone', layout);
        expect(r.out).to.match(/^host-setup --mode standalone \(\w+\), dry run: 6 steps/);
        expect(r.commands).to.deep.equal([
          ...common(['data']),
          'write /etc/systemd/system/volume-api.service',
          'systemctl daemon-reload',
          'systemctl enable volume-api.service',
          'systemctl restart volume-api.service',
        ]);
        expect(r.steps).to.have.length(6);
        expect(r.steps[0]).to.equal('1. install the npm packages (npm ci)');
        // The unit is shown in full.
        expect(r.out).to.contain(`| ExecStart=${process.execPath} --enable-source-maps --disable-warning=DEP0111 ${app}/dist/standalone.js`);
        expect(r.out).to.contain('| User=volume-api');
        expect(r.out).to.contain('| Environment=VOLUME_API_PORT=8776');
        expect(r.out).not.to.contain('VOLUME_API_LOG_FILE');
        expect(r.out).not.to.contain('VOLUME_API_LOG_STDOUT_LEVEL');
        expect(r.out).to.contain('dry run: nothing was changed');
      });

      it(`pm2 (${layout}): npm ci, build, user, dirs, pm2 start as the user, save, startup, log rotation`, async () => {
        const r = await dryRun('pm2', layout, ['--user', 'volume-api']);
        expect(r.commands).to.deep.equal(pm2());
        expect(r.steps).to.have.length(8);
      });

      for (const server of ['apache', 'nginx'] as const) {
        it(`${server} (${layout}): pm2, then the package, ${layout === 'rhel' ? 'SELinux, ' : ''}the service and install ${server}`, async () => {
          const r = await dryRun(server, layout, ['--server-name', 'volume.example.com', '--tls-cert', '/etc/ssl/v.pem', '--tls-key', '/etc/ssl/v.key']);
          const pkgs = server === 'apache' ? (layout === 'rhel' ? 'httpd mod_ssl' : 'apache2') : 'nginx';
          const service = server === 'apache' ? (layout === 'rhel' ? 'httpd' : 'apache2') : 'nginx';
          expect(r.commands).to.deep.equal([
            ...pm2('env VOLUME_API_HOST=127.0.0.1 '),
            ...(layout === 'rhel'
              ? [`dnf install -y ${pkgs}`, 'setsebool -P httpd_can_network_connect 1']
              : ['apt-get update', `env DEBIAN_FRONTEND=noninteractive apt-get install -y ${pkgs}`]),
            `systemctl enable --now ${service}.service`,
            `volume-api-deploy install ${server} --layout ${layout} --server-name volume.example.com --tls-cert /etc/ssl/v.pem --tls-key /etc/ssl/v.key --ecosystem ${app}/ecosystem.config.js`,
          ]);
          expect(r.steps).to.have.length(layout === 'rhel' ? 12 : 11);
          // Every step is to do (the fake probes find nothing installed), but SELinux without getenforce.
          const status = r.out
            .split('\n')
            .filter((l) => /^\d+\. /.test(l))
            .map((l) => /\[(.*)\]$/.exec(l)?.[1]);
          const expected = status.map(() => 'to do');
          if (layout === 'rhel') expected[9] = 'already done: SELinux is not enabled';
          expect(status).to.deep.equal(expected);
        });
      }
    }

    it('the API stays on all interfaces when an upstream is another host', async () => {
      const r = await dryRun('nginx', 'debian', ['--upstream', '127.0.0.1:8776', '--upstream', '10.0.0.2:8776']);
      expect(r.commands.find((c) => c.includes(' start '))).not.to.contain('VOLUME_API_HOST');
    });

    it('says "already done" for what the probes find done and skips host steps under --root', async () => {
      const answers = (argv: string[]): CommandResult | undefined => {
        const line = argv.join(' ');
        if (line === 'getent passwd volume-api') return { code: 0, output: 'volume-api:x:990:990::/home/va:/usr/sbin/nologin\n' };
        if (/^dpkg-query/.test(line)) return { code: 0, output: 'install ok installed' };
        if (/^systemctl is-/.test(line)) return { code: 0, output: '' };
        return undefined;
      };
      const { runner } = fakeRunner(answers);
      const live = await cli(['host-setup', '--mode', 'nginx', '--dry-run', '--layout', 'debian', '--app-dir', app], { runner });
      expect(live.out).to.contain('3. create the service user volume-api [already done: user volume-api exists]');
      expect(live.out).to.contain('9. install the nginx package (nginx) [already done: nginx installed]');
      expect(live.out).to.contain('10. enable and start nginx.service [already done: nginx.service is enabled and active]');
      // The home comes from the passwd entry.
      expect(live.out).to.contain('pm2 startup systemd -u volume-api --hp /home/va');
      const root = path.join(tmp, 'root');
      const rooted = await cli(['host-setup', '--mode', 'nginx', '--dry-run', '--layout', 'debian', '--app-dir', app, '--root', root], { runner });
      const status = rooted.out
        .split('\n')
        .filter((l) => /^\d+\. /.test(l))
        .map((l) => /\[([^:\]]+)/.exec(l)?.[1]);
      expect(status).to.deep.equal(['skipped', 'skipped', 'skipped', 'skipped', 'skipped', 'skipped', 'skipped', 'to do', 'skipped', 'skipped', 'to do']);
      expect(rooted.out).to.contain(`npm run logrotate:setup -- --output ${root}/etc/logrotate.d/volume-api`);
      expect(rooted.out).to.contain(`volume-api-deploy install nginx --layout debian --root ${root} --ecosystem ${app}/ecosystem.config.js`);
      expect(fs.existsSync(root)).to.equal(false);
    });
  });

  describe('host-setup under --root (file steps run, host steps skipped)', () => {
    let app: string;
    let root: string;
    beforeEach(() => {
      app = path.join(tmp, 'app');
      root = path.join(tmp, 'root');
      fs.mkdirSync(app);
      fs.copyFileSync(path.join(REPO, 'ecosystem.config.js'), path.join(app, 'ecosystem.config.js'));
      fs.copyFileSync(path.join(REPO, 'package.json'), path.join(app, 'package.json'));
    });

    it('standalone writes the unit into the root, then says already done', async () => {
      const first = await cli(['host-setup', '--mode', 'standalone', '--layout', 'debian', '--app-dir', app, '--root', root]);
      expect(first.code, first.out).to.equal(0);
      expect(first.calls.filter((c) => c.argv[0] !== 'getent')).to.deep.equal([]);
      const unit = fs.readFileSync(path.join(root, STANDALONE_UNIT), 'utf8');
      expect(unit).to.contain(`WorkingDirectory=${app}`);
      expect(first.out).to.match(/1\/6 install the npm packages \(npm ci\): skipped/);
      expect(first.out).to.match(/5\/6 write the systemd unit .*\n.*\n5\/6 write the systemd unit .*: done/);
      const second = await cli(['host-setup', '--mode', 'standalone', '--layout', 'debian', '--app-dir', app, '--root', root]);
      expect(second.code).to.equal(0);
      expect(second.out).to.match(/5\/6 write the systemd unit .*: already done \(the unit is up to date\)/);
    });

    it('nginx: log rotation through npm, then the vhost; a failing step stops the run with exit 1', async () => {
      const ok = fakeRunner((argv) => (argv.includes('logrotate:setup') ? { code: 0, output: 'wrote it' } : undefined));
      const r = await cli(['host-setup', '--mode', 'nginx', '--layout', 'debian', '--app-dir', app, '--root', root], { runner: ok.runner });
      expect(r.code, r.out).to.equal(0);
      const rotate = ok.calls.find((c) => c.argv.includes('logrotate:setup'));
      expect(rotate?.cwd).to.equal(app);
      expect(shellLine(rotate?.argv ?? [])).to.equal(
        `env PM2_HOME=/srv/volume-api/.pm2 npm run logrotate:setup -- --output ${root}/etc/logrotate.d/volume-api`,
      );
      expect(fs.existsSync(path.join(root, fakeFacts('nginx', LAYOUTS.debian).file))).to.equal(true);
      expect(r.out).to.contain('every step is done');

      fs.rmSync(root, { recursive: true });
      const failing = fakeRunner((argv) => (argv.includes('logrotate:setup') ? { code: 1, output: 'logrotate rejected it' } : undefined));
      const f = await cli(['host-setup', '--mode', 'nginx', '--layout', 'debian', '--app-dir', app, '--root', root], { runner: failing.runner });
      expect(f.code).to.equal(1);
      expect(f.out).to.contain('8/11 log rotation');
      expect(f.out).to.contain('FAILED');
      expect(f.out).to.contain('logrotate rejected it');
      expect(f.out).to.contain('steps after 8 were not run');
      expect(fs.existsSync(path.join(root, fakeFacts('nginx', LAYOUTS.debian).file))).to.equal(false);
    });
  });
});
