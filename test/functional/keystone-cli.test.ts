/*
 * Functional test (issue 9): the real OpenStack clients with password authentication, as users run
 * them against a cloud. `cinder` (python3-cinderclient 9.1.0) and `openstack` (python3-openstackclient)
 * get a token from the private Keystone (test/lib/keystone.ts), find our API in its catalog (service
 * types block-storage and volumev3, `http://127.0.0.1:PORT/v3/%(project_id)s`), and call it; the
 * service validates their tokens with Keystone. Assertions are on what the user sees: exit status and
 * the printed tables.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { startServer, tmpDir, type TestServer } from '../lib/server';
import { requireKeystone, startKeystone, type Keystone, type KeystoneUser } from '../lib/keystone';

const execFileAsync = promisify(execFile);
const COMMAND_TIMEOUT_MS = 60_000;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, cmd)));
}

/** Cells of every `| a | b |` row of a prettytable (header row included). */
function tableRows(out: string): string[][] {
  return out
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .map((l) =>
      l
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    );
}

/** A "Property/Field | Value" table as an object. */
function props(out: string): Record<string, string> {
  return Object.fromEntries(
    tableRows(out)
      .slice(1)
      .map(([k, v]) => [k, v]),
  );
}

/** A list table as rows keyed by header. */
function list(out: string): Record<string, string>[] {
  const [header, ...rows] = tableRows(out);
  return rows.map((cells) => Object.fromEntries(header.map((h, i) => [h, cells[i]])));
}

