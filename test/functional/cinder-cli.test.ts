/*
 * Functional test: the real `cinder` CLI (python-cinderclient 9.1.0, Debian package python3-cinderclient)
 * against the real service started in-process. Every command runs in noauth mode with the endpoint
 * `<url>/v3` (so cinderclient calls URLs without a project id) and asserts on what a user sees: the
 * prettytable output, the exit status and the error text. Where it helps, the result is cross-checked
 * with a plain HTTP request.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { PROJECT_ID, startServer, tmpDir, type TestServer } from '../lib/server';

const execFileAsync = promisify(execFile);

const CINDER = 'cinder';
const USER_ID = 'cli-user';
const COMMAND_TIMEOUT_MS = 30_000;
const GIB = 1024 ** 3;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

type Row = Record<string, string>;

// ---------------------------------------------------------------------------------------------------
// prettytable parsing
// ---------------------------------------------------------------------------------------------------

/**
 * Every prettytable in `out`, as rows of cells (the first row is the header). Column boundaries come
 * from the `+----+----+` border, so a `|` inside a value does not split it. A row whose first cell is
 * empty continues the previous one (cinderclient prints multi-line values that way); its non-empty
 * cells are appended with a newline.
 */
function parseTables(out: string): string[][][] {
  const tables: string[][][] = [];
  let cuts: number[] | null = null;
  let rows: string[][] = [];
  let headerDone = false;
  const flush = (): void => {
    if (rows.length > 0) tables.push(rows);
    rows = [];
    cuts = null;
    headerDone = false;
  };
  for (const raw of out.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (/^\+[-+]*\+$/.test(line)) {
      if (cuts === null) {
        cuts = [];
        for (let i = 0; i < line.length; i++) if (line[i] === '+') cuts.push(i);
      }
      continue;
    }
    if (cuts !== null && line.startsWith('|')) {
      const c = cuts;
      const cells = c.slice(0, -1).map((start, i) => line.slice(start + 1, c[i + 1]).trim());
      const prev = rows[rows.length - 1];
      if (headerDone && prev && cells[0] === '' && rows.length > 1) {
        cells.forEach((cell, i) => {
          if (cell !== '') prev[i] = prev[i] === '' ? cell : `${prev[i]}\n${cell}`;
        });
      } else {
        rows.push(cells);
        headerDone = true;
      }
      continue;
    }
    // Any other line ends the current table.
    flush();
  }
  flush();
  return tables;
}

/** A list table (`cinder list`, `type-list`, ...) as rows keyed by header. `index` picks the table. */
function parseList(out: string, index = 0): Row[] {
  const table = parseTables(out)[index];
  if (!table) throw new Error(`no table #${index} in output:\n${out}`);
  const [header, ...rows] = table;
  return rows.map((cells) => Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ''])));
}

/** A "Property | Value" table (`cinder show`, `quota-show`, `summary`, ...) as an object. */
function parseProps(out: string): Row {
  const table = parseTables(out).find((t) => t[0]?.length === 2 && t[0][1] === 'Value');
  if (!table) throw new Error(`no "Property | Value" table in output:\n${out}`);
  return Object.fromEntries(table.slice(1).map(([k, v]) => [k, v]));
}

// ---------------------------------------------------------------------------------------------------
// Running the CLI
// ---------------------------------------------------------------------------------------------------

