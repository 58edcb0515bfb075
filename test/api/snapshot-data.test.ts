/*
 * Snapshot data through the file backend: what was written into a volume is what a snapshot, a volume
 * made from it, a revert and a clone hold; sparse files stay sparse (allocated blocks, not only sizes);
 * deletes (plain and cascade) remove the files; the worker's snapshot operations fail to the right
 * statuses and are idempotent when re-run after a crash.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, type Reply, type TestServer } from '../lib/server';
import type { RequestContext } from '../../src/context';
import { BackendSet } from '../../src/worker/backends';
import { OPERATION_HANDLERS } from '../../src/worker/operations';
import type { OperationContext } from '../../src/worker/operations/types';
import { createLogger } from '../../src/log';
import { nowIso } from '../../src/db/time';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
/** Offsets inside a 1 GiB volume: the start, unaligned in the first MiB, the middle, the last block. */
const OFFSETS = [0, MiB + 7, 512 * MiB - 100, GiB - 4096];
const CHUNK = 4096;
/** Allocated bytes allowed for a file holding only the chunks above (plus filesystem slack). */
const SPARSE_LIMIT = 2 * MiB;

function pattern(offset: number, seed = 0): Buffer {
  const buf = Buffer.alloc(CHUNK);
  for (let i = 0; i < CHUNK; i++) buf[i] = (offset + i * 31 + seed) % 251;
  return buf;
}

function writeAt(file: string, chunks: [number, Buffer][]): void {
  const fd = fs.openSync(file, 'r+');
  try {
    for (const [offset, buf] of chunks) fs.writeSync(fd, buf, 0, buf.length, offset);
  } finally {
    fs.closeSync(fd);
  }
}

function readAt(file: string, offset: number, length = CHUNK): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    fs.readSync(fd, buf, 0, length, offset);
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}

function writePattern(file: string, seed = 0): void {
  writeAt(
    file,
    OFFSETS.map((o) => [o, pattern(o, seed)]),
  );
}

function expectPattern(file: string, seed = 0): void {
  for (const o of OFFSETS) expect(readAt(file, o).equals(pattern(o, seed)), `${path.basename(file)} at ${o}`).to.equal(true);
}

function allocated(file: string): number {
  return fs.statSync(file).blocks * 512;
}

const ctx: RequestContext = { userId: 'admin', projectId: '1d0b8f6ce2b24c2f9b4b0d9fc4d7a6e1', isAdmin: true, roles: ['admin'], requestId: 'req-data-test' };

