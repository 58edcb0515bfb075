/*
 * The volume worker as its own process (`node --import tsx src/worker.ts`), next to an API served
 * in-process without a worker (startServer(..., { worker: false })); both use one data directory, so
 * one SQLite store and one backend directory. Covers: operations queued by the API are picked up and
 * logged with the API call's request id; SIGKILL in the middle of a real copy, after the storage work of
 * a create, and after the storage work of a delete, then recovery by a new worker (partial files
 * quarantined, nothing left in a transitional status, no file without a row); two worker processes
 * running 40 operations exactly once; SIGTERM finishing the operation in flight and exiting 0.
 *
 * Workers are started `detached` (their own process group), so a kill also takes down what they spawned
 * (the `cp` of a clone), as a crashed container would; every process started here is killed in
 * afterEach, whatever the outcome.
 */
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, type TestServer } from '../lib/server';

const ROOT = path.resolve(__dirname, '..', '..');
const GiB = 1024 ** 3;
const TRANSITIONAL = [
  'creating',
  'deleting',
  'extending',
  'attaching',
  'detaching',
  'reserved',
  'retyping',
  'reverting',
  'backing-up',
  'restoring-backup',
  'downloading',
  'uploading',
  'maintenance',
  'awaiting-transfer',
];

type LogLine = Record<string, unknown> & { msg: string };