function onPath(cmd: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    try {
      fs.accessSync(path.join(dir, cmd), fs.constants.X_OK);
      return true;
    } catch {
      // keep looking
    }
  }
  return false;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('cinder CLI (python-cinderclient) against the service', function () {
  this.timeout(120_000);

  let server: TestServer | undefined;
  let cacheDir: string | undefined;
  let cliEnv: NodeJS.ProcessEnv = {};

  function srv(): TestServer {
    if (!server) throw new Error('server not started');
    return server;
  }

  /** Runs `cinder <args>` in noauth mode; never rejects on a non-zero exit. */
  async function cinder(...args: string[]): Promise<CliResult> {
    const argv = [
      '--os-auth-type', 'noauth',
      '--os-endpoint', `${srv().url}/v3`,
      '--os-user-id', USER_ID,
      '--os-project-id', PROJECT_ID,
      ...args,
    ];
    try {
      const { stdout, stderr } = await execFileAsync(CINDER, argv, {
        env: cliEnv,
        timeout: COMMAND_TIMEOUT_MS,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stdout?: string; stderr?: string; killed?: boolean; signal?: string };
      if (e.killed) throw new Error(`cinder ${args.join(' ')} timed out after ${COMMAND_TIMEOUT_MS} ms`);
      if (typeof e.code !== 'number') throw err;
      return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  /** Runs `cinder <args>` and fails the test (with its output) unless it exits 0. */
  async function cinderOk(...args: string[]): Promise<string> {
    const r = await cinder(...args);
    if (r.code !== 0) {
      throw new Error(`cinder ${args.join(' ')} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    }
    return r.stdout;
  }

  /** Polls `cinder show <id>` until the status is `status`. */
  async function waitForCliStatus(id: string, status: string, attempts = 40): Promise<Row> {
    let last: Row = {};
    for (let i = 0; i < attempts; i++) {
      last = parseProps(await cinderOk('show', id));
      if (last.status === status) return last;
      if (last.status === 'error') break;
      await sleep(50);
    }
    throw new Error(`volume ${id} did not become ${status} (last status ${last.status})`);
  }

  /** Creates a volume with the CLI and waits (over HTTP) until it is available; returns its id. */
  async function createAvailableVolume(...args: string[]): Promise<string> {
    const created = parseProps(await cinderOk('create', ...args));
    expect(created.id).to.match(UUID_RE);
    await srv().waitForVolume(created.id, ['available']);
    return created.id;
  }

  async function httpVolumeIds(): Promise<string[]> {
    const r = await srv().request('GET', '/v3/volumes/detail', { mv: '3.70' });
    expect(r.status).to.equal(200);
    return (r.body.volumes as Array<{ id: string }>).map((v) => v.id);
  }

  before(async function () {
    if (!onPath(CINDER)) {
      const msg = '`cinder` is not on PATH: install the Debian package python3-cinderclient (9.1.0) to run the CLI tests';
      if (process.env.CI === 'true') throw new Error(msg);
      this.skip();
    }
    cacheDir = tmpDir('volume-api-cinderclient-');
    cliEnv = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^(OS_|CINDER)/i.test(k)),
    );
    // cinderclient writes a UUID completion cache under ~/.cache; keep it out of $HOME.
    cliEnv.CINDERCLIENT_UUID_CACHE_DIR = cacheDir;
    server = await startServer();
  });

  after(async function () {
    try {
      if (server) await server.close();
    } finally {
      server = undefined;
      if (cacheDir) fs.rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  describe('volume lifecycle', function () {
    let volumeId: string | undefined;

    function vid(): string {
      if (!volumeId) throw new Error('no volume: the create test failed');
      return volumeId;
    }

    function backingFile(id: string): string {
      return path.join(srv().dataDir, 'volumes', `volume-${id}`);
    }

    it('`cinder create 1 --name cli-vol` prints the new volume and it becomes available with a 1 GiB backing file', async function () {
      const created = parseProps(await cinderOk('create', '1', '--name', 'cli-vol'));
      expect(created.id).to.match(UUID_RE);
      expect(created.name).to.equal('cli-vol');
      expect(created.size).to.equal('1');
      expect(['creating', 'available']).to.include(created.status);
      expect(created['os-vol-tenant-attr:tenant_id']).to.equal(PROJECT_ID);
      expect(created.user_id).to.equal(USER_ID);
      volumeId = created.id;

      const shown = await waitForCliStatus(created.id, 'available');
      expect(shown.size).to.equal('1');

      const file = backingFile(created.id);
      expect(fs.existsSync(file), `${file} exists`).to.equal(true);
      expect(fs.statSync(file).size).to.equal(GIB);

      const r = await srv().request('GET', `/v3/volumes/${created.id}`, { mv: '3.70' });
      expect(r.status).to.equal(200);
      expect(r.body.volume).to.include({ name: 'cli-vol', size: 1, status: 'available' });
    });

    it('`cinder list` shows the volume as available', async function () {
      const rows = parseList(await cinderOk('list'));
      const row = rows.find((x) => x.ID === vid());
      expect(row, 'volume row in cinder list').to.not.equal(undefined);
      expect(row).to.include({ Status: 'available', Name: 'cli-vol', Size: '1', 'Volume Type': '__DEFAULT__', Bootable: 'false' });
      expect(row!['Attached to']).to.equal('');
    });

    it('`cinder show` by id and by name prints the same volume details', async function () {
      const byId = parseProps(await cinderOk('show', vid()));
      expect(byId).to.include({
        id: vid(),
        name: 'cli-vol',
        size: '1',
        status: 'available',
        availability_zone: 'nova',
        volume_type: '__DEFAULT__',
        bootable: 'false',
        encrypted: 'False',
        multiattach: 'False',
        'os-vol-tenant-attr:tenant_id': PROJECT_ID,
        user_id: USER_ID,
        attached_servers: '[]',
        attachment_ids: '[]',
      });

      const byName = parseProps(await cinderOk('show', 'cli-vol'));
      expect(byName.id).to.equal(vid());
      expect(byName.name).to.equal('cli-vol');

      const r = await srv().request('GET', `/v3/volumes/${vid()}`, { mv: '3.70' });
      expect(r.status).to.equal(200);
      expect(byId.volume_type_id).to.equal(r.body.volume.volume_type_id);
      expect(byId.created_at).to.equal(r.body.volume.created_at);
    });

    it('`cinder rename` changes the name shown by `cinder show` and the API', async function () {
      const out = await cinderOk('rename', vid(), 'new-name');
      expect(out.trim()).to.equal('');
      const shown = parseProps(await cinderOk('show', vid()));
      expect(shown.name).to.equal('new-name');
      const r = await srv().request('GET', `/v3/volumes/${vid()}`, { mv: '3.70' });
      expect(r.body.volume.name).to.equal('new-name');
    });

    it('`cinder metadata set` adds keys that `cinder metadata-show` lists', async function () {
      await cinderOk('metadata', vid(), 'set', 'k1=v1', 'k2=v2');
      const rows = parseList(await cinderOk('metadata-show', vid()));
      expect(rows).to.deep.equal([
        { 'Metadata-property': 'k1', Value: 'v1' },
        { 'Metadata-property': 'k2', Value: 'v2' },
      ]);
      const r = await srv().request('GET', `/v3/volumes/${vid()}/metadata`, { mv: '3.70' });
      expect(r.body).to.deep.equal({ metadata: { k1: 'v1', k2: 'v2' } });
    });

    it('`cinder metadata unset` (GET + PUT with If-Match at 3.15+) removes only that key', async function () {
      const r0 = await cinder('--debug', 'metadata', vid(), 'unset', 'k1');
      expect(r0.code, r0.stderr).to.equal(0);
      // cinderclient's debug log shows the conditional replace it does at 3.70.
      expect(r0.stderr).to.match(new RegExp(`-X GET \\S+/v3/volumes/${vid()}/metadata `));
      expect(r0.stderr).to.match(new RegExp(`-X PUT \\S+/v3/volumes/${vid()}/metadata .*-H "If-Match: [0-9a-f]+"`));
      const rows = parseList(await cinderOk('metadata-show', vid()));
      expect(rows).to.deep.equal([{ 'Metadata-property': 'k2', Value: 'v2' }]);
      const r = await srv().request('GET', `/v3/volumes/${vid()}/metadata`, { mv: '3.70' });
      expect(r.body).to.deep.equal({ metadata: { k2: 'v2' } });
    });

    it('`cinder delete` removes the volume from `cinder list` and deletes its backing file', async function () {
      const id = vid();
      const out = await cinderOk('delete', id);
      expect(out).to.contain(`Request to delete volume ${id} has been accepted.`);

      let gone = false;
      for (let i = 0; i < 40 && !gone; i++) {
        const rows = parseList(await cinderOk('list'));
        gone = !rows.some((x) => x.ID === id);
        if (!gone) await sleep(50);
      }
      expect(gone, 'volume disappeared from cinder list').to.equal(true);

      const file = backingFile(id);
      for (let i = 0; i < 100 && fs.existsSync(file); i++) await sleep(20);
      expect(fs.existsSync(file), `${file} removed`).to.equal(false);

      const r = await srv().request('GET', `/v3/volumes/${id}`, { mv: '3.70' });
      expect(r.status).to.equal(404);
    });
  });

  describe('volume types', function () {
    const TYPE = 'cli-type';
    let typeId: string | undefined;

    function tid(): string {
      if (!typeId) throw new Error('no volume type: the type-create test failed');
      return typeId;
    }

    it('`cinder type-create` prints the new public type', async function () {
      const rows = parseList(await cinderOk('type-create', TYPE));
      expect(rows).to.have.length(1);
      expect(rows[0].ID).to.match(UUID_RE);
      expect(rows[0]).to.include({ Name: TYPE, Description: '-', Is_Public: 'True' });
      typeId = rows[0].ID;
    });

    it('`cinder type-list` lists the new type next to __DEFAULT__', async function () {
      const rows = parseList(await cinderOk('type-list'));
      expect(rows.find((x) => x.ID === tid())).to.include({ Name: TYPE, Is_Public: 'True' });
      expect(rows.find((x) => x.Name === '__DEFAULT__')).to.include({ Description: 'Default Volume Type', Is_Public: 'True' });
    });

    it('`cinder extra-specs-list` shows a key set with `cinder type-key ... set`', async function () {
      await cinderOk('type-key', TYPE, 'set', 'foo=bar');
      const rows = parseList(await cinderOk('extra-specs-list'));
      expect(rows.find((x) => x.ID === tid())).to.include({ Name: TYPE, extra_specs: "{'foo': 'bar'}" });
      expect(rows.find((x) => x.Name === '__DEFAULT__')).to.include({ extra_specs: '{}' });
      const r = await srv().request('GET', `/v3/types/${tid()}/extra_specs`, { mv: '3.70' });
      expect(r.status).to.equal(200);
      expect(r.body).to.deep.equal({ extra_specs: { foo: 'bar' } });
    });

    it('`cinder type-update --description` changes only the description (cinderclient sends "name": null)', async function () {
      const rows = parseList(await cinderOk('type-update', '--description', 'cli described', tid()));
      expect(rows[0]).to.include({ ID: tid(), Name: TYPE, Description: 'cli described' });
      const r = await srv().request('GET', `/v3/types/${tid()}`, { mv: '3.70' });
      expect(r.body.volume_type.description).to.equal('cli described');
    });

    it('`cinder type-delete` removes the type from `cinder type-list`', async function () {
      const out = await cinderOk('type-delete', TYPE);
      expect(out).to.contain(`Request to delete volume type ${TYPE} has been accepted.`);
      const rows = parseList(await cinderOk('type-list'));
      expect(rows.map((x) => x.Name)).to.not.include(TYPE);
      expect(rows.map((x) => x.Name)).to.include('__DEFAULT__');
      const r = await srv().request('GET', `/v3/types/${tid()}`, { mv: '3.70' });
      expect(r.status).to.equal(404);
    });
  });

  describe('quotas, limits and summary', function () {
    let baselineVolumes = 0;
    let baselineGigabytes = 0;
    const created: string[] = [];

    before(async function () {
      const r = await srv().request('GET', '/v3/limits', { mv: '3.70' });
      expect(r.status).to.equal(200);
      baselineVolumes = r.body.limits.absolute.totalVolumesUsed;
      baselineGigabytes = r.body.limits.absolute.totalGigabytesUsed;
      created.push(await createAvailableVolume('1', '--name', 'quota-a', '--metadata', 'purpose=quota'));
      created.push(await createAvailableVolume('1', '--name', 'quota-b', '--metadata', 'purpose=quota'));
    });

    it('`cinder quota-show` prints the default quota set of the project', async function () {
      const q = parseProps(await cinderOk('quota-show', PROJECT_ID));
      expect(q).to.include({ volumes: '10', gigabytes: '1000', snapshots: '10', backups: '10', backup_gigabytes: '1000', groups: '10', per_volume_gigabytes: '-1' });
      expect(q).to.include({ volumes___DEFAULT__: '-1', gigabytes___DEFAULT__: '-1', snapshots___DEFAULT__: '-1' });
      const r = await srv().request('GET', `/v3/os-quota-sets/${PROJECT_ID}`, { mv: '3.70' });
      expect(r.status).to.equal(200);
      for (const [k, v] of Object.entries(r.body.quota_set)) {
        if (k === 'id') continue;
        expect(q[k], `quota-show ${k}`).to.equal(String(v));
      }
    });

    it('`cinder quota-update --volumes 7` changes the limit that `cinder quota-show` prints', async function () {
      const updated = parseProps(await cinderOk('quota-update', '--volumes', '7', PROJECT_ID));
      expect(updated.volumes).to.equal('7');
      const q = parseProps(await cinderOk('quota-show', PROJECT_ID));
      expect(q.volumes).to.equal('7');
      expect(q.gigabytes).to.equal('1000');
      const r = await srv().request('GET', `/v3/os-quota-sets/${PROJECT_ID}`, { mv: '3.70' });
      expect(r.body.quota_set.volumes).to.equal(7);
    });

    it('`cinder quota-usage` shows the volumes in use against the limit', async function () {
      const rows = parseList(await cinderOk('quota-usage', PROJECT_ID));
      const byType = Object.fromEntries(rows.map((x) => [x.Type, x]));
      expect(byType.volumes).to.include({ In_use: String(baselineVolumes + 2), Reserved: '0', Limit: '7' });
      expect(byType.gigabytes).to.include({ In_use: String(baselineGigabytes + 2), Reserved: '0', Limit: '1000' });
      expect(byType.volumes___DEFAULT__).to.include({ In_use: String(baselineVolumes + 2), Limit: '-1' });
      expect(byType.snapshots).to.include({ In_use: '0', Limit: '10' });
    });

    it('`cinder absolute-limits` counts the created volumes in totalVolumesUsed', async function () {
      const rows = parseList(await cinderOk('absolute-limits'));
      const limits = Object.fromEntries(rows.map((x) => [x.Name, x.Value]));
      expect(limits).to.include({
        totalVolumesUsed: String(baselineVolumes + 2),
        totalGigabytesUsed: String(baselineGigabytes + 2),
        maxTotalVolumes: '7',
        maxTotalVolumeGigabytes: '1000',
        totalSnapshotsUsed: '0',
        maxTotalSnapshots: '10',
      });
      // Cross-check with what the project really holds.
      const ids = await httpVolumeIds();
      expect(ids).to.include.members(created);
      expect(limits.totalVolumesUsed).to.equal(String(ids.length));
    });

    it('`cinder summary` prints the count, total size and metadata of the volumes', async function () {
      const s = parseProps(await cinderOk('summary'));
      const ids = await httpVolumeIds();
      expect(s.total_count).to.equal(String(ids.length));
      expect(s.total_size).to.equal(String(baselineGigabytes + 2));
      expect(s.metadata.split('\n')).to.include("purpose : ['quota']");
    });
  });

  describe('versions and availability zones', function () {
    it('`cinder api-version` reports the server version range 3.0 to 3.70', async function () {
      const rows = parseList(await cinderOk('api-version'));
      expect(rows).to.have.length(1);
      expect(rows[0]).to.include({ ID: 'v3.0', Status: 'CURRENT', Version: '3.70', Min_version: '3.0' });
    });

    it('`cinder version-list` prints client and server supported versions with server max 3.70', async function () {
      const out = await cinderOk('version-list');
      expect(out).to.contain('Client supported API versions:');
      expect(out).to.contain('Maximum version 3.70');
      expect(out).to.contain('Server supported API versions:');
      const server = out.slice(out.indexOf('Server supported API versions:'));
      const rows = parseList(server);
      expect(rows).to.have.length(1);
      expect(rows[0]).to.include({ Id: 'v3.0', Status: 'CURRENT', 'Min Version': '3.0', Version: '3.70' });
      const r = await srv().request('GET', '/', { token: null });
      expect(r.status).to.equal(300);
      expect(r.body.versions[0].version).to.equal('3.70');
    });

    it('`cinder availability-zone-list` shows zone nova as available', async function () {
      const rows = parseList(await cinderOk('availability-zone-list'));
      expect(rows).to.deep.equal([{ Name: 'nova', Status: 'available' }]);
    });
  });

  describe('errors', function () {
    it('`cinder show` of an unknown id exits non-zero with "No volume with a name or ID of ... exists."', async function () {
      const unknown = '00000000-0000-4000-8000-000000000000';
      const r = await cinder('show', unknown);
      expect(r.code).to.not.equal(0);
      expect(r.stderr).to.contain(`No volume with a name or ID of '${unknown}' exists.`);
      expect(r.stdout.trim()).to.equal('');
    });

    it('`cinder create 0` fails with a size error and creates no volume', async function () {
      const before = await httpVolumeIds();
      const r = await cinder('create', '0', '--name', 'zero-vol');
      expect(r.code).to.not.equal(0);
      expect(r.stderr).to.match(/ERROR: .*size.*\(HTTP 400\)/);
      expect(r.stderr).to.contain('Invalid input for field/attribute size');
      expect(r.stdout.trim()).to.equal('');
      const after = await httpVolumeIds();
      expect(after).to.have.members(before);
      const rows = parseList(await cinderOk('list'));
      expect(rows.map((x) => x.Name)).to.not.include('zero-vol');
    });
  });
});
