/*
 * volume-api-manage and the entry points' start-up, as an operator runs them (issue 18): the real CLIs
 * through tsx against a temp data dir.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { startServer, type TestServer } from '../lib/server';
import { freePort } from '../lib/ports';

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const run = promisify(execFile);

async function cli(script: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VOLUME_API_')));
  try {
    const r = await run(TSX, [path.join(ROOT, 'src', script), ...args], { env: { ...clean, ...env }, timeout: 30000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('volume-api-manage and start-up (real CLIs)', function () {
  this.timeout(40000);
  let s: TestServer;
  before(async () => {
    s = await startServer({}, { worker: false });
  });
  after(async () => {
    await s.close();
  });
  const manage = (...args: string[]) => cli('manage.ts', args, { VOLUME_API_DATA_DIR: s.dataDir });

  it('operation retry moves a failed create back to queued and the volume back to creating; cancel ends a queued one', async () => {
    const created = await s.request('POST', `/v3/${s.projectId}/volumes`, { body: { volume: { size: 1 } } });
    const volumeId = (created.body as { volume: { id: string } }).volume.id;
    const db = s.services.store.db;
    const op = await db.selectFrom('operations').selectAll().where('resource_id', '=', volumeId).executeTakeFirstOrThrow();
    // As the worker leaves a last failed attempt.
    await db.updateTable('operations').set({ state: 'failed', error: 'disk on fire', attempts: 3 }).where('id', '=', op.id).execute();
    await db.updateTable('volumes').set({ status: 'error' }).where('id', '=', volumeId).execute();

    const listed = await manage('operation', 'list', '--state', 'failed', '--json');
    expect(listed.code, listed.stderr).to.equal(0);
    expect((JSON.parse(listed.stdout) as { id: string; error: string }[]).map((o) => [o.id, o.error])).to.deep.equal([[op.id, 'disk on fire']]);

    const retried = await manage('operation', 'retry', op.id);
    expect(retried.code, retried.stderr).to.equal(0);
    expect(retried.stdout).to.contain('queued again');
    const after = await db.selectFrom('operations').selectAll().where('id', '=', op.id).executeTakeFirstOrThrow();
    expect([after.state, after.attempts, after.error]).to.deep.equal(['pending', 0, null]);
    expect((await s.request('GET', `/v3/${s.projectId}/volumes/${volumeId}`)).body).to.have.nested.property('volume.status', 'creating');

    const again = await manage('operation', 'retry', op.id);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.contain('is pending: only a failed operation can be retried');

    const cancelled = await manage('operation', 'cancel', op.id, '--json');
    expect(cancelled.code, cancelled.stderr).to.equal(0);
    expect(JSON.parse(cancelled.stdout)).to.include({ state: 'failed', error: 'cancelled by an operator' });
    expect((await s.request('GET', `/v3/${s.projectId}/volumes/${volumeId}`)).body).to.have.nested.property('volume.status', 'error');
  });

  it('db version, service list, quarantine purge, config show (masked, with sources) and --help on a sub-command', async () => {
    const version = await manage('db', 'version', '--json');
    expect(JSON.parse(version.stdout)).to.deep.include({ pending: [] });
    const services = await manage('service', 'list', '--json');
    expect(services.code, services.stderr).to.equal(0);
    const purge = await manage('quarantine', 'purge', '--older-than', '7d');
    expect(purge.stdout).to.match(/^purged 0 file\(s\)/);
    const shown = await cli('manage.ts', ['config', 'show', '--json'], {
      VOLUME_API_DATA_DIR: s.dataDir,
      VOLUME_API_DATABASE_URL: 'postgres://volume:s3cret@db.example:5432/volume',
    });
    const settings = (JSON.parse(shown.stdout) as { settings: Record<string, { value: unknown; source: string }> }).settings;
    expect(settings.database_url).to.deep.equal({ value: 'postgres://volume:***@db.example:5432/volume', source: 'env' });
    expect(settings.port).to.deep.equal({ value: 8776, source: 'default' });
    expect(shown.stdout).not.to.contain('s3cret');
    const help = await manage('operation', 'retry', '--help');
    expect(help.code).to.equal(0);
    expect(help.stdout).to.match(/^Usage: volume-api-manage operation retry ID/);
  });

  it('refuses a misspelt VOLUME_API_* variable with the name it meant', async () => {
    const r = await cli('worker.ts', [], { VOLUME_API_DATA_DIR: s.dataDir, VOLUME_API_PROT: '9000' });
    expect(r.code).to.equal(2);
    expect(r.stderr.trim()).to.equal('volume-worker: invalid configuration: unknown environment variable VOLUME_API_PROT (did you mean VOLUME_API_PORT?)');
  });

  it('--help and --version exit 0 without listening', async () => {
    const port = await freePort();
    const help = await cli('standalone.ts', ['--help'], { VOLUME_API_PORT: String(port), VOLUME_API_DATA_DIR: s.dataDir });
    expect(help.code).to.equal(0);
    expect(help.stdout).to.match(/^Usage: volume-api \[--config FILE\]/);
    const version = await cli('worker.ts', ['--version']);
    expect(version.stdout.trim()).to.match(/^volume-worker \d+\.\d+\.\d+$/);
  });

  it('port in use: one line naming the fix, exit 2, the worker never started', async () => {
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const r = await cli('standalone.ts', [], {
        VOLUME_API_HOST: '127.0.0.1',
        VOLUME_API_PORT: String(port),
        VOLUME_API_DATA_DIR: path.join(s.dataDir, 'busy'),
      });
      expect(r.code).to.equal(2);
      expect(r.stderr.trim().split('\n')).to.deep.equal([
        `volume-api: port 127.0.0.1:${port} is in use (EADDRINUSE): stop the process holding it (ss -ltnp 'sport = :${port}') or set port (env VOLUME_API_PORT)`,
      ]);
      expect(r.stdout).not.to.contain('volume worker started');
    } finally {
      holder.close();
    }
  });
});