describe('cinder and openstack CLIs with Keystone password authentication', function () {
  this.timeout(120_000);
  let ks: Keystone;
  let api: TestServer;
  let home: string;
  let env: NodeJS.ProcessEnv;

  before(async function () {
    this.timeout(180_000);
    requireKeystone(this);
    for (const cmd of ['cinder', 'openstack']) {
      if (onPath(cmd)) continue;
      const msg = `\`${cmd}\` is not on PATH: install python3-cinderclient and python3-openstackclient`;
      if (process.env.CI === 'true') throw new Error(msg);
      this.skip();
    }
    ks = await startKeystone();
    api = await startServer({ auth: { strategy: 'keystone', keystone: ks.serviceAuth() } });
    await ks.registerVolumeEndpoints(api.url);
    home = tmpDir('volume-api-cli-home-');
    // The user's own OS_* settings must not leak in; the clients' caches stay out of $HOME.
    env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(OS_|CINDER)/i.test(k))), HOME: home, CINDERCLIENT_UUID_CACHE_DIR: home };
  });

  after(async () => {
    await api?.close().catch(() => undefined);
    await ks?.stop();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  function authArgs(u: KeystoneUser): string[] {
    return [
      '--os-auth-url', `${ks.url}/v3`,
      '--os-username', u.name,
      '--os-password', u.password,
      '--os-project-name', u.project,
      '--os-user-domain-name', 'Default',
      '--os-project-domain-name', 'Default',
    ]; // prettier-ignore
  }

  async function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await execFileAsync(cmd, args, { env, timeout: COMMAND_TIMEOUT_MS, killSignal: 'SIGKILL' });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stdout?: string; stderr?: string; killed?: boolean };
      if (e.killed) throw new Error(`${cmd} ${args.join(' ')} timed out`, { cause: err });
      if (typeof e.code !== 'number') throw err;
      return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  async function cinder(u: KeystoneUser, ...args: string[]): Promise<string> {
    const r = await run('cinder', [...authArgs(u), '--os-volume-api-version', '3.60', ...args]);
    if (r.code !== 0) throw new Error(`cinder ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  async function openstack(u: KeystoneUser, ...args: string[]): Promise<string> {
    const r = await run('openstack', [...authArgs(u), '--os-volume-api-version', '3', ...args]);
    if (r.code !== 0) throw new Error(`openstack ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  async function waitForStatus(u: KeystoneUser, id: string, status: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if (props(await cinder(u, 'show', id)).status === status) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`volume ${id} never became ${status}`);
  }

  let volumeId = '';

  it('cinder create / list / show as a member of alpha', async () => {
    const created = props(await cinder(ks.users.alphaMember, 'create', '--name', 'ks-cli-vol', '1'));
    expect(created.id).to.match(UUID_RE);
    expect(created.size).to.equal('1');
    volumeId = created.id;
    await waitForStatus(ks.users.alphaMember, volumeId, 'available');
    const rows = list(await cinder(ks.users.alphaMember, 'list'));
    expect(rows.map((r) => [r.ID, r.Name, r.Status])).to.deep.include([volumeId, 'ks-cli-vol', 'available']);
    const shown = props(await cinder(ks.users.alphaMember, 'show', volumeId));
    expect(shown).to.include({ id: volumeId, name: 'ks-cli-vol', size: '1', status: 'available' });
    expect(shown['os-vol-tenant-attr:tenant_id']).to.equal(ks.projects.alpha);
  });

  it('openstack volume list / show see the same volume', async () => {
    const rows = list(await openstack(ks.users.alphaMember, 'volume', 'list'));
    expect(rows.map((r) => [r.ID, r.Name, r.Status, r.Size])).to.deep.include([volumeId, 'ks-cli-vol', 'available', '1']);
    const shown = props(await openstack(ks.users.alphaMember, 'volume', 'show', volumeId));
    expect(shown).to.include({ id: volumeId, name: 'ks-cli-vol', size: '1', status: 'available' });
  });

  it('a member of beta neither lists nor shows it', async () => {
    expect(list(await cinder(ks.users.betaMember, 'list')).map((r) => r.ID)).not.to.include(volumeId);
    const r = await run('cinder', [...authArgs(ks.users.betaMember), 'show', volumeId]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(/No volume with a name or ID of/);
    const o = await run('openstack', [...authArgs(ks.users.betaMember), 'volume', 'show', volumeId]);
    expect(o.code).to.not.equal(0);
    expect(o.stderr).to.match(/No volume with a name or ID of|could not be found/);
  });

  it('a member cannot reset the status; the admin of alpha can, and sees every project', async () => {
    const t = await ks.issueToken(ks.users.alphaMember);
    const created = await api.request('POST', `/v3/${t.projectId}/volumes`, { token: t.token, body: { volume: { size: 1, name: 'ks-cli-admin' } } });
    const id = created.body.volume.id as string;
    await waitForStatus(ks.users.alphaMember, id, 'available');
    const refused = await run('cinder', [...authArgs(ks.users.alphaMember), 'reset-state', '--state', 'error', id]);
    expect(refused.code).to.not.equal(0);
    // cinderclient prints each failure, then a summary line.
    expect(refused.stdout + refused.stderr).to.match(/Policy does not allow this operation to be performed\. \(HTTP 403\)/);
    expect(refused.stderr).to.contain('Unable to reset the state for the specified entity(s).');
    await cinder(ks.users.alphaAdmin, 'reset-state', '--state', 'error', id);
    expect(props(await cinder(ks.users.alphaMember, 'show', id)).status).to.equal('error');
    const all = list(await cinder(ks.users.alphaAdmin, 'list', '--all-tenants'));
    expect(all.find((r) => r.ID === id)?.['Tenant ID']).to.equal(ks.projects.alpha);
  });

  it('cinder delete removes it', async () => {
    await cinder(ks.users.alphaMember, 'delete', volumeId);
    for (let i = 0; i < 100; i++) {
      if (!list(await cinder(ks.users.alphaMember, 'list')).some((r) => r.ID === volumeId)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('volume still listed after delete');
  });

  // Issue 15: an operator's first openstack commands, as the admin of alpha (role admin).
  it('openstack volume service list shows the worker and the API up; a member is refused', async () => {
    const rows = list(await openstack(ks.users.alphaAdmin, 'volume', 'service', 'list'));
    expect(rows.map((r) => r.Binary)).to.include.members(['cinder-volume', 'cinder-scheduler']);
    for (const r of rows) expect(r, r.Binary).to.include({ Status: 'enabled', State: 'up' });
    const member = await run('openstack', [...authArgs(ks.users.alphaMember), '--os-volume-api-version', '3', 'volume', 'service', 'list']);
    expect(member.code).to.not.equal(0);
    expect(member.stderr).to.contain('(HTTP 403)');
  });

  it('openstack volume qos create / set / associate: the type shows the QoS specs', async () => {
    const admin = ks.users.alphaAdmin;
    const qos = props(await openstack(admin, 'volume', 'qos', 'create', '--consumer', 'front-end', '--property', 'read_iops_sec=100', 'os-cli-qos'));
    expect(qos).to.include({ name: 'os-cli-qos', consumer: 'front-end' });
    await openstack(admin, 'volume', 'qos', 'set', '--property', 'write_iops_sec=50', 'os-cli-qos');
    const shown = props(await openstack(admin, 'volume', 'qos', 'show', 'os-cli-qos'));
    expect(shown.properties).to.contain("read_iops_sec='100'").and.to.contain("write_iops_sec='50'");
    const type = props(await openstack(admin, 'volume', 'type', 'create', 'os-cli-qos-type'));
    await openstack(admin, 'volume', 'qos', 'associate', 'os-cli-qos', 'os-cli-qos-type');
    expect(props(await openstack(admin, 'volume', 'qos', 'show', 'os-cli-qos')).associations).to.contain('os-cli-qos-type');
    const r = await fetch(`${api.url}/v3/${ks.projects.alpha}/types/${type.id}`, { headers: { 'X-Auth-Token': (await ks.issueToken(admin)).token } });
    expect(((await r.json()) as { volume_type: { qos_specs_id: string } }).volume_type.qos_specs_id).to.equal(qos.id);
    await openstack(admin, 'volume', 'qos', 'disassociate', '--all', 'os-cli-qos');
    await openstack(admin, 'volume', 'qos', 'delete', 'os-cli-qos');
    await openstack(admin, 'volume', 'type', 'delete', 'os-cli-qos-type');
  });

  it('openstack volume type set --project gives beta a private type that alpha members cannot see or use', async () => {
    const admin = ks.users.alphaAdmin;
    const type = props(await openstack(admin, 'volume', 'type', 'create', '--private', 'os-cli-private'));
    expect(type.is_public).to.equal('False');
    await openstack(admin, 'volume', 'type', 'set', '--project', ks.projects.beta, 'os-cli-private');
    expect(list(await openstack(ks.users.betaMember, 'volume', 'type', 'list')).map((r) => r.Name)).to.include('os-cli-private');
    expect(list(await openstack(ks.users.alphaMember, 'volume', 'type', 'list')).map((r) => r.Name)).to.not.include('os-cli-private');
    // openstack volume create asks the catalog for an image service, which this cloud has not: cinder creates.
    const refused = await run('cinder', [...authArgs(ks.users.alphaMember), 'create', '--volume-type', type.id, '--name', 'os-cli-denied', '1']);
    expect(refused.code).to.not.equal(0);
    expect(refused.stderr).to.contain('(HTTP 404)');
    const made = props(await cinder(ks.users.betaMember, 'create', '--volume-type', type.id, '--name', 'os-cli-private-vol', '1'));
    expect(made.volume_type).to.equal('os-cli-private');
    await waitForStatus(ks.users.betaMember, made.id, 'available');
    await cinder(ks.users.betaMember, 'delete', made.id);
  });

  it('a wrong password fails in Keystone, before our API is called', async () => {
    const r = await run('cinder', [...authArgs({ ...ks.users.alphaMember, password: 'wrong' }), 'list']);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(/The request you have made requires authentication\. \(HTTP 401\)/);
  });
});
