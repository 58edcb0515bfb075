/*
 * The cinder CLI suite (test/functional/cinder-cli*.test.ts): the real `cinder` CLI (python-cinderclient 9.1.0, Debian package python3-cinderclient)
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
import { PROJECT_ID, startServer, tmpDir, type TestServer } from './server';
import { startApacheProxy } from './apache';
import { startNginxFor } from './nginx';
import { parseHostPort } from '../../deploy/lib/webserver';

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
 * cells are appended with a newline. Two border lines in a row (a table's bottom border and the next
 * table's top border, as `cinder attachment-create` prints them) or a border with other column
 * boundaries start a new table.
 */
function parseTables(out: string): string[][][] {
  const tables: string[][][] = [];
  let cuts: number[] | null = null;
  let rows: string[][] = [];
  let headerDone = false;
  let lastWasBorder = false;
  const flush = (): void => {
    if (rows.length > 0) tables.push(rows);
    rows = [];
    cuts = null;
    headerDone = false;
  };
  for (const raw of out.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (/^\+[-+]*\+$/.test(line)) {
      const borderCuts: number[] = [];
      for (let i = 0; i < line.length; i++) if (line[i] === '+') borderCuts.push(i);
      if (cuts !== null && (lastWasBorder || borderCuts.join() !== cuts.join())) flush();
      if (cuts === null) cuts = borderCuts;
      lastWasBorder = true;
      continue;
    }
    lastWasBorder = false;
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

// ---------------------------------------------------------------------------------------------------
// Backing files: data patterns written at a few offsets (start, middle, last KiB of the first GiB)
// ---------------------------------------------------------------------------------------------------

const PATTERN_OFFSETS = [0, 512 * 1024 ** 2 + 3, GIB - 1024];

/** Writes `pattern` at each of PATTERN_OFFSETS of an existing (sparse) file, without changing its size. */
function writePattern(file: string, pattern: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    for (const offset of PATTERN_OFFSETS) fs.writeSync(fd, Buffer.from(pattern), 0, Buffer.byteLength(pattern), offset);
  } finally {
    fs.closeSync(fd);
  }
}

/** The bytes at `offset`, as a latin1 string (NULs for a hole). */
function readAt(file: string, offset: number, length: number): string {
  const buf = Buffer.alloc(length);
  const fd = fs.openSync(file, 'r');
  try {
    const n = fs.readSync(fd, buf, 0, length, offset);
    return buf.subarray(0, n).toString('latin1');
  } finally {
    fs.closeSync(fd);
  }
}

/** Asserts that `pattern` is at every one of PATTERN_OFFSETS of `file`. */
function expectPattern(file: string, pattern: string): void {
  for (const offset of PATTERN_OFFSETS) {
    expect(readAt(file, offset, Buffer.byteLength(pattern)), `${path.basename(file)} at offset ${offset}`).to.equal(pattern);
  }
}

/** A web server in front of the API (the CLI then talks to it); none: the CLI talks to the API directly. */
export type Front = (api: TestServer) => Promise<{ url: string; stop(): Promise<void> }>;

/** A front that serves the API under `prefix` (devstack's `http://host/volume/v3`): the CLI's endpoint starts with it. */
export function underPrefix(prefix: string, server: 'apache' | 'nginx'): Front {
  return async (api) => {
    const proxy =
      server === 'apache'
        ? await startApacheProxy({ upstreams: [parseHostPort(new URL(api.url).host, 'upstream')], serverName: 'localhost', pathPrefix: prefix })
        : await startNginxFor([api.url], { serverName: 'localhost', pathPrefix: prefix });
    return { url: `${proxy.url}${prefix}`, stop: () => proxy.stop() };
  };
}

/**
 * Which blocks of the suite a file runs, each file against its own server (the blocks of one part share it):
 * - `basics`: volume lifecycle, types, quotas, versions, errors, snapshots, volume actions;
 * - `more`: attachments, user messages, cascade delete, transfers, backups;
 * - `smoke`: create, list, show, extend, snapshot, delete: what must not change behind a web server;
 * - `admin`: an operator's first commands (issue 15): services, pools, extensions, QoS specs, private
 *   types and their access lists, encryption types;
 * - `groups` (issue 16): group types and specs, groups, group snapshots, create-from-src, reset-state.
 * The whole suite (basics + more: two files, so that `mocha --parallel` runs them side by side) runs
 * directly against the API; the smoke set runs through each generated web-server front (Apache, Nginx).
 */
export type CinderPart = 'basics' | 'more' | 'smoke' | 'admin' | 'groups' | 'backends';

/** Settings a part's server needs beside the test defaults. */
const PART_SERVER_SETTINGS: Partial<Record<CinderPart, Record<string, unknown>>> = {
  backends: { enabled_backends: ['file-1', 'file-2'] },
};

export function cinderSuite(label: string, part: CinderPart, front?: Front): void {
  describe(`cinder CLI (python-cinderclient) against the service${label}`, function () {
    this.timeout(120_000);

    /** A block of this suite, defined only in the part that holds it. */
    function block(inPart: CinderPart, title: string, fn: (this: Mocha.Suite) => void): void {
      if (inPart === part) describe(title, fn);
    }

    let server: TestServer | undefined;
    let proxy: { url: string; stop(): Promise<void> } | undefined;
    let cacheDir: string | undefined;
    let cliEnv: NodeJS.ProcessEnv = {};

    function srv(): TestServer {
      if (!server) throw new Error('server not started');
      return server;
    }

    /** Runs `cinder <args>` in noauth mode; never rejects on a non-zero exit. */
    async function cinder(...args: string[]): Promise<CliResult> {
      const argv = ['--os-auth-type', 'noauth', '--os-endpoint', `${(proxy ?? srv()).url}/v3`, '--os-user-id', USER_ID, '--os-project-id', PROJECT_ID, ...args];
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
        if (e.killed) throw new Error(`cinder ${args.join(' ')} timed out after ${COMMAND_TIMEOUT_MS} ms`, { cause: err });
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
      cliEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(OS_|CINDER)/i.test(k)));
      // cinderclient writes a UUID completion cache under ~/.cache; keep it out of $HOME.
      cliEnv.CINDERCLIENT_UUID_CACHE_DIR = cacheDir;
      server = await startServer(PART_SERVER_SETTINGS[part] ?? {});
      if (front) proxy = await front(server);
    });

    after(async function () {
      try {
        if (proxy) await proxy.stop();
        if (server) await server.close();
      } finally {
        server = undefined;
        proxy = undefined;
        if (cacheDir) fs.rmSync(cacheDir, { recursive: true, force: true });
      }
    });

    block('basics', 'volume lifecycle', function () {
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

    block('basics', 'volume types', function () {
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

    block('basics', 'quotas, limits and summary', function () {
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
        expect(q).to.include({
          volumes: '10',
          gigabytes: '1000',
          snapshots: '10',
          backups: '10',
          backup_gigabytes: '1000',
          groups: '10',
          per_volume_gigabytes: '-1',
        });
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

    block('basics', 'versions and availability zones', function () {
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

    block('basics', 'errors', function () {
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

    // -------------------------------------------------------------------------------------------------
    // Snapshots, volume actions, attachments, user messages and cascade delete
    // -------------------------------------------------------------------------------------------------

    function volumeFile(id: string): string {
      return path.join(srv().config.backend.path, `volume-${id}`);
    }

    function snapshotFile(id: string): string {
      return path.join(srv().config.backend.path, `snapshot-${id}`);
    }

    /** Lifts the volume-count quota (the quota tests above lower it to 7) so the blocks below can create volumes. */
    async function allowManyVolumes(): Promise<void> {
      const r = await srv().request('PUT', `/v3/os-quota-sets/${PROJECT_ID}`, { mv: '3.70', body: { quota_set: { volumes: -1 } } });
      expect(r.status, r.text).to.equal(200);
    }

    /** Polls `cinder snapshot-show <id>` until the status is `status`. */
    async function waitForSnapshotCliStatus(id: string, status: string, attempts = 40): Promise<Row> {
      let last: Row = {};
      for (let i = 0; i < attempts; i++) {
        last = parseProps(await cinderOk('snapshot-show', id));
        if (last.status === status) return last;
        if (last.status.startsWith('error')) break;
        await sleep(50);
      }
      throw new Error(`snapshot ${id} did not become ${status} (last status ${last.status})`);
    }

    /** Polls `check` (a bounded number of times) until it returns true. */
    async function eventually(what: string, check: () => Promise<boolean>, attempts = 40): Promise<void> {
      for (let i = 0; i < attempts; i++) {
        if (await check()) return;
        await sleep(50);
      }
      throw new Error(`timed out waiting until ${what}`);
    }

    block('basics', 'snapshots', function () {
      // Same length, so the second fully overwrites the first at every offset.
      const BEFORE_SNAPSHOT = 'data-before-the-snapshot:AAAA';
      const AFTER_SNAPSHOT = 'data-after--the-snapshot:BBBB';
      let sourceId: string | undefined;
      let snapshotId: string | undefined;

      function src(): string {
        if (!sourceId) throw new Error('no source volume: the before hook failed');
        return sourceId;
      }

      function sid(): string {
        if (!snapshotId) throw new Error('no snapshot: the snapshot-create test failed');
        return snapshotId;
      }

      before(async function () {
        await allowManyVolumes();
        sourceId = await createAvailableVolume('1', '--name', 'snap-src');
        writePattern(volumeFile(sourceId), BEFORE_SNAPSHOT);
      });

      it('`cinder snapshot-create` prints the new snapshot and `cinder snapshot-show` reaches available; the snapshot file is a copy of the volume', async function () {
        const created = parseProps(
          await cinderOk('snapshot-create', '--name', 'cli-snap', '--description', 'first snapshot', '--metadata', 'purpose=cli', src()),
        );
        expect(created.id).to.match(UUID_RE);
        expect(created).to.include({
          name: 'cli-snap',
          description: 'first snapshot',
          volume_id: src(),
          size: '1',
          metadata: "{'purpose': 'cli'}",
          user_id: USER_ID,
          consumes_quota: 'True',
        });
        expect(['creating', 'available']).to.include(created.status);
        snapshotId = created.id;

        const shown = await waitForSnapshotCliStatus(created.id, 'available');
        expect(shown['os-extended-snapshot-attributes:progress']).to.equal('100%');
        expect(shown['os-extended-snapshot-attributes:project_id']).to.equal(PROJECT_ID);

        const file = snapshotFile(created.id);
        expect(fs.existsSync(file), `${file} exists`).to.equal(true);
        expect(fs.statSync(file).size).to.equal(GIB);
        expectPattern(file, BEFORE_SNAPSHOT);

        const r = await srv().request('GET', `/v3/snapshots/${created.id}`, { mv: '3.70' });
        expect(r.status).to.equal(200);
        expect(r.body.snapshot).to.include({ status: 'available', volume_id: src(), size: 1, name: 'cli-snap' });

        // From now on the source volume holds other data: a volume made from the snapshot must not see it.
        writePattern(volumeFile(src()), AFTER_SNAPSHOT);
      });

      it('`cinder snapshot-list` shows the snapshot as available, also filtered by `--volume-id`', async function () {
        const rows = parseList(await cinderOk('snapshot-list'));
        expect(rows.find((x) => x.ID === sid())).to.deep.equal({
          ID: sid(),
          'Volume ID': src(),
          Status: 'available',
          Name: 'cli-snap',
          Size: '1',
          'Consumes Quota': 'True',
          'User ID': USER_ID,
        });
        const filtered = parseList(await cinderOk('snapshot-list', '--volume-id', src()));
        expect(filtered.map((x) => x.ID)).to.deep.equal([sid()]);

        const r = await srv().request('GET', '/v3/snapshots', { mv: '3.70' });
        expect(r.status).to.equal(200);
        expect((r.body.snapshots as Array<{ id: string }>).map((x) => x.id)).to.have.members(rows.map((x) => x.ID));
      });

      it('`cinder snapshot-show` by id and by name prints the snapshot details', async function () {
        const byId = parseProps(await cinderOk('snapshot-show', sid()));
        expect(byId).to.include({
          id: sid(),
          name: 'cli-snap',
          description: 'first snapshot',
          status: 'available',
          size: '1',
          volume_id: src(),
          metadata: "{'purpose': 'cli'}",
          user_id: USER_ID,
          consumes_quota: 'True',
          group_snapshot_id: 'None',
          'os-extended-snapshot-attributes:progress': '100%',
          'os-extended-snapshot-attributes:project_id': PROJECT_ID,
        });
        const byName = parseProps(await cinderOk('snapshot-show', 'cli-snap'));
        expect(byName.id).to.equal(sid());

        const r = await srv().request('GET', `/v3/snapshots/${sid()}`, { mv: '3.70' });
        expect(r.status).to.equal(200);
        expect(byId.created_at).to.equal(r.body.snapshot.created_at);
        expect(byId.updated_at).to.equal(r.body.snapshot.updated_at);
      });

      it('`cinder snapshot-rename` changes the name and description', async function () {
        const out = await cinderOk('snapshot-rename', '--description', 'renamed by the cli', sid(), 'cli-snap-renamed');
        expect(out).to.contain(`Request to rename snapshot '${sid()}' has been accepted.`);
        const shown = parseProps(await cinderOk('snapshot-show', sid()));
        expect(shown).to.include({ name: 'cli-snap-renamed', description: 'renamed by the cli' });
        const r = await srv().request('GET', `/v3/snapshots/${sid()}`, { mv: '3.70' });
        expect(r.body.snapshot).to.include({ name: 'cli-snap-renamed', description: 'renamed by the cli' });
      });

      it('`cinder snapshot-metadata <snap> set` adds keys that `cinder snapshot-metadata-show` lists', async function () {
        const merged = parseProps(await cinderOk('snapshot-metadata', sid(), 'set', 'k1=v1', 'k2=v2'));
        expect(merged).to.deep.equal({ purpose: 'cli', k1: 'v1', k2: 'v2' });
        const rows = parseList(await cinderOk('snapshot-metadata-show', sid()));
        expect(rows).to.deep.equal([
          { 'Metadata-property': 'k1', Value: 'v1' },
          { 'Metadata-property': 'k2', Value: 'v2' },
          { 'Metadata-property': 'purpose', Value: 'cli' },
        ]);
        const r = await srv().request('GET', `/v3/snapshots/${sid()}/metadata`, { mv: '3.70' });
        expect(r.status).to.equal(200);
        expect(r.body).to.deep.equal({ metadata: { purpose: 'cli', k1: 'v1', k2: 'v2' } });
      });

      it('`cinder snapshot-metadata <snap> unset` removes only that key', async function () {
        const out = await cinderOk('snapshot-metadata', sid(), 'unset', 'purpose');
        expect(out.trim()).to.equal('');
        const rows = parseList(await cinderOk('snapshot-metadata-show', sid()));
        expect(rows).to.deep.equal([
          { 'Metadata-property': 'k1', Value: 'v1' },
          { 'Metadata-property': 'k2', Value: 'v2' },
        ]);
        const r = await srv().request('GET', `/v3/snapshots/${sid()}/metadata`, { mv: '3.70' });
        expect(r.body).to.deep.equal({ metadata: { k1: 'v1', k2: 'v2' } });
      });

      it('`cinder create --snapshot-id <snap> 2` makes a 2 GiB volume holding what the source held when the snapshot was taken', async function () {
        const created = parseProps(await cinderOk('create', '--snapshot-id', sid(), '--name', 'from-snap', '2'));
        expect(created.id).to.match(UUID_RE);
        expect(created).to.include({ name: 'from-snap', size: '2', snapshot_id: sid(), source_volid: 'None' });

        const shown = await waitForCliStatus(created.id, 'available');
        expect(shown).to.include({ size: '2', snapshot_id: sid() });

        const file = volumeFile(created.id);
        expect(fs.statSync(file).size).to.equal(2 * GIB);
        expectPattern(file, BEFORE_SNAPSHOT);
        // The grown second GiB is empty.
        expect(readAt(file, GIB + 4096, 32)).to.equal('\0'.repeat(32));

        const r = await srv().request('GET', `/v3/volumes/${created.id}`, { mv: '3.70' });
        expect(r.body.volume).to.include({ status: 'available', size: 2, snapshot_id: sid(), source_volid: null });
      });

      it('`cinder create --source-volid <vol>` clones the volume with its current data', async function () {
        const created = parseProps(await cinderOk('create', '--source-volid', src(), '--name', 'cli-clone'));
        expect(created.id).to.match(UUID_RE);
        expect(created).to.include({ name: 'cli-clone', size: '1', source_volid: src(), snapshot_id: 'None' });

        const shown = await waitForCliStatus(created.id, 'available');
        expect(shown).to.include({ size: '1', source_volid: src() });

        const file = volumeFile(created.id);
        expect(fs.statSync(file).size).to.equal(GIB);
        expectPattern(file, AFTER_SNAPSHOT);

        const r = await srv().request('GET', `/v3/volumes/${created.id}`, { mv: '3.70' });
        expect(r.body.volume).to.include({ status: 'available', size: 1, source_volid: src(), snapshot_id: null });
      });

      it('`cinder --os-volume-api-version 3.40 revert-to-snapshot <snap>` puts the snapshot data back into the volume', async function () {
        expectPattern(volumeFile(src()), AFTER_SNAPSHOT);
        const r0 = await cinder('--debug', '--os-volume-api-version', '3.40', 'revert-to-snapshot', sid());
        expect(r0.code, r0.stderr).to.equal(0);
        expect(r0.stdout.trim()).to.equal('');
        expect(r0.stderr).to.match(new RegExp(`-X POST \\S+/v3/volumes/${src()}/action .*-d '\\{"revert": \\{"snapshot_id": "${sid()}"\\}\\}'`));

        const shown = await waitForCliStatus(src(), 'available');
        expect(shown.size).to.equal('1');
        await waitForSnapshotCliStatus(sid(), 'available');

        const file = volumeFile(src());
        expect(fs.statSync(file).size).to.equal(GIB);
        expectPattern(file, BEFORE_SNAPSHOT);
      });

      it('`cinder snapshot-delete` removes the snapshot from `cinder snapshot-list` and deletes its file', async function () {
        const id = sid();
        const out = await cinderOk('snapshot-delete', id);
        expect(out.trim()).to.equal('');

        await eventually('the snapshot is gone from cinder snapshot-list', async () => {
          const rows = parseList(await cinderOk('snapshot-list'));
          return !rows.some((x) => x.ID === id);
        });

        const file = snapshotFile(id);
        for (let i = 0; i < 100 && fs.existsSync(file); i++) await sleep(20);
        expect(fs.existsSync(file), `${file} removed`).to.equal(false);

        const r = await srv().request('GET', `/v3/snapshots/${id}`, { mv: '3.70' });
        expect(r.status).to.equal(404);
        // The volumes made from it live on.
        const vols = await srv().request('GET', '/v3/volumes/detail?name=from-snap', { mv: '3.70' });
        expect(vols.body.volumes).to.have.length(1);
        expect(vols.body.volumes[0]).to.include({ status: 'available', size: 2 });
      });
    });

    block('basics', 'volume actions', function () {
      let volumeId: string | undefined;

      function vid(): string {
        if (!volumeId) throw new Error('no volume: the before hook failed');
        return volumeId;
      }

      before(async function () {
        await allowManyVolumes();
        volumeId = await createAvailableVolume('1', '--name', 'action-vol');
      });

      it('`cinder extend <vol> 2` ends available with size 2 and a 2 GiB backing file', async function () {
        const out = await cinderOk('extend', vid(), '2');
        expect(out.trim()).to.equal('');
        const shown = await waitForCliStatus(vid(), 'available');
        expect(shown.size).to.equal('2');
        expect(fs.statSync(volumeFile(vid())).size).to.equal(2 * GIB);
        const r = await srv().request('GET', `/v3/volumes/${vid()}`, { mv: '3.70' });
        expect(r.body.volume).to.include({ status: 'available', size: 2 });
      });

      it('`cinder reset-state --state error` then `--state available` sets the status `cinder show` prints', async function () {
        expect((await cinderOk('reset-state', '--state', 'error', vid())).trim()).to.equal('');
        expect(parseProps(await cinderOk('show', vid())).status).to.equal('error');
        let r = await srv().request('GET', `/v3/volumes/${vid()}`, { mv: '3.70' });
        expect(r.body.volume.status).to.equal('error');

        expect((await cinderOk('reset-state', '--state', 'available', vid())).trim()).to.equal('');
        expect(parseProps(await cinderOk('show', vid())).status).to.equal('available');
        r = await srv().request('GET', `/v3/volumes/${vid()}`, { mv: '3.70' });
        expect(r.body.volume.status).to.equal('available');
      });

      it('`cinder readonly-mode-update <vol> True` shows readonly True in the volume metadata', async function () {
        expect((await cinderOk('readonly-mode-update', vid(), 'True')).trim()).to.equal('');
        const shown = parseProps(await cinderOk('show', vid()));
        expect(shown.metadata).to.equal('readonly : True');
        const r = await srv().request('GET', `/v3/volumes/${vid()}`, { mv: '3.70' });
        expect(r.body.volume.metadata).to.deep.equal({ readonly: 'True' });
      });

      it('`cinder set-bootable <vol> true` makes the volume bootable', async function () {
        expect((await cinderOk('set-bootable', vid(), 'true')).trim()).to.equal('');
        expect(parseProps(await cinderOk('show', vid())).bootable).to.equal('true');
        const r = await srv().request('GET', `/v3/volumes/${vid()}`, { mv: '3.70' });
        expect(r.body.volume.bootable).to.equal('true');
      });
    });

    block('more', 'attachments', function () {
      const INSTANCE = '6f3c1c1e-8a43-4d2b-9a8e-0c5b1e2f7a90';
      let volumeId: string | undefined;
      let attachmentId: string | undefined;

      function vid(): string {
        if (!volumeId) throw new Error('no volume: the before hook failed');
        return volumeId;
      }

      function aid(): string {
        if (!attachmentId) throw new Error('no attachment: the attachment-create test failed');
        return attachmentId;
      }

      async function httpAttachment(id: string): Promise<Record<string, unknown>> {
        const r = await srv().request('GET', `/v3/attachments/${id}`, { mv: '3.70' });
        expect(r.status, r.text).to.equal(200);
        return r.body.attachment;
      }

      before(async function () {
        await allowManyVolumes();
        volumeId = await createAvailableVolume('1', '--name', 'attach-vol');
      });

      it('`cinder --os-volume-api-version 3.27 attachment-create <vol> <instance>` reserves the volume (no connector, so no connection)', async function () {
        // cinderclient sends `"connector": {}` without --connect; Cinder treats that as no connector.
        const out = await cinderOk('--os-volume-api-version', '3.27', 'attachment-create', vid(), INSTANCE);
        const created = parseProps(out);
        expect(created.id).to.match(UUID_RE);
        attachmentId = created.id;
        expect(created).to.deep.equal({
          id: created.id,
          volume_id: vid(),
          instance: INSTANCE,
          status: 'reserved',
          attach_mode: 'null',
          attached_at: '',
          detached_at: '',
        });
        // No second table: there is no connection_info to print.
        expect(parseTables(out), out).to.have.length(1);

        expect(parseProps(await cinderOk('show', vid())).status).to.equal('reserved');
        const a = await httpAttachment(created.id);
        expect(a).to.include({ status: 'reserved', volume_id: vid(), instance: INSTANCE });
        expect(a.connection_info).to.deep.equal({});
      });

      it('`cinder attachment-list` lists the attachment (also filtered by `--volume-id`)', async function () {
        const a = await httpAttachment(aid());
        const rows = parseList(await cinderOk('--os-volume-api-version', '3.27', 'attachment-list'));
        expect(rows.find((x) => x.ID === aid())).to.deep.equal({ ID: aid(), 'Volume ID': vid(), Status: String(a.status), 'Server ID': INSTANCE });
        const filtered = parseList(await cinderOk('attachment-list', '--volume-id', vid()));
        expect(filtered.map((x) => x.ID)).to.deep.equal([aid()]);
      });

      it('`cinder attachment-show` prints the attachment details', async function () {
        const a = await httpAttachment(aid());
        const shown = parseProps(await cinderOk('--os-volume-api-version', '3.27', 'attachment-show', aid()));
        expect(shown).to.include({ id: aid(), volume_id: vid(), instance: INSTANCE, status: String(a.status), attach_mode: 'null', detached_at: '' });
        expect(shown.attached_at).to.equal(String(a.attached_at));
      });

      it('`cinder --os-volume-api-version 3.44 attachment-complete` attaches: the volume becomes in-use', async function () {
        const out = await cinderOk('--os-volume-api-version', '3.44', 'attachment-complete', aid());
        expect(out.trim()).to.equal('');
        const shown = parseProps(await cinderOk('show', vid()));
        expect(shown).to.include({ status: 'in-use', attached_servers: `['${INSTANCE}']`, attachment_ids: `['${aid()}']` });
        expect(parseProps(await cinderOk('attachment-show', aid())).status).to.equal('attached');
        const r = await srv().request('GET', `/v3/volumes/${vid()}`, { mv: '3.70' });
        expect(r.body.volume.status).to.equal('in-use');
        expect((await httpAttachment(aid())).status).to.equal('attached');
      });

      it('`cinder attachment-delete` detaches: the volume is available again and the attachment is gone', async function () {
        const id = aid();
        const out = await cinderOk('--os-volume-api-version', '3.27', 'attachment-delete', id);
        expect(out.trim()).to.equal('');
        const shown = parseProps(await cinderOk('show', vid()));
        expect(shown).to.include({ status: 'available', attached_servers: '[]', attachment_ids: '[]' });
        const rows = parseList(await cinderOk('attachment-list'));
        expect(rows.map((x) => x.ID)).to.not.include(id);
        const r = await srv().request('GET', `/v3/attachments/${id}`, { mv: '3.70' });
        expect(r.status).to.equal(404);
      });
    });

    block('more', 'user messages', function () {
      const HUGE_GB = 100_000;
      let volumeId: string | undefined;
      let messageId: string | undefined;

      function vid(): string {
        if (!volumeId) throw new Error('no volume: the failed-create test did not create one');
        return volumeId;
      }

      function mid(): string {
        if (!messageId) throw new Error('no message: the message-list test failed');
        return messageId;
      }

      before(async function () {
        await allowManyVolumes();
      });

      after(async function () {
        // Give the quota back: remove the failed volume, then restore the default gigabytes limit.
        if (!server || !volumeId) return;
        await srv().request('DELETE', `/v3/volumes/${volumeId}`, { mv: '3.70' });
        await srv().waitForVolume(volumeId, ['deleted']);
        await srv().request('PUT', `/v3/os-quota-sets/${PROJECT_ID}`, { mv: '3.70', body: { quota_set: { gigabytes: 1000 } } });
      });

      it('`cinder create 100000` (after `cinder quota-update --gigabytes -1`) is accepted but the volume ends in error: no backend has the space', async function () {
        const q = parseProps(await cinderOk('quota-update', '--gigabytes', '-1', PROJECT_ID));
        expect(q.gigabytes).to.equal('-1');

        const created = parseProps(await cinderOk('create', String(HUGE_GB), '--name', 'too-big'));
        expect(created.id).to.match(UUID_RE);
        expect(created.size).to.equal(String(HUGE_GB));
        volumeId = created.id;

        const shown = await waitForCliStatus(created.id, 'error');
        expect(shown.size).to.equal(String(HUGE_GB));
        expect(fs.existsSync(volumeFile(created.id))).to.equal(false);
      });

      it('`cinder message-list` shows the scheduling failure for that volume', async function () {
        const rows = parseList(await cinderOk('message-list'));
        const mine = rows.filter((x) => x['Resource UUID'] === vid());
        expect(mine, 'messages for the failed volume').to.have.length(1);
        expect(mine[0]).to.include({
          'Resource Type': 'VOLUME',
          'Event ID': 'VOLUME_VOLUME_001_003',
          'User Message': 'schedule allocate volume:Could not find any available weighted backend.',
        });
        expect(mine[0].ID).to.match(UUID_RE);
        messageId = mine[0].ID;

        const filtered = parseList(await cinderOk('message-list', '--resource_uuid', vid()));
        expect(filtered.map((x) => x.ID)).to.deep.equal([messageId]);

        const r = await srv().request('GET', `/v3/messages?resource_uuid=${vid()}`, { mv: '3.70' });
        expect(r.status).to.equal(200);
        expect((r.body.messages as Array<{ id: string }>).map((x) => x.id)).to.deep.equal([messageId]);
      });

      it('`cinder message-show` prints the message details', async function () {
        const shown = parseProps(await cinderOk('message-show', mid()));
        expect(shown).to.include({
          id: mid(),
          resource_type: 'VOLUME',
          resource_uuid: vid(),
          event_id: 'VOLUME_VOLUME_001_003',
          message_level: 'ERROR',
          user_message: 'schedule allocate volume:Could not find any available weighted backend.',
        });
        expect(shown.request_id).to.match(/^req-[0-9a-f-]{36}$/);
        const r = await srv().request('GET', `/v3/messages/${mid()}`, { mv: '3.70' });
        expect(r.status).to.equal(200);
        expect(shown.request_id).to.equal(r.body.message.request_id);
        expect(shown.created_at).to.equal(r.body.message.created_at);
        expect(shown.guaranteed_until).to.equal(r.body.message.guaranteed_until);
      });
    });

    block('more', 'cascade delete', function () {
      let volumeId: string | undefined;
      let snapshotId: string | undefined;

      function vid(): string {
        if (!volumeId) throw new Error('no volume: the before hook failed');
        return volumeId;
      }

      function sid(): string {
        if (!snapshotId) throw new Error('no snapshot: the before hook failed');
        return snapshotId;
      }

      before(async function () {
        await allowManyVolumes();
        volumeId = await createAvailableVolume('1', '--name', 'cascade-vol');
        const snap = parseProps(await cinderOk('snapshot-create', '--name', 'cascade-snap', volumeId));
        snapshotId = snap.id;
        await waitForSnapshotCliStatus(snap.id, 'available');
      });

      it('`cinder delete <vol>` of a volume with a snapshot is refused with the reason', async function () {
        const r = await cinder('delete', vid());
        expect(r.code).to.not.equal(0);
        expect(r.stdout).to.contain(`Delete for volume ${vid()} failed: Invalid volume: Volume status must be available or error`);
        expect(r.stdout).to.contain('have snapshots');
        expect(r.stdout).to.match(/\(HTTP 400\) \(Request-ID: req-[0-9a-f-]+\)/);
        expect(r.stderr).to.contain('ERROR: Unable to delete any of the specified volumes.');

        expect(parseProps(await cinderOk('show', vid())).status).to.equal('available');
        expect(parseProps(await cinderOk('snapshot-show', sid())).status).to.equal('available');
      });

      it('`cinder delete --cascade <vol>` removes the volume and its snapshot', async function () {
        const out = await cinderOk('delete', '--cascade', vid());
        expect(out).to.contain(`Request to delete volume ${vid()} has been accepted.`);

        await eventually('the volume is gone from cinder list', async () => !parseList(await cinderOk('list')).some((x) => x.ID === vid()));
        await eventually('the snapshot is gone from cinder snapshot-list', async () => !parseList(await cinderOk('snapshot-list')).some((x) => x.ID === sid()));

        for (let i = 0; i < 100 && (fs.existsSync(volumeFile(vid())) || fs.existsSync(snapshotFile(sid()))); i++) await sleep(20);
        expect(fs.existsSync(volumeFile(vid())), 'volume file removed').to.equal(false);
        expect(fs.existsSync(snapshotFile(sid())), 'snapshot file removed').to.equal(false);

        expect((await srv().request('GET', `/v3/volumes/${vid()}`, { mv: '3.70' })).status).to.equal(404);
        expect((await srv().request('GET', `/v3/snapshots/${sid()}`, { mv: '3.70' })).status).to.equal(404);
      });
    });

    block('more', 'transfers', function () {
      // Another project (noauth: the token is `<user>:<project>`); cinderclient takes the last --os-project-id.
      const OTHER_PROJECT = 'a0c1e2d3f4b5a6978899aabbccddeeff';
      let volumeId: string | undefined;
      let transferId: string | undefined;
      let authKey: string | undefined;

      function vid(): string {
        if (!volumeId) throw new Error('no volume: the before hook failed');
        return volumeId;
      }

      function tid(): string {
        if (!transferId) throw new Error('no transfer: the transfer-create test failed');
        return transferId;
      }

      async function cinderAs(project: string, ...args: string[]): Promise<CliResult> {
        return cinder('--os-project-id', project, ...args);
      }

      before(async function () {
        await allowManyVolumes();
        volumeId = await createAvailableVolume('1', '--name', 'xfer-vol');
      });

      it('`cinder transfer-create --name cli-xfer <vol>` prints the transfer with its auth_key; the volume is awaiting-transfer', async function () {
        const created = parseProps(await cinderOk('transfer-create', '--name', 'cli-xfer', vid()));
        expect(created.id).to.match(UUID_RE);
        expect(created.auth_key).to.match(/^[0-9a-f]{16}$/);
        expect(created).to.include({
          name: 'cli-xfer',
          volume_id: vid(),
          no_snapshots: 'False',
          accepted: 'False',
          source_project_id: PROJECT_ID,
          destination_project_id: 'None',
        });
        transferId = created.id;
        authKey = created.auth_key;
        expect(parseProps(await cinderOk('show', vid())).status).to.equal('awaiting-transfer');
      });

      it('`cinder transfer-list` lists it (ID, Volume ID, Name); `cinder transfer-show` prints it without the key', async function () {
        const rows = parseList(await cinderOk('transfer-list'));
        expect(rows).to.deep.include({ ID: tid(), 'Volume ID': vid(), Name: 'cli-xfer' });
        const out = await cinderOk('transfer-show', tid());
        const shown = parseProps(out);
        expect(shown).to.include({ id: tid(), name: 'cli-xfer', volume_id: vid(), accepted: 'False' });
        expect(shown).to.not.have.property('auth_key');
        expect(out).to.not.contain(authKey!);
        expect(parseProps(await cinderOk('transfer-show', 'cli-xfer')).id).to.equal(tid());
      });

      it('`cinder delete` of the offered volume is refused (awaiting a transfer)', async function () {
        const r = await cinder('delete', vid());
        expect(r.code).to.not.equal(0);
        expect(r.stdout).to.contain('awaiting a transfer');
        expect(parseProps(await cinderOk('show', vid())).status).to.equal('awaiting-transfer');
      });

      it('`cinder transfer-accept` with a wrong key fails with the reason; nothing moves', async function () {
        const r = await cinderAs(OTHER_PROJECT, 'transfer-accept', tid(), '0123456789abcdef');
        expect(r.code).to.not.equal(0);
        expect(r.stderr).to.contain(`ERROR: Invalid auth key: Attempt to transfer ${tid()} with invalid auth key. (HTTP 400)`);
        expect(parseProps(await cinderOk('show', vid()))).to.include({ status: 'awaiting-transfer', 'os-vol-tenant-attr:tenant_id': PROJECT_ID });
      });

      it('`cinder transfer-accept <id> <key>` by another project moves the volume to it, available', async function () {
        const r = await cinderAs(OTHER_PROJECT, 'transfer-accept', tid(), authKey!);
        if (r.code !== 0) throw new Error(`transfer-accept exited ${r.code}\n${r.stdout}\n${r.stderr}`);
        expect(parseProps(r.stdout)).to.include({ id: tid(), name: 'cli-xfer', volume_id: vid() });
        expect(parseProps(await cinderOk('show', vid()))).to.include({ status: 'available', 'os-vol-tenant-attr:tenant_id': OTHER_PROJECT });
        expect(parseList(await cinderOk('transfer-list')).some((x) => x.ID === tid())).to.equal(false);
        const quota = await srv().request('GET', `/v3/os-quota-sets/${OTHER_PROJECT}?usage=True`, { mv: '3.70' });
        expect(quota.body.quota_set.volumes.in_use).to.equal(1);
        expect(quota.body.quota_set.gigabytes.in_use).to.equal(1);
      });

      it('`cinder transfer-delete` withdraws an offer: the volume is available again and the transfer gone', async function () {
        const again = parseProps(await cinderAs(OTHER_PROJECT, 'transfer-create', vid()).then((r) => r.stdout));
        expect(again.id).to.match(UUID_RE);
        expect(parseProps(await cinderAs(OTHER_PROJECT, 'show', vid()).then((r) => r.stdout)).status).to.equal('awaiting-transfer');
        const del = await cinderAs(OTHER_PROJECT, 'transfer-delete', again.id);
        if (del.code !== 0) throw new Error(`transfer-delete exited ${del.code}\n${del.stdout}\n${del.stderr}`);
        expect(parseProps(await cinderOk('show', vid())).status).to.equal('available');
        const gone = await cinderAs(OTHER_PROJECT, 'transfer-show', again.id);
        expect(gone.code).to.not.equal(0);
        expect((await srv().request('GET', `/v3/volume-transfers/${again.id}`, { mv: '3.70' })).status).to.equal(404);
      });
    });
    // -------------------------------------------------------------------------------------------------
    // Backups: create (full, incremental), list, show, restore (new and existing volume), export/import,
    // delete (refused while an incremental depends on the backup)
    // -------------------------------------------------------------------------------------------------

    block('more', 'backups', function () {
      const FULL_DATA = 'backup-data-of-the-full:AAAA';
      const INCR_DATA = 'backup-data-of-the-incr:BBBB';
      let sourceId: string | undefined;
      let fullId: string | undefined;
      let incrId: string | undefined;

      const src = (): string => sourceId ?? assert('no source volume: the before hook failed');
      const full = (): string => fullId ?? assert('no backup: the backup-create test failed');
      const incr = (): string => incrId ?? assert('no incremental backup: the --incremental test failed');
      function assert(msg: string): never {
        throw new Error(msg);
      }

      async function waitForBackup(id: string, status: string): Promise<void> {
        for (let i = 0; i < 600; i++) {
          const r = await srv().request('GET', `/v3/backups/${id}`, { mv: '3.70' });
          if (status === 'deleted' && r.status === 404) return;
          if (r.status === 200 && r.body.backup.status === status) return;
          await sleep(50);
        }
        throw new Error(`backup ${id} did not become ${status}`);
      }

      before(async function () {
        await allowManyVolumes();
        const q = await srv().request('PUT', `/v3/os-quota-sets/${PROJECT_ID}`, {
          mv: '3.70',
          body: { quota_set: { gigabytes: -1, backups: -1, backup_gigabytes: -1 } },
        });
        expect(q.status, q.text).to.equal(200);
        sourceId = await createAvailableVolume('1', '--name', 'backup-src');
        writePattern(volumeFile(sourceId), FULL_DATA);
      });

      it('`cinder backup-create --name` prints the new backup; it becomes available and the volume available again', async function () {
        const created = parseProps(await cinderOk('backup-create', '--name', 'cli-backup', src()));
        expect(created.id).to.match(UUID_RE);
        expect(created.name).to.equal('cli-backup');
        fullId = created.id;
        await waitForBackup(full(), 'available');
        await srv().waitForVolume(src(), ['available'], 20000);
      });

      it('`cinder backup-create --incremental` stores an incremental backup of the changed volume', async function () {
        writePattern(volumeFile(src()), INCR_DATA);
        const created = parseProps(await cinderOk('backup-create', '--incremental', '--name', 'cli-incr', src()));
        expect(created.id).to.match(UUID_RE);
        incrId = created.id;
        await waitForBackup(incr(), 'available');
        await srv().waitForVolume(src(), ['available'], 20000);
        expect(parseProps(await cinderOk('backup-show', incr()))).to.include({ is_incremental: 'True', volume_id: src() });
      });

      it('`cinder backup-list` shows both backups as available; `cinder backup-show` by name prints the details', async function () {
        const rows = parseList(await cinderOk('backup-list'));
        for (const [id, name] of [
          [full(), 'cli-backup'],
          [incr(), 'cli-incr'],
        ]) {
          expect(rows.find((r) => r.ID === id)).to.include({ 'Volume ID': src(), Status: 'available', Name: name, Size: '1' });
        }
        const shown = parseProps(await cinderOk('backup-show', 'cli-backup'));
        expect(shown).to.include({
          id: full(),
          status: 'available',
          name: 'cli-backup',
          is_incremental: 'False',
          has_dependent_backups: 'True',
          volume_id: src(),
        });
      });

      it('`cinder backup-restore` restores into a new volume and, with --volume, into an existing one', async function () {
        const restored = parseProps(await cinderOk('backup-restore', full()));
        expect(restored.backup_id).to.equal(full());
        expect(restored.volume_id).to.match(UUID_RE);
        await srv().waitForVolume(restored.volume_id, ['available'], 30000);
        expectPattern(volumeFile(restored.volume_id), FULL_DATA);
        await waitForBackup(full(), 'available');

        const target = await createAvailableVolume('1', '--name', 'restore-target');
        const into = parseProps(await cinderOk('backup-restore', '--volume', target, incr()));
        expect(into.volume_id).to.equal(target);
        await srv().waitForVolume(target, ['available'], 30000);
        expectPattern(volumeFile(target), INCR_DATA);
        await waitForBackup(incr(), 'available');
      });

      it('`cinder backup-delete` of a backup with an incremental fails; `cinder backup-export`/`backup-import` bring a lost record back', async function () {
        const refused = await cinder('backup-delete', full());
        expect(refused.code).to.not.equal(0);
        expect(refused.stdout + refused.stderr).to.contain('Unable to delete any of the specified backups.');

        const exported = parseProps(await cinderOk('backup-export', incr()));
        expect(exported.backup_service).to.be.a('string').and.not.equal('');
        expect(exported.backup_url).to.be.a('string').and.not.equal('');
        // The database loses the record; the backup data stays in backup storage.
        await srv().services.store.db.deleteFrom('backups').where('id', '=', incr()).execute();
        expect((await cinder('backup-show', incr())).code).to.not.equal(0);
        const imported = parseProps(await cinderOk('backup-import', exported.backup_service, exported.backup_url));
        expect(imported.id).to.equal(incr());
        await waitForBackup(incr(), 'available');
      });

      it('`cinder backup-delete` removes the incremental, then the full backup, and their files', async function () {
        await cinderOk('backup-delete', incr());
        await waitForBackup(incr(), 'deleted');
        await cinderOk('backup-delete', full());
        await waitForBackup(full(), 'deleted');
        const ids = parseList(await cinderOk('backup-list')).map((r) => r.ID);
        expect(ids).to.not.include(full());
        expect(ids).to.not.include(incr());
        expect(fs.existsSync(path.join(srv().dataDir, 'backups', full()))).to.equal(false);
        expect(fs.existsSync(path.join(srv().dataDir, 'backups', incr()))).to.equal(false);
      });
    });

    block('admin', "an operator's first commands: services, pools, extensions", function () {
      it('`cinder service-list` shows the worker (cinder-volume, cinder-backup) and the API (cinder-scheduler) up and enabled', async function () {
        let rows: Row[] = [];
        await eventually(
          'three services report',
          async () => (rows = parseList(await cinderOk('--os-volume-api-version', '3.70', 'service-list'))).length >= 3,
        );
        const binaries = rows.map((r) => r.Binary).sort();
        expect(binaries).to.include.members(['cinder-backup', 'cinder-scheduler', 'cinder-volume']);
        for (const r of rows) expect(r, r.Binary).to.include({ Zone: 'nova', Status: 'enabled', State: 'up' });
        const volume = rows.find((r) => r.Binary === 'cinder-volume')!;
        expect(volume.Host).to.match(/@/);
      });

      it('`cinder service-disable --reason` and `service-enable` change what `service-list` shows', async function () {
        const volume = parseList(await cinderOk('--os-volume-api-version', '3.70', 'service-list')).find((r) => r.Binary === 'cinder-volume')!;
        const disabled = parseList(await cinderOk('service-disable', volume.Host, 'cinder-volume', '--reason', 'disk swap'));
        expect(disabled[0]).to.include({ Host: volume.Host, Binary: 'cinder-volume', Status: 'disabled', 'Disabled Reason': 'disk swap' });
        const listed = parseList(await cinderOk('--os-volume-api-version', '3.70', 'service-list')).find((r) => r.Binary === 'cinder-volume')!;
        expect(listed).to.include({ Status: 'disabled', 'Disabled Reason': 'disk swap' });
        const enabled = parseList(await cinderOk('service-enable', volume.Host, 'cinder-volume'));
        expect(enabled[0]).to.include({ Host: volume.Host, Binary: 'cinder-volume', Status: 'enabled' });
      });

      it('`cinder get-pools --detail` shows the file backend pool with real capacity and the storage protocol', async function () {
        const props = parseProps(await cinderOk('get-pools', '--detail'));
        expect(props.name).to.match(/@.+#.+/);
        expect(props).to.include({ vendor_name: 'Open Source', storage_protocol: 'iSCSI' });
        expect(Number(props.total_capacity_gb)).to.be.greaterThan(0);
        expect(Number(props.free_capacity_gb)).to.be.at.most(Number(props.total_capacity_gb));
        expect(parseProps(await cinderOk('get-pools')).name).to.equal(props.name);
      });

      it('`cinder list-extensions` lists the admin extensions the API serves', async function () {
        const aliases = parseList(await cinderOk('list-extensions')).map((r) => r.Alias);
        expect(aliases).to.include.members([
          'os-services',
          'os-hosts',
          'qos-specs',
          'os-volume-type-access',
          'scheduler-stats',
          'capabilities',
          'os-quota-class-sets',
        ]);
      });
    });

    block('admin', 'QoS specs', function () {
      let qosId: string | undefined;
      let typeId: string | undefined;
      const qid = (): string => qosId ?? expect.fail('no QoS specs: qos-create failed');
      const tid = (): string => typeId ?? expect.fail('no type: type-create failed');

      it('`cinder qos-create` prints the specs; `qos-list` lists them', async function () {
        const created = parseProps(await cinderOk('qos-create', 'cli-gold', 'consumer=both', 'total_iops_sec=500'));
        expect(created).to.include({ name: 'cli-gold', consumer: 'both', specs: 'total_iops_sec : 500' });
        qosId = created.id;
        expect(parseList(await cinderOk('qos-list')).find((r) => r.ID === qid())).to.include({ Name: 'cli-gold', Consumer: 'both' });
        typeId = parseList(await cinderOk('type-create', 'cli-qos-type'))[0].ID;
      });

      it('`cinder qos-key set/unset` changes the specs `qos-show` prints', async function () {
        await cinderOk('qos-key', qid(), 'set', 'write_iops_sec=50');
        await cinderOk('qos-key', qid(), 'unset', 'total_iops_sec');
        expect(parseProps(await cinderOk('qos-show', qid()))).to.include({ specs: 'write_iops_sec : 50' });
      });

      it('`cinder qos-associate` shows in `qos-get-association` and on the type; `qos-disassociate-all` clears it', async function () {
        await cinderOk('qos-associate', qid(), tid());
        expect(parseList(await cinderOk('qos-get-association', qid()))).to.deep.equal([{ Association_Type: 'volume_type', Name: 'cli-qos-type', ID: tid() }]);
        expect(parseProps(await cinderOk('type-show', tid())).qos_specs_id).to.equal(qid());
        const r = await cinder('qos-delete', qid());
        expect(r.code).to.not.equal(0);
        expect(r.stderr).to.contain('in use');
        await cinderOk('qos-disassociate-all', qid());
        expect(parseList(await cinderOk('qos-get-association', qid()))).to.deep.equal([]);
      });

      it('`cinder qos-delete` removes the specs from `qos-list`', async function () {
        await cinderOk('qos-delete', qid());
        expect(parseList(await cinderOk('qos-list')).map((r) => r.ID)).to.not.include(qid());
        await cinderOk('type-delete', tid());
      });
    });

    block('admin', 'private types, type access and encryption types', function () {
      let typeId: string | undefined;
      const tid = (): string => typeId ?? expect.fail('no type: type-create failed');

      it('`cinder type-create --is-public false` makes a private type; `type-access-add/list/remove` manage who may use it', async function () {
        const rows = parseList(await cinderOk('type-create', '--is-public', 'false', 'cli-private'));
        expect(rows[0]).to.include({ Name: 'cli-private', Is_Public: 'False' });
        typeId = rows[0].ID;
        await cinderOk('type-access-add', '--volume-type', tid(), '--project-id', 'other-project');
        expect(parseList(await cinderOk('type-access-list', '--volume-type', tid()))).to.deep.equal([{ Volume_type_ID: tid(), Project_ID: 'other-project' }]);
        const again = await cinder('type-access-add', '--volume-type', tid(), '--project-id', 'other-project');
        expect(again.code).to.not.equal(0);
        expect(again.stderr).to.contain('(HTTP 409)');
        await cinderOk('type-access-remove', '--volume-type', tid(), '--project-id', 'other-project');
        expect(parseList(await cinderOk('type-access-list', '--volume-type', tid()))).to.deep.equal([]);
      });

      it("`cinder encryption-type-create/update/show/delete` manage the type's encryption", async function () {
        const created = parseList(
          await cinderOk(
            'encryption-type-create',
            'cli-private',
            'luks',
            '--cipher',
            'aes-xts-plain64',
            '--key-size',
            '256',
            '--control-location',
            'front-end',
          ),
        );
        expect(created[0]).to.include({
          'Volume Type ID': tid(),
          Provider: 'luks',
          Cipher: 'aes-xts-plain64',
          'Key Size': '256',
          'Control Location': 'front-end',
        });
        await cinderOk('encryption-type-update', 'cli-private', '--cipher', 'aes-cbc-essiv');
        expect(parseList(await cinderOk('encryption-type-show', 'cli-private'))[0]).to.include({ Cipher: 'aes-cbc-essiv', 'Key Size': '256' });
        expect(parseList(await cinderOk('encryption-type-list')).map((r) => r['Volume Type ID'])).to.include(tid());
        const bad = await cinder('encryption-type-create', 'cli-private', 'luks', '--control-location', 'front-end');
        expect(bad.code).to.not.equal(0);
        await cinderOk('encryption-type-delete', 'cli-private');
        expect(parseList(await cinderOk('encryption-type-show', 'cli-private'))).to.deep.equal([]);
        await cinderOk('type-delete', tid());
      });
    });

    block('smoke', 'smoke set: create, list, show, extend, snapshot, delete', function () {
      let volumeId: string | undefined;
      let snapshotId: string | undefined;

      function vid(): string {
        if (!volumeId) throw new Error('no volume: the create test failed');
        return volumeId;
      }

      function sid(): string {
        if (!snapshotId) throw new Error('no snapshot: the snapshot-create test failed');
        return snapshotId;
      }

      it('`cinder create 1 --name smoke-vol` prints the new volume and it becomes available with a 1 GiB backing file', async function () {
        const created = parseProps(await cinderOk('create', '1', '--name', 'smoke-vol'));
        expect(created.id).to.match(UUID_RE);
        expect(created).to.include({ name: 'smoke-vol', size: '1', 'os-vol-tenant-attr:tenant_id': PROJECT_ID, user_id: USER_ID });
        volumeId = created.id;
        expect((await waitForCliStatus(created.id, 'available')).size).to.equal('1');
        expect(fs.statSync(volumeFile(created.id)).size).to.equal(GIB);
      });

      it('`cinder list` shows the volume as available', async function () {
        const row = parseList(await cinderOk('list')).find((x) => x.ID === vid());
        expect(row, 'volume row in cinder list').to.not.equal(undefined);
        expect(row).to.include({ Status: 'available', Name: 'smoke-vol', Size: '1', 'Volume Type': '__DEFAULT__', Bootable: 'false' });
      });

      it('`cinder show` by id and by name prints the volume details', async function () {
        const byId = parseProps(await cinderOk('show', vid()));
        expect(byId).to.include({
          id: vid(),
          name: 'smoke-vol',
          size: '1',
          status: 'available',
          availability_zone: 'nova',
          volume_type: '__DEFAULT__',
          attachment_ids: '[]',
        });
        expect(parseProps(await cinderOk('show', 'smoke-vol')).id).to.equal(vid());
        const r = await srv().request('GET', `/v3/volumes/${vid()}`, { mv: '3.70' });
        expect(byId.created_at).to.equal(r.body.volume.created_at);
      });

      it('`cinder extend <vol> 2` ends available with size 2 and a 2 GiB backing file', async function () {
        expect((await cinderOk('extend', vid(), '2')).trim()).to.equal('');
        expect((await waitForCliStatus(vid(), 'available')).size).to.equal('2');
        expect(fs.statSync(volumeFile(vid())).size).to.equal(2 * GIB);
      });

      it('`cinder snapshot-create` reaches available in `cinder snapshot-show` and `snapshot-list`; `cinder snapshot-delete` removes it and its file', async function () {
        const created = parseProps(await cinderOk('snapshot-create', '--name', 'smoke-snap', vid()));
        expect(created.id).to.match(UUID_RE);
        expect(created).to.include({ name: 'smoke-snap', volume_id: vid(), size: '2' });
        snapshotId = created.id;
        expect((await waitForSnapshotCliStatus(sid(), 'available')).name).to.equal('smoke-snap');
        expect(fs.existsSync(snapshotFile(sid())), 'snapshot file').to.equal(true);
        expect(parseList(await cinderOk('snapshot-list')).find((x) => x.ID === sid())).to.include({ Status: 'available', 'Volume ID': vid() });

        await cinderOk('snapshot-delete', sid());
        await eventually('the snapshot is gone from cinder snapshot-list', async () => !parseList(await cinderOk('snapshot-list')).some((x) => x.ID === sid()));
        for (let i = 0; i < 100 && fs.existsSync(snapshotFile(sid())); i++) await sleep(20);
        expect(fs.existsSync(snapshotFile(sid())), 'snapshot file removed').to.equal(false);
      });

      it('`cinder delete` removes the volume from `cinder list` and deletes its backing file', async function () {
        const out = await cinderOk('delete', vid());
        expect(out).to.contain(`Request to delete volume ${vid()} has been accepted.`);
        await eventually('the volume is gone from cinder list', async () => !parseList(await cinderOk('list')).some((x) => x.ID === vid()));
        for (let i = 0; i < 100 && fs.existsSync(volumeFile(vid())); i++) await sleep(20);
        expect(fs.existsSync(volumeFile(vid())), 'backing file removed').to.equal(false);
        expect((await srv().request('GET', `/v3/volumes/${vid()}`, { mv: '3.70' })).status).to.equal(404);
      });
    });
    // --- several backends, migration (issue 16) ---
    block('backends', 'two backends: get-pools, migrate, retype --migration-policy on-demand', function () {
      const pool = (name: string) => `${srv().services.backends.hostName}@${name}#${name}`;
      const fileOn = (backend: string, volumeId: string) => path.join(srv().dataDir, 'backends', backend, `volume-${volumeId}`);
      let volumeId: string | undefined;
      const vid = (): string => volumeId ?? expect.fail('no volume: an earlier step failed');

      /** Waits over HTTP until the volume's migration ended; returns the volume as an admin sees it. */
      async function migrated(id: string): Promise<Row> {
        await eventually(
          `volume ${id} finished migrating`,
          async () => {
            const v = (await srv().request('GET', `/v3/volumes/${id}`, { mv: '3.70' })).body.volume;
            return v.status === 'available' && ['success', 'error'].includes(v.migration_status);
          },
          600,
        );
        return parseProps(await cinderOk('show', id));
      }

      it('`cinder get-pools --detail` lists one pool per backend, each with its volume_backend_name', async function () {
        const pools = parseTables(await cinderOk('get-pools', '--detail')).map((t) => Object.fromEntries(t.slice(1).map(([k, v]) => [k, v])));
        expect(pools.map((p) => p.name)).to.have.members([pool('file-1'), pool('file-2')]);
        expect(pools.map((p) => p.volume_backend_name)).to.have.members(['file-1', 'file-2']);
      });

      it('`cinder retype --migration-policy on-demand` moves a volume to the backend its new type names, with its data', async function () {
        for (const name of ['file-1', 'file-2']) {
          await cinderOk('type-create', `on-${name}`);
          await cinderOk('type-key', `on-${name}`, 'set', `volume_backend_name=${name}`);
        }
        volumeId = await createAvailableVolume('--volume-type', 'on-file-1', '--name', 'mover', '1');
        expect(parseProps(await cinderOk('show', vid()))['os-vol-host-attr:host']).to.equal(pool('file-1'));
        writePattern(fileOn('file-1', vid()), 'moved-by-retype');
        await cinderOk('retype', '--migration-policy', 'on-demand', vid(), 'on-file-2');
        const shown = await migrated(vid());
        expect(shown).to.include({ id: vid(), status: 'available', volume_type: 'on-file-2', 'os-vol-host-attr:host': pool('file-2') });
        expect(shown['os-vol-mig-status-attr:migstat']).to.equal('success');
        expectPattern(fileOn('file-2', vid()), 'moved-by-retype');
        await eventually('the source file is removed', async () => !fs.existsSync(fileOn('file-1', vid())), 200);
      });

      it('`cinder migrate <volume> <host@backend#pool>` moves it back: same id and data, source removed', async function () {
        writePattern(fileOn('file-2', vid()), 'moved-by-migrate');
        await cinderOk('migrate', vid(), pool('file-1'));
        const shown = await migrated(vid());
        expect(shown).to.include({ id: vid(), name: 'mover', status: 'available', 'os-vol-host-attr:host': pool('file-1') });
        expect(shown['os-vol-mig-status-attr:migstat']).to.equal('success');
        expectPattern(fileOn('file-1', vid()), 'moved-by-migrate');
        await eventually('the source file is removed', async () => !fs.existsSync(fileOn('file-2', vid())), 200);
      });

      it("`cinder migrate` to the pool the volume is on prints the API's refusal and changes nothing; `cinder delete` removes it", async function () {
        // cinderclient reports a refused migration on stdout and exits 0.
        const refused = await cinderOk('migrate', vid(), pool('file-1'));
        expect(refused).to.contain(`Migration for volume ${vid()} failed: Invalid volume: Volume ${vid()} status must be available`).and.contain('(HTTP 400)');
        expect(parseProps(await cinderOk('show', vid()))).to.include({ status: 'available', 'os-vol-host-attr:host': pool('file-1') });
        await cinderOk('delete', vid());
        await eventually('the volume file is gone', async () => !fs.existsSync(fileOn('file-1', vid())), 200);
        for (const name of ['file-1', 'file-2']) await cinderOk('type-delete', `on-${name}`);
      });
    });
    // --- generic volume groups (issue 16) ---
    block('groups', 'group types, groups, group snapshots', function () {
      const V = ['--os-volume-api-version', '3.20'];
      const g = (...args: string[]) => cinderOk(...V, ...args);
      const ids: Record<string, string> = {};
      const id = (name: string): string => ids[name] ?? expect.fail(`no ${name}: an earlier step failed`);

      /** Polls a `<what>-show` over HTTP until `status` (or gone, for 'deleted'). */
      async function waitForHttp(collection: 'groups' | 'group_snapshots', key: string, resourceId: string, status: string): Promise<void> {
        await eventually(
          `${collection}/${resourceId} is ${status}`,
          async () => {
            const r = await srv().request('GET', `/v3/${collection}/${resourceId}`, { mv: '3.20' });
            return status === 'deleted' ? r.status === 404 : r.status === 200 && r.body[key].status === status;
          },
          100,
        );
      }

      it('`cinder group-type-create/list/show/update`, `group-type-key set/unset`, `group-specs-list`', async function () {
        const created = parseList(await g('group-type-create', 'cli-gt', '--description', 'a group type'));
        expect(created[0]).to.include({ Name: 'cli-gt', Description: 'a group type' });
        ids.type = created[0].ID;
        expect(parseList(await g('group-type-list')).map((r) => r.ID)).to.include(id('type'));
        expect(parseProps(await g('group-type-show', id('type')))).to.include({ id: id('type'), name: 'cli-gt', is_public: 'True' });
        expect(parseList(await g('group-type-update', id('type'), '--name', 'cli-gt2'))[0]).to.include({ Name: 'cli-gt2' });
        await g('group-type-key', id('type'), 'set', 'consistent_group_snapshot_enabled=<is> False', 'k1=v1');
        await g('group-type-key', id('type'), 'unset', 'k1');
        const specs = parseList(await g('group-specs-list')).find((r) => r.ID === id('type'));
        expect(specs?.group_specs).to.contain('consistent_group_snapshot_enabled').and.not.contain('k1');
        ids.vtype = parseList(await cinderOk('type-create', 'cli-group-vt'))[0].ID;
      });

      it('`cinder group-create`, `group-list`, `group-show`; `create --group-id` and `group-update --add-volumes`', async function () {
        const created = parseProps(await g('group-create', '--name', 'cli-group', id('type'), 'cli-group-vt'));
        ids.group = created.id;
        await waitForHttp('groups', 'group', id('group'), 'available');
        expect(parseList(await g('group-list')).find((r) => r.ID === id('group'))).to.include({ Name: 'cli-group', Status: 'available' });
        const shown = parseProps(await g('group-show', id('group')));
        expect(shown).to.include({ id: id('group'), name: 'cli-group', status: 'available', group_type: id('type') });
        expect(shown.volume_types).to.contain(id('vtype'));

        const member = parseProps(await g('create', '--volume-type', 'cli-group-vt', '--group-id', id('group'), '1'));
        expect(member.group_id).to.equal(id('group'));
        ids.member = member.id;
        await srv().waitForVolume(id('member'), ['available']);
        ids.loose = await createAvailableVolume('--volume-type', 'cli-group-vt', '1');
        writePattern(path.join(srv().dataDir, 'volumes', `volume-${id('member')}`), 'group-member-data');
        await g('group-update', id('group'), '--add-volumes', id('loose'));
        const r = await srv().request('GET', `/v3/groups/${id('group')}?list_volume=true`, { mv: '3.25' });
        expect(r.body.group.volumes).to.have.members([id('member'), id('loose')]);
        expect(parseProps(await g('show', id('loose'))).group_id).to.equal(id('group'));
      });

      it('`cinder group-snapshot-create/list/show`, `group-create-from-src --group-snapshot` (same data)', async function () {
        const created = parseProps(await g('group-snapshot-create', '--name', 'cli-gs', id('group')));
        ids.gs = created.id;
        await waitForHttp('group_snapshots', 'group_snapshot', id('gs'), 'available');
        expect(parseList(await g('group-snapshot-list')).find((r) => r.ID === id('gs'))).to.include({ Name: 'cli-gs', Status: 'available' });
        expect(parseProps(await g('group-snapshot-show', id('gs')))).to.include({ id: id('gs'), group_id: id('group'), status: 'available' });

        const fromSnap = parseProps(await g('group-create-from-src', '--group-snapshot', id('gs'), '--name', 'cli-from-gs'));
        ids.clone = fromSnap.id;
        await waitForHttp('groups', 'group', id('clone'), 'available');
        const r = await srv().request('GET', `/v3/groups/${id('clone')}?list_volume=true`, { mv: '3.25' });
        expect(r.body.group).to.include({ name: 'cli-from-gs', group_snapshot_id: id('gs') });
        expect(r.body.group.volumes).to.have.length(2);
        const sizes = await Promise.all(
          (r.body.group.volumes as string[]).map(
            async (v) => (await srv().request('GET', `/v3/volumes/${v}`, { mv: '3.20' })).body.volume.snapshot_id as string,
          ),
        );
        // The clone of the member volume holds the bytes written into the member.
        const snaps = (await srv().request('GET', '/v3/snapshots/detail', { mv: '3.20' })).body.snapshots as { id: string; volume_id: string }[];
        const memberSnap = snaps.find((s) => s.volume_id === id('member'))!.id;
        const cloneOfMember = (r.body.group.volumes as string[])[sizes.indexOf(memberSnap)];
        expectPattern(path.join(srv().dataDir, 'volumes', `volume-${cloneOfMember}`), 'group-member-data');

        ids.copy = parseProps(await g('group-create-from-src', '--source-group', id('group'))).id;
        await waitForHttp('groups', 'group', id('copy'), 'available');
      });

      // cinderclient 9.1 has no group-reset-state commands: `reset-state --type group|group-snapshot` is how it resets them.
      it('`cinder reset-state --type group` and `--type group-snapshot` set the status', async function () {
        await g('reset-state', '--type', 'group', '--state', 'error', id('copy'));
        await waitForHttp('groups', 'group', id('copy'), 'error');
        expect(parseList(await g('group-list')).find((r) => r.ID === id('copy'))).to.include({ Status: 'error' });
        await g('reset-state', '--type', 'group-snapshot', '--state', 'error', id('gs'));
        await waitForHttp('group_snapshots', 'group_snapshot', id('gs'), 'error');
        await g('reset-state', '--type', 'group-snapshot', '--state', 'available', id('gs'));
        await waitForHttp('group_snapshots', 'group_snapshot', id('gs'), 'available');
      });

      it('`cinder group-delete` refuses a group with volumes, `--delete-volumes` removes them; `group-snapshot-delete`, `group-type-delete`', async function () {
        const refused = await cinder(...V, 'group-delete', id('clone'));
        expect(refused.code).to.not.equal(0);
        expect(refused.stdout + refused.stderr).to.contain('The delete-volumes flag is required to delete it.');
        const withSnapshots = await cinder(...V, 'group-delete', '--delete-volumes', id('group'));
        expect(withSnapshots.stdout + withSnapshots.stderr).to.contain('Invalid Group: Group has existing snapshots. (HTTP 400)');
        await g('group-snapshot-delete', id('gs'));
        await waitForHttp('group_snapshots', 'group_snapshot', id('gs'), 'deleted');
        for (const name of ['clone', 'copy', 'group']) await g('group-delete', '--delete-volumes', id(name));
        for (const name of ['clone', 'copy', 'group']) await waitForHttp('groups', 'group', id(name), 'deleted');
        expect(fs.existsSync(path.join(srv().dataDir, 'volumes', `volume-${id('member')}`))).to.equal(false);
        expect(parseList(await g('group-list'))).to.deep.equal([]);
        await g('group-type-delete', id('type'));
        expect(parseList(await g('group-type-list')).map((r) => r.ID)).to.not.include(id('type'));
        await cinderOk('type-delete', id('vtype'));
      });
    });
  });
}
