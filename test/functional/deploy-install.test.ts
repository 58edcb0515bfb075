/*
 * `volume-api-deploy install|uninstall` for real, through the bin shim (node deploy/bin/volume-api-deploy.js
 * as a child process), with the real Apache and Nginx config tests, into a temporary root on the Debian
 * layout (and once on RHEL's): file and link written, a second install backs up the file it replaces, an
 * identical one changes nothing, --dry-run prints a diff and changes nothing, a vhost the server refuses
 * (a certificate file that does not exist) is refused with exit 1 and the installed file stays as it
 * was, uninstall removes file and link and keeps a backup. Nothing under the real /etc is touched: every
 * command gets --root.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadEcosystem } from '../../deploy/lib/ecosystem';
import { LAYOUTS } from '../../deploy/lib/layouts';
import { servers } from '../../deploy/lib/servers';
import { defaultVhostOptions } from '../../deploy/lib/webserver';

const REPO = path.resolve(__dirname, '..', '..');
const BIN = path.join(REPO, 'deploy', 'bin', 'volume-api-deploy.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function deploy(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: REPO, timeout: 60000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function backups(dir: string, base: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(`${base}.bak-`))
    .sort();
}

describe('volume-api-deploy install (real apache2 and nginx, temporary root)', function () {
  this.timeout(120000);

  it('the shim prints what apache.generate gives for the same options, and exits 0', async () => {
    const r = await deploy([
      'apache',
      'generate',
      '--layout',
      'debian',
      '--server-name',
      'volume.example.com',
      '--upstream',
      '127.0.0.1:8776',
      '--upstream',
      '127.0.0.2:8776',
    ]);
    expect(r.code, r.stderr).to.equal(0);
    const eco = loadEcosystem();
    const opts = defaultVhostOptions(eco, LAYOUTS.debian, 'apache', {
      serverName: 'volume.example.com',
      upstreams: [
        { host: '127.0.0.1', port: 8776 },
        { host: '127.0.0.2', port: 8776 },
      ],
    });
    expect(r.stdout.trimEnd()).to.equal(servers.apache.generate(eco, opts, LAYOUTS.debian).trimEnd());
  });

  it('the shim exits 2 on a usage error, naming the option', async () => {
    const r = await deploy(['nginx', 'generate', '--layout', 'debian', '--max-body', 'lots']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('--max-body "lots" must be a positive whole number of bytes');
  });

  for (const name of ['apache', 'nginx'] as const) {
    describe(name, () => {
      let root: string;
      const facts = servers[name].installFacts(LAYOUTS.debian);
      const file = () => path.join(root, facts.file);
      const link = () => path.join(root, facts.enabledLink as string);
      const dir = () => path.dirname(file());
      const base = path.basename(facts.file);
      const install = (...extra: string[]) => deploy(['install', name, '--layout', 'debian', '--root', root, ...extra]);

      before(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), `deploy-install-${name}-`));
      });
      after(() => fs.rmSync(root, { recursive: true, force: true }));

      it('installs the validated vhost and the sites-enabled link; no host command under --root', async () => {
        const r = await install('--server-name', 'one.example.com');
        expect(r.code, r.stdout + r.stderr).to.equal(0);
        expect(r.stdout).to.contain(`${name} validation passed`);
        expect(r.stdout).to.contain('not a live host: no prepare, config test or reload was run');
        const generated = await deploy([name, 'generate', '--layout', 'debian', '--server-name', 'one.example.com']);
        expect(fs.readFileSync(file(), 'utf8')).to.equal(generated.stdout);
        expect(fs.lstatSync(link()).isSymbolicLink()).to.equal(true);
        expect(fs.readlinkSync(link())).to.equal(`../sites-available/${base}`);
        expect(fs.realpathSync(link())).to.equal(fs.realpathSync(file()));
        expect(backups(dir(), base)).to.deep.equal([]);
      });

      it('the installed file passes validate --file', async () => {
        const r = await deploy([name, 'validate', '--layout', 'debian', '--file', file()]);
        expect(r.code, r.stdout + r.stderr).to.equal(0);
        expect(r.stdout).to.contain(`passes the ${name} configuration test`);
      });

      it('an identical install changes nothing and makes no backup', async () => {
        const before = fs.statSync(file()).mtimeMs;
        const r = await install('--server-name', 'one.example.com');
        expect(r.code).to.equal(0);
        expect(r.stdout).to.contain('already installed');
        expect(fs.statSync(file()).mtimeMs).to.equal(before);
        expect(backups(dir(), base)).to.deep.equal([]);
      });

      it('a second, different install keeps a backup of the file it replaces', async () => {
        const old = fs.readFileSync(file(), 'utf8');
        const r = await install('--server-name', 'two.example.com');
        expect(r.code, r.stdout + r.stderr).to.equal(0);
        const baks = backups(dir(), base);
        expect(baks).to.have.length(1);
        expect(baks[0]).to.match(new RegExp(`^${base.replace('.', '\\.')}\\.bak-\\d{8}T\\d{6}Z$`));
        expect(fs.readFileSync(path.join(dir(), baks[0]), 'utf8')).to.equal(old);
        expect(fs.readFileSync(file(), 'utf8')).to.contain('two.example.com');
        expect(r.stdout).to.contain(`backed up ${file()} to ${path.join(dir(), baks[0])}`);
      });

      it('--dry-run prints a unified diff and changes nothing', async () => {
        const before = fs.readFileSync(file(), 'utf8');
        const baks = backups(dir(), base);
        const r = await install('--server-name', 'three.example.com', '--dry-run');
        expect(r.code, r.stdout + r.stderr).to.equal(0);
        expect(r.stdout).to.contain(`--- ${file()}`);
        expect(r.stdout).to.contain(`+++ ${file()} (new)`);
        expect(r.stdout).to.match(/^@@ -\d+,\d+ \+\d+,\d+ @@/m);
        expect(r.stdout).to.match(/^-.*two\.example\.com/m);
        expect(r.stdout).to.match(/^\+.*three\.example\.com/m);
        expect(r.stdout).to.contain('dry run: nothing was changed');
        expect(fs.readFileSync(file(), 'utf8')).to.equal(before);
        expect(backups(dir(), base)).to.deep.equal(baks);
      });

      it('refuses a vhost the real config test rejects (missing certificate): exit 1, installed file untouched', async () => {
        const before = fs.readFileSync(file(), 'utf8');
        const baks = backups(dir(), base);
        const missing = path.join(root, 'no-such-cert.pem');
        const r = await install('--server-name', 'four.example.com', '--tls-cert', missing, '--tls-key', path.join(root, 'no-such-key.pem'));
        expect(r.code, r.stdout + r.stderr).to.equal(1);
        expect(r.stdout).to.contain(`${name} validation failed: nothing was changed`);
        expect(r.stdout).to.contain('no-such-cert.pem');
        expect(fs.readFileSync(file(), 'utf8')).to.equal(before);
        expect(fs.realpathSync(link())).to.equal(fs.realpathSync(file()));
        expect(backups(dir(), base)).to.deep.equal(baks);
        // The installed file still passes the real test.
        const v = await deploy([name, 'validate', '--layout', 'debian', '--file', file()]);
        expect(v.code, v.stdout + v.stderr).to.equal(0);
      });

      it('uninstall removes file and link and keeps a backup; a second uninstall has nothing to do', async () => {
        const last = fs.readFileSync(file(), 'utf8');
        const baks = backups(dir(), base);
        const r = await deploy(['uninstall', name, '--layout', 'debian', '--root', root]);
        expect(r.code, r.stdout + r.stderr).to.equal(0);
        expect(fs.existsSync(file())).to.equal(false);
        expect(() => fs.lstatSync(link())).to.throw(/ENOENT/);
        const now = backups(dir(), base);
        expect(now).to.have.length(baks.length + 1);
        const added = now.find((b) => !baks.includes(b)) as string;
        expect(fs.readFileSync(path.join(dir(), added), 'utf8')).to.equal(last);
        const again = await deploy(['uninstall', name, '--layout', 'debian', '--root', root]);
        expect(again.code).to.equal(0);
        expect(again.stdout).to.contain('not installed');
      });
    });
  }

  it('RHEL layout (nginx): conf.d file, no link', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-install-rhel-'));
    try {
      const r = await deploy(['install', 'nginx', '--layout', 'rhel', '--root', root]);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(fs.existsSync(path.join(root, 'etc/nginx/conf.d/volume-api.conf'))).to.equal(true);
      expect(fs.readdirSync(path.join(root, 'etc/nginx'))).to.deep.equal(['conf.d']);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