interface Worker {
  child: ChildProcess;
  pid: number;
  owner: string;
  lines: LogLine[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive: boolean;
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

describe('volume-worker as its own process', function () {
  this.timeout(120000);
  let server: TestServer | undefined;
  const workers: Worker[] = [];

  function startWorker(dataDir: string, env: Record<string, string> = {}): Promise<Worker> {
    const child = spawn(process.execPath, ['--import', 'tsx', '--disable-warning=DEP0111', 'src/worker.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', VOLUME_API_DATA_DIR: dataDir, VOLUME_API_WORKER_POLL_INTERVAL_MS: '50', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const w: Worker = {
      child,
      pid: child.pid!,
      owner: '',
      lines: [],
      alive: true,
      exited: new Promise((resolve) =>
        child.on('exit', (code, signal) => {
          w.alive = false;
          resolve({ code, signal });
        }),
      ),
    };
    workers.push(w);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    let buf = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`volume-worker did not start; stderr: ${stderr}`)), 30000);
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const text = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          let line: LogLine;
          try {
            line = JSON.parse(text) as LogLine;
          } catch {
            continue; // not a log line
          }
          w.lines.push(line);
          if (line.msg === 'volume-worker running') {
            w.owner = String(line.owner);
            clearTimeout(timer);
            resolve(w);
          }
        }
      });
      void w.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`volume-worker exited (${code ?? signal}) before it was running; stderr: ${stderr}`));
      });
    });
  }

  /** SIGKILL to the worker's process group: the worker and anything it spawned die at once. */
  async function crash(w: Worker): Promise<void> {
    try {
      process.kill(-w.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    const { signal } = await w.exited;
    expect(signal).to.equal('SIGKILL');
  }

  afterEach(async () => {
    for (const w of workers.splice(0)) {
      if (w.alive) {
        try {
          process.kill(-w.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        await w.exited;
      }
    }
    if (server) await server.close();
    server = undefined;
  });

  async function api(overrides: Record<string, unknown> = {}): Promise<TestServer> {
    server = await startServer({ quota: { volumes: 100, gigabytes: 1000 }, ...overrides }, { worker: false });
    return server;
  }

  async function operationsOf(s: TestServer) {
    return s.services.store.db.selectFrom('operations').selectAll().orderBy('created_at').execute();
  }

  async function operationFor(s: TestServer, volumeId: string, kind: string) {
    return s.services.store.db.selectFrom('operations').selectAll().where('resource_id', '=', volumeId).where('kind', '=', kind).executeTakeFirst();
  }

  async function createVolume(s: TestServer, volume: Record<string, unknown> = {}): Promise<{ id: string; requestId: string }> {
    const r = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, ...volume } } });
    expect(r.status, r.text).to.equal(202);
    return { id: r.body.volume.id, requestId: r.headers.get('x-openstack-request-id')! };
  }

  /** The end state every crash test must reach: nothing transitional, no file without a live row, no partial file. */
  async function expectConsistent(s: TestServer): Promise<string[]> {
    const live = await s.services.store.db.selectFrom('volumes').select(['id', 'status']).where('deleted', '=', 0).execute();
    for (const v of live) expect(TRANSITIONAL, `volume ${v.id}`).not.to.include(v.status);
    const liveIds = new Set(live.map((v) => v.id));
    const names = fs.readdirSync(s.config.backend.path).filter((n) => n !== 'quarantine');
    expect(
      names.filter((n) => n.includes('.tmp-')),
      'partial files',
    ).to.deep.equal([]);
    for (const name of names) {
      const m = /^volume-(.+)$/.exec(name);
      expect(m && liveIds.has(m[1]), `${name} has a live row`).to.equal(true);
    }
    return names;
  }

  it('picks up operations queued by the API and logs them as volume-worker with op_id, volume_id and the request id', async () => {
    const s = await api();
    const w = await startWorker(s.dataDir);
    expect(w.owner).to.match(new RegExp(`^${os.hostname()}/${w.pid}/[0-9a-f]{8}$`));

    const { id, requestId } = await createVolume(s);
    await s.waitForVolume(id, ['available'], 10000);
    const create = (await operationFor(s, id, 'create_volume'))!;
    expect(create).to.include({ state: 'succeeded', attempts: 1, owner: w.owner, request_id: requestId });
    const created = await waitFor('the create log line', () => w.lines.find((l) => l.msg === 'operation succeeded' && l.volume_id === id));
    expect(created).to.include({ name: 'volume-worker', pid: w.pid, op_id: create.id, op_kind: 'create_volume', volume_id: id, req_id: requestId, attempt: 1 });
    expect(created.duration_ms).to.be.a('number');
    expect(fs.statSync(path.join(s.config.backend.path, `volume-${id}`)).size).to.equal(GiB);

    const del = await s.request('DELETE', `/v3/volumes/${id}`);
    expect(del.status).to.equal(202);
    const deleteRequestId = del.headers.get('x-openstack-request-id');
    await s.waitForVolume(id, ['deleted'], 10000);
    const deleteOp = (await operationFor(s, id, 'delete_volume'))!;
    const deleted = await waitFor('the delete log line', () => w.lines.find((l) => l.msg === 'operation succeeded' && l.op_id === deleteOp.id));
    expect(deleted).to.include({ name: 'volume-worker', op_kind: 'delete_volume', volume_id: id, req_id: deleteRequestId });
    expect(fs.existsSync(path.join(s.config.backend.path, `volume-${id}`))).to.equal(false);
    // Every line of this process is the worker's.
    expect(w.lines.every((l) => l.name === 'volume-worker')).to.equal(true);
  });

  it('CRASH in the middle of a clone copying 1.5 GiB: the next worker quarantines the partial file and finishes the clone', async function () {
    const s = await api();
    // A reflinking filesystem (XFS, Btrfs) clones instantly: there is no "middle" to kill the worker in.
    const probe = path.join(s.dataDir, 'reflink-probe');
    fs.writeFileSync(probe, 'x');
    if (spawnSync('cp', ['--reflink=always', probe, `${probe}-copy`]).status === 0) this.skip();

    const w1 = await startWorker(s.dataDir);
    const source = await createVolume(s, { size: 2, name: 'source' });
    await s.waitForVolume(source.id, ['available'], 10000);
    // Real data, not holes: cp has to copy every byte (2-3 s on a plain disk).
    const sourceFile = path.join(s.config.backend.path, `volume-${source.id}`);
    const chunk = Buffer.alloc(8 * 1024 * 1024);
    randomFillSync(chunk);
    const dataBytes = 192 * chunk.length; // 1.5 GiB
    const fd = fs.openSync(sourceFile, 'r+');
    try {
      for (let i = 0; i < 192; i++) {
        chunk.writeUInt32LE(i, 0); // every chunk differs
        fs.writeSync(fd, chunk, 0, chunk.length, i * chunk.length);
      }
    } finally {
      fs.closeSync(fd);
    }

    const clone = await createVolume(s, { size: 2, source_volid: source.id, name: 'clone' });
    const partial = path.join(s.config.backend.path, `volume-${clone.id}.tmp-${w1.pid}`);
    const started = Date.now();
    await waitFor(
      'the partial clone file',
      async () => {
        if (fs.existsSync(partial) && fs.statSync(partial).size > 0) return true;
        const status = (await s.request('GET', `/v3/volumes/${clone.id}`)).body.volume.status;
        if (status !== 'creating') throw new Error(`the clone ended (${status}) ${Date.now() - started} ms before the worker could be killed mid-copy`);
        return false;
      },
      20000,
      5,
    );
    await crash(w1);

    // What the crash left: a running operation of a dead owner, a creating volume, a half-written file.
    const copied = fs.statSync(partial);
    expect(copied.blocks * 512).to.be.greaterThan(0);
    const before = (await operationFor(s, clone.id, 'create_volume'))!;
    expect(before).to.include({ state: 'running', owner: w1.owner, attempts: 1 });
    expect((await s.request('GET', `/v3/volumes/${clone.id}`)).body.volume.status).to.equal('creating');

    const w2 = await startWorker(s.dataDir);
    const quarantined = w2.lines.find((l) => l.msg.startsWith('quarantined a backing file'));
    expect(quarantined).to.include({ backend_entry: path.basename(partial), kind: 'partial' });
    expect(w2.lines.find((l) => l.msg === 'reclaiming operation of a dead worker')).to.include({ op_id: before.id, dead_owner: w1.owner });
    await s.waitForVolume(clone.id, ['available'], 60000);

    const after = (await operationFor(s, clone.id, 'create_volume'))!;
    expect(after).to.include({ state: 'succeeded', owner: w2.owner, attempts: 1, interruptions: 1 });
    expect((await expectConsistent(s)).sort()).to.deep.equal([`volume-${source.id}`, `volume-${clone.id}`].sort());
    const moved = fs.readdirSync(path.join(s.config.backend.path, 'quarantine'));
    expect(moved).to.have.length(1);
    expect(moved[0].startsWith(`${path.basename(partial)}.`)).to.equal(true);
    // The clone holds the source's data (sampled: first, middle and last chunk) at its full size.
    const cloneFile = path.join(s.config.backend.path, `volume-${clone.id}`);
    expect(fs.statSync(cloneFile).size).to.equal(2 * GiB);
    const read = (file: string, at: number) => {
      const b = Buffer.alloc(chunk.length);
      const h = fs.openSync(file, 'r');
      try {
        fs.readSync(h, b, 0, b.length, at);
      } finally {
        fs.closeSync(h);
      }
      return b;
    };
    for (const at of [0, dataBytes / 2, dataBytes - chunk.length]) expect(read(cloneFile, at).equals(read(sourceFile, at)), `chunk at ${at}`).to.equal(true);
  });

  it("CRASH after a create's storage work, before it is recorded: the next worker keeps the file (it has a row) and finishes", async () => {
    const s = await api();
    const w1 = await startWorker(s.dataDir, { VOLUME_API_WORKER_TEST_DELAY_MS: '60000' });
    const { id } = await createVolume(s);
    const file = path.join(s.config.backend.path, `volume-${id}`);
    await waitFor('the backing file', () => fs.existsSync(file));
    await crash(w1);
    expect((await operationFor(s, id, 'create_volume'))!).to.include({ state: 'running', owner: w1.owner, attempts: 1 });
    expect((await s.request('GET', `/v3/volumes/${id}`)).body.volume.status).to.equal('creating');

    const w2 = await startWorker(s.dataDir);
    expect(w2.lines.filter((l) => l.msg.startsWith('quarantined'))).to.deep.equal([]);
    await s.waitForVolume(id, ['available'], 10000);
    expect((await operationFor(s, id, 'create_volume'))!).to.include({ state: 'succeeded', owner: w2.owner, attempts: 1, interruptions: 1 });
    expect(await expectConsistent(s)).to.deep.equal([`volume-${id}`]);
    expect(fs.statSync(file).size).to.equal(GiB);
  });

  it('CRASH after a delete removed the file, before it is recorded: the next worker finishes the delete and returns the quota', async () => {
    const s = await api();
    const { id } = await createVolume(s, { size: 2 });
    // Placed by the API process's own (unstarted) loop, so only the delete runs in the worker processes.
    fs.mkdirSync(s.config.backend.path, { recursive: true });
    expect(await s.worker.drain()).to.equal(1);
    const file = path.join(s.config.backend.path, `volume-${id}`);
    expect(fs.existsSync(file)).to.equal(true);

    const w1 = await startWorker(s.dataDir, { VOLUME_API_WORKER_TEST_DELAY_MS: '60000' });
    expect((await s.request('DELETE', `/v3/volumes/${id}`)).status).to.equal(202);
    await waitFor('the backing file to go', () => !fs.existsSync(file));
    await crash(w1);
    expect((await operationFor(s, id, 'delete_volume'))!).to.include({ state: 'running', owner: w1.owner, attempts: 1 });
    expect((await s.request('GET', `/v3/volumes/${id}`)).body.volume.status).to.equal('deleting');

    const w2 = await startWorker(s.dataDir);
    await s.waitForVolume(id, ['deleted'], 10000);
    expect((await operationFor(s, id, 'delete_volume'))!).to.include({ state: 'succeeded', owner: w2.owner, attempts: 1, interruptions: 1 });
    const row = await s.services.store.db.selectFrom('volumes').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).to.include({ deleted: 1, status: 'deleted' });
    const limits = (await s.request('GET', '/v3/limits')).body.limits.absolute;
    expect(limits).to.include({ totalVolumesUsed: 0, totalGigabytesUsed: 0 });
    expect(await expectConsistent(s)).to.deep.equal([]);
  });

  it('CONCURRENCY: two worker processes run 40 queued creates, each exactly once', async () => {
    const s = await api();
    // A short hold per operation keeps both workers busy at once, so they really race for the rows.
    const env = { VOLUME_API_WORKER_POLL_INTERVAL_MS: '20', VOLUME_API_WORKER_TEST_DELAY_MS: '40' };
    const [w1, w2] = await Promise.all([startWorker(s.dataDir, env), startWorker(s.dataDir, env)]);
    const ids: string[] = [];
    for (let batch = 0; batch < 4; batch++) {
      const made = await Promise.all(Array.from({ length: 10 }, () => createVolume(s)));
      ids.push(...made.map((m) => m.id));
    }
    await waitFor(
      '40 finished operations',
      async () => (await operationsOf(s)).filter((o) => o.state === 'succeeded' || o.state === 'failed').length === 40,
      60000,
      50,
    );
    const ops = await operationsOf(s);
    expect(ops).to.have.length(40);
    for (const o of ops) expect(o, o.id).to.include({ state: 'succeeded', attempts: 1 });
    const byOwner = new Map<string, number>();
    for (const o of ops) byOwner.set(o.owner!, (byOwner.get(o.owner!) ?? 0) + 1);
    expect([...byOwner.keys()].sort()).to.deep.equal([w1.owner, w2.owner].sort());

    // Each operation ran once: one success line across both processes, no lost lease, no retry. The line
    // is written after the row's commit and reaches us through a pipe: wait for it before counting.
    await waitFor(
      'a success line for every operation',
      async () => ops.every((o) => [...w1.lines, ...w2.lines].some((l) => l.msg === 'operation succeeded' && l.op_id === o.id)),
      10000,
      50,
    );
    const lines = [...w1.lines, ...w2.lines];
    for (const o of ops)
      expect(
        lines.filter((l) => l.msg === 'operation succeeded' && l.op_id === o.id),
        o.id,
      ).to.have.length(1);
    expect(lines.filter((l) => /lease lost|will retry|operation failed/.test(l.msg))).to.deep.equal([]);

    for (const id of ids) expect((await s.request('GET', `/v3/volumes/${id}`)).body.volume.status).to.equal('available');
    const files = await expectConsistent(s);
    expect(files.sort()).to.deep.equal(ids.map((id) => `volume-${id}`).sort());
    for (const f of files) expect(fs.statSync(path.join(s.config.backend.path, f)).size).to.equal(GiB);
  });

  it('SIGTERM: the worker finishes the operation in flight, claims nothing more and exits 0', async () => {
    const s = await api();
    const w = await startWorker(s.dataDir, { VOLUME_API_WORKER_TEST_DELAY_MS: '1500' });
    const { id } = await createVolume(s);
    await waitFor('the claim', async () => (await operationFor(s, id, 'create_volume'))?.state === 'running');
    w.child.kill('SIGTERM');
    await waitFor('the stopping line', () => w.lines.some((l) => l.msg === 'stopping'));
    const late = await createVolume(s); // queued while the worker stops: must stay queued
    const { code, signal } = await w.exited;
    expect({ code, signal }).to.deep.equal({ code: 0, signal: null });

    expect((await operationFor(s, id, 'create_volume'))!).to.include({ state: 'succeeded', attempts: 1, owner: w.owner });
    expect((await s.request('GET', `/v3/volumes/${id}`)).body.volume.status).to.equal('available');
    expect((await operationFor(s, late.id, 'create_volume'))!).to.include({ state: 'pending', attempts: 0 });
    const at = (msg: string) => w.lines.findIndex((l) => l.msg === msg && (msg !== 'operation succeeded' || l.volume_id === id));
    expect(at('stopping')).to.be.lessThan(at('operation succeeded'));
    expect(at('operation succeeded')).to.be.lessThan(at('stopped'));
    expect(w.lines.find((l) => l.msg === 'stopping')).to.include({ signal: 'SIGTERM' });
    expect(fs.readdirSync(s.config.backend.path).filter((n) => n.includes('.tmp-'))).to.deep.equal([]);
  });
});