describe('API: snapshot data (file backend)', () => {
  let s: TestServer;
  const volumeFile = (id: string) => path.join(s.config.backend.path, `volume-${id}`);
  const snapshotFile = (id: string) => path.join(s.config.backend.path, `snapshot-${id}`);

  before(async () => {
    s = await startServer({ quota: { volumes: 50, snapshots: 50 } });
  });
  after(async () => {
    await s.close();
  });

  async function waitFor(kind: 'volumes' | 'snapshots', id: string, statuses: string[]): Promise<Reply> {
    const key = kind === 'volumes' ? 'volume' : 'snapshot';
    const deadline = Date.now() + 10000;
    for (;;) {
      const r = await s.request('GET', `/v3/${kind}/${id}`);
      if (r.status === 404 && statuses.includes('deleted')) return r;
      if (r.status === 200 && statuses.includes(r.body[key].status)) return r;
      if (Date.now() > deadline) throw new Error(`${key} ${id} did not reach ${statuses.join('|')}: ${r.text}`);
      await new Promise((res) => setTimeout(res, 20));
    }
  }

  async function volume(body: Record<string, unknown>): Promise<string> {
    const r = await s.request('POST', '/v3/volumes', { body: { volume: body } });
    expect(r.status, r.text).to.equal(202);
    await waitFor('volumes', r.body.volume.id, ['available']);
    return r.body.volume.id;
  }

  async function snapshot(volumeId: string): Promise<string> {
    const r = await s.request('POST', '/v3/snapshots', { body: { snapshot: { volume_id: volumeId } } });
    expect(r.status, r.text).to.equal(202);
    await waitFor('snapshots', r.body.snapshot.id, ['available']);
    return r.body.snapshot.id;
  }

  it('a snapshot keeps the data; a bigger volume made from it reads it back; all files stay sparse', async () => {
    const vol = await volume({ size: 1 });
    writePattern(volumeFile(vol));
    const snap = await snapshot(vol);
    const sf = snapshotFile(snap);
    expect(fs.statSync(sf).size).to.equal(GiB);
    expectPattern(sf);
    expect(allocated(sf)).to.be.below(SPARSE_LIMIT);

    // The volume moves on; the snapshot does not.
    writePattern(volumeFile(vol), 99);
    expectPattern(sf);

    const r = await s.request('POST', '/v3/volumes', { body: { volume: { snapshot_id: snap, size: 2 } } });
    expect(r.status, r.text).to.equal(202);
    const copy = r.body.volume.id;
    await waitFor('volumes', copy, ['available']);
    const cf = volumeFile(copy);
    expect(fs.statSync(cf).size).to.equal(2 * GiB);
    expectPattern(cf);
    expect(readAt(cf, GiB + 12345).equals(Buffer.alloc(CHUNK))).to.equal(true);
    expect(allocated(cf)).to.be.below(SPARSE_LIMIT);
    expectPattern(volumeFile(vol), 99);
    expect(allocated(volumeFile(vol))).to.be.below(SPARSE_LIMIT);
    // the provider location names the file
    const row = await s.services.store.db.selectFrom('snapshots').select('provider_location').where('id', '=', snap).executeTakeFirstOrThrow();
    expect(row.provider_location).to.equal(`snapshot-${snap}`);
  });

  it("revert puts the latest snapshot's data back (same size, still sparse)", async () => {
    const vol = await volume({ size: 1 });
    writePattern(volumeFile(vol), 1);
    const snap = await snapshot(vol);
    writePattern(volumeFile(vol), 2);
    writeAt(volumeFile(vol), [[300 * MiB, pattern(7)]]);
    await s.services.snapshots.revertVolume(ctx, vol, snap);
    await waitFor('volumes', vol, ['available']);
    await waitFor('snapshots', snap, ['available']);
    const vf = volumeFile(vol);
    expectPattern(vf, 1);
    expect(readAt(vf, 300 * MiB).equals(Buffer.alloc(CHUNK))).to.equal(true);
    expect(fs.statSync(vf).size).to.equal(GiB);
    expect(allocated(vf)).to.be.below(SPARSE_LIMIT);
    expect(fs.readdirSync(s.config.backend.path).filter((n) => n.includes('.tmp-'))).to.deep.equal([]);
  });

  it('a clone (source_volid) keeps the data and stays sparse', async () => {
    const src = await volume({ size: 1 });
    writePattern(volumeFile(src), 5);
    const clone = await volume({ source_volid: src, size: 3 });
    const cf = volumeFile(clone);
    expect(fs.statSync(cf).size).to.equal(3 * GiB);
    expectPattern(cf, 5);
    expect(allocated(cf)).to.be.below(SPARSE_LIMIT);
  });

  it("deleting a snapshot removes its file; a cascade delete removes the volume's and its snapshots' files", async () => {
    const vol = await volume({ size: 1 });
    writePattern(volumeFile(vol));
    const a = await snapshot(vol);
    const b = await snapshot(vol);
    const c = await snapshot(vol);
    expect((await s.request('DELETE', `/v3/snapshots/${c}`)).status).to.equal(202);
    await waitFor('snapshots', c, ['deleted']);
    expect(fs.existsSync(snapshotFile(c))).to.equal(false);
    expect(fs.existsSync(snapshotFile(a))).to.equal(true);
    expect((await s.request('DELETE', `/v3/volumes/${vol}?cascade=true`)).status).to.equal(202);
    await waitFor('volumes', vol, ['deleted']);
    for (const f of [volumeFile(vol), snapshotFile(a), snapshotFile(b)]) expect(fs.existsSync(f), f).to.equal(false);
    const rows = await s.services.store.db.selectFrom('snapshots').select(['id', 'deleted', 'status']).where('volume_id', '=', vol).execute();
    expect(rows.every((r) => r.deleted === 1 && r.status === 'deleted')).to.equal(true);
  });
});

describe('snapshot operations: failures and re-runs', () => {
  async function idle(overrides: Record<string, unknown> = {}): Promise<TestServer> {
    const s = await startServer({ worker: { max_attempts: 1 }, ...overrides }, { worker: false });
    fs.mkdirSync(s.config.backend.path, { recursive: true });
    return s;
  }

  async function status(s: TestServer, kind: 'volumes' | 'snapshots', id: string): Promise<string | number> {
    const r = await s.request('GET', `/v3/${kind}/${id}`);
    return r.status === 200 ? r.body[kind === 'volumes' ? 'volume' : 'snapshot'].status : r.status;
  }

  async function available(s: TestServer): Promise<{ vol: string; snap: string }> {
    const v = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
    await s.worker.drain();
    const sn = await s.request('POST', '/v3/snapshots', { body: { snapshot: { volume_id: v.body.volume.id } } });
    await s.worker.drain();
    expect(await status(s, 'snapshots', sn.body.snapshot.id)).to.equal('available');
    return { vol: v.body.volume.id, snap: sn.body.snapshot.id };
  }

  it('create fails → error (quota kept until deleted), with a user message; deleting it gives the quota back', async () => {
    const s = await idle();
    try {
      const v = await s.request('POST', '/v3/volumes', { body: { volume: { size: 2 } } });
      await s.worker.drain();
      fs.rmSync(path.join(s.config.backend.path, `volume-${v.body.volume.id}`));
      const sn = await s.request('POST', '/v3/snapshots', { body: { snapshot: { volume_id: v.body.volume.id } } });
      await s.worker.drain();
      expect(await status(s, 'snapshots', sn.body.snapshot.id)).to.equal('error');
      const op = await s.services.store.db.selectFrom('operations').selectAll().where('kind', '=', 'create_snapshot').executeTakeFirstOrThrow();
      expect(op.state).to.equal('failed');
      const messages = await s.services.store.db.selectFrom('messages').selectAll().where('resource_uuid', '=', sn.body.snapshot.id).execute();
      expect(messages).to.have.length(1);
      expect(messages[0].resource_type).to.equal('VOLUME_SNAPSHOT');
      expect(messages[0].event_id).to.match(/^VOLUME_VOLUME_SNAPSHOT_009_/);
      expect((await s.request('GET', '/v3/limits')).body.limits.absolute).to.include({ totalSnapshotsUsed: 1, totalGigabytesUsed: 4 });
      expect((await s.request('DELETE', `/v3/snapshots/${sn.body.snapshot.id}`)).status).to.equal(202);
      await s.worker.drain();
      expect(await status(s, 'snapshots', sn.body.snapshot.id)).to.equal(404);
      expect((await s.request('GET', '/v3/limits')).body.limits.absolute).to.include({ totalSnapshotsUsed: 0, totalGigabytesUsed: 2 });
    } finally {
      await s.close();
    }
  });

  it('delete fails → error_deleting (row and quota kept); a cascade that fails leaves volume and snapshots in error_deleting', async () => {
    const s = await idle();
    try {
      const { vol, snap } = await available(s);
      const sf = path.join(s.config.backend.path, `snapshot-${snap}`);
      // A non-empty directory where the file was: rm --force cannot remove it.
      fs.rmSync(sf);
      fs.mkdirSync(sf);
      fs.writeFileSync(path.join(sf, 'x'), 'x');
      expect((await s.request('DELETE', `/v3/snapshots/${snap}`)).status).to.equal(202);
      await s.worker.drain();
      expect(await status(s, 'snapshots', snap)).to.equal('error_deleting');
      expect((await s.request('GET', '/v3/limits')).body.limits.absolute.totalSnapshotsUsed).to.equal(1);
      // cascade: error_deleting is not deletable without force
      expect((await s.request('DELETE', `/v3/volumes/${vol}?cascade=true`)).status).to.equal(400);
      expect((await s.request('DELETE', `/v3/volumes/${vol}?cascade=true&force=true`, { mv: '3.23' })).status).to.equal(202);
      expect(await status(s, 'snapshots', snap)).to.equal('deleting');
      await s.worker.drain();
      expect(await status(s, 'volumes', vol)).to.equal('error_deleting');
      expect(await status(s, 'snapshots', snap)).to.equal('error_deleting');
      // fixed by hand: the retry removes both
      fs.rmSync(sf, { recursive: true });
      await s.request('POST', `/v3/snapshots/${snap}/action`, { body: { 'os-reset_status': { status: 'error' } } });
      expect((await s.request('DELETE', `/v3/volumes/${vol}?cascade=true&force=true`, { mv: '3.23' })).status).to.equal(202);
      await s.worker.drain();
      expect(await status(s, 'volumes', vol)).to.equal(404);
      expect(await status(s, 'snapshots', snap)).to.equal(404);
      expect((await s.request('GET', '/v3/limits')).body.limits.absolute).to.include({ totalSnapshotsUsed: 0, totalVolumesUsed: 0, totalGigabytesUsed: 0 });
    } finally {
      await s.close();
    }
  });

  it('revert fails → volume error, snapshot available again', async () => {
    const s = await idle();
    try {
      const { vol, snap } = await available(s);
      fs.rmSync(path.join(s.config.backend.path, `snapshot-${snap}`));
      await s.services.snapshots.revertVolume(ctx, vol, snap);
      await s.worker.drain();
      expect(await status(s, 'volumes', vol)).to.equal('error');
      expect(await status(s, 'snapshots', snap)).to.equal('available');
      const op = await s.services.store.db.selectFrom('operations').selectAll().where('kind', '=', 'revert_volume').executeTakeFirstOrThrow();
      expect(op.state).to.equal('failed');
    } finally {
      await s.close();
    }
  });

  it('create from a snapshot whose file is gone → the new volume goes to error', async () => {
    const s = await idle();
    try {
      const { snap } = await available(s);
      fs.rmSync(path.join(s.config.backend.path, `snapshot-${snap}`));
      const r = await s.request('POST', '/v3/volumes', { body: { volume: { snapshot_id: snap } } });
      await s.worker.drain();
      expect(await status(s, 'volumes', r.body.volume.id)).to.equal('error');
    } finally {
      await s.close();
    }
  });

  it('operations re-run after a crash (storage work done, finish not written) end correctly, once', async () => {
    const s = await idle({ worker: { max_attempts: 3 } });
    try {
      const backend = new BackendSet(s.config).all[0];
      const opCtx: OperationContext = {
        store: s.services.store,
        backend,
        quota: s.services.quota,
        log: createLogger('volume-worker', 'fatal'),
        owner: `${os.hostname()}/0/test`,
        now: () => nowIso(),
        host: 'test@file#file',
        poolCapabilities: async () => ({}),
      };
      const v = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
      await s.worker.drain();
      const vf = path.join(s.config.backend.path, `volume-${v.body.volume.id}`);
      writePattern(vf, 3);
      const sn = await s.request('POST', '/v3/snapshots', { body: { snapshot: { volume_id: v.body.volume.id } } });
      const opOf = (kind: string) =>
        s.services.store.db.selectFrom('operations').selectAll().where('kind', '=', kind).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
      // "crash": the copy was made, the worker died before finishing; the next worker runs it again
      await OPERATION_HANDLERS.create_snapshot.execute(opCtx, await opOf('create_snapshot'));
      await s.worker.drain();
      expect(await status(s, 'snapshots', sn.body.snapshot.id)).to.equal('available');
      expectPattern(path.join(s.config.backend.path, `snapshot-${sn.body.snapshot.id}`), 3);
      expect((await s.request('GET', '/v3/limits')).body.limits.absolute.totalSnapshotsUsed).to.equal(1);
      // revert twice
      writePattern(vf, 4);
      await s.services.snapshots.revertVolume(ctx, v.body.volume.id, sn.body.snapshot.id);
      await OPERATION_HANDLERS.revert_volume.execute(opCtx, await opOf('revert_volume'));
      await s.worker.drain();
      expectPattern(vf, 3);
      expect(await status(s, 'volumes', v.body.volume.id)).to.equal('available');
      // delete: the file is already gone when the worker runs it again; quota released once
      expect((await s.request('DELETE', `/v3/snapshots/${sn.body.snapshot.id}`)).status).to.equal(202);
      await OPERATION_HANDLERS.delete_snapshot.execute(opCtx, await opOf('delete_snapshot'));
      await s.worker.drain();
      expect(await status(s, 'snapshots', sn.body.snapshot.id)).to.equal(404);
      expect((await s.request('GET', '/v3/limits')).body.limits.absolute).to.include({ totalSnapshotsUsed: 0, totalGigabytesUsed: 1 });
      expect(fs.readdirSync(s.config.backend.path).sort()).to.deep.equal([`volume-${v.body.volume.id}`]);
    } finally {
      await s.close();
    }
  });

  it('a snapshot force-deleted while its copy runs leaves no file behind', async () => {
    const s = await idle();
    try {
      const v = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
      await s.worker.drain();
      const sn = await s.request('POST', '/v3/snapshots', { body: { snapshot: { volume_id: v.body.volume.id } } });
      const id = sn.body.snapshot.id;
      const handler = OPERATION_HANDLERS.create_snapshot;
      const original = handler.execute;
      // While the copy runs, the snapshot is force-deleted and that delete completes first.
      handler.execute = async (c, op) => {
        const result = await original.call(handler, c, op);
        await s.request('POST', `/v3/snapshots/${id}/action`, { body: { 'os-force_delete': {} } });
        await s.services.store.db.updateTable('snapshots').set({ deleted: 1, status: 'deleted' }).where('id', '=', id).execute();
        return result;
      };
      try {
        await s.worker.drain();
      } finally {
        handler.execute = original;
      }
      expect(fs.existsSync(path.join(s.config.backend.path, `snapshot-${id}`))).to.equal(false);
    } finally {
      await s.close();
    }
  });
});
