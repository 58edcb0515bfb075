/*
 * Backup data through the posix backup driver: a pattern is backed up, part of it changed, an incremental
 * backup stores only the changed chunks, and restoring each backup into a new volume gives back exactly
 * the data of its time (byte for byte, `cmp`); a mostly empty 1 GiB volume's backup takes little space
 * (`du`); a flipped byte in a stored chunk makes the restore fail cleanly (volume error_restoring, backup
 * available again, a user message, no partial file, the target's old data untouched).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, type Reply, type TestServer } from '../lib/server';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const OFFSETS = [0, MiB + 7, 512 * MiB - 100, GiB - 4096];

function pattern(offset: number, seed = 0, length = 4096): Buffer {
  const buf = Buffer.alloc(length);
  for (let i = 0; i < length; i++) buf[i] = (offset + i * 31 + seed) % 251;
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

function sameBytes(a: string, b: string): boolean {
  return spawnSync('cmp', ['--silent', a, b]).status === 0;
}

function duKiB(dir: string): number {
  return Number(spawnSync('du', ['-sk', dir], { encoding: 'utf8' }).stdout.split('\t')[0]);
}

describe('API: backup data (posix backup driver)', function () {
  this.timeout(180000);
  let s: TestServer;
  const volumeFile = (id: string) => path.join(s.config.backend.path, `volume-${id}`);
  const backupDir = (id: string) => path.join(s.dataDir, 'backups', id);

  before(async () => {
    s = await startServer({ quota: { volumes: 50, gigabytes: 1000, backups: 50, backup_gigabytes: 1000 }, backup: { chunk_size_mb: 1 } });
  });
  after(async () => {
    await s.close();
  });

  async function waitFor(kind: 'volumes' | 'backups', id: string, statuses: string[]): Promise<Reply> {
    const deadline = Date.now() + 60000;
    const key = kind === 'volumes' ? 'volume' : 'backup';
    for (;;) {
      const r = await s.request('GET', `/v3/${kind}/${id}`);
      if (r.status === 200 && statuses.includes(r.body[key].status)) return r;
      if (Date.now() > deadline) throw new Error(`${kind} ${id} did not reach ${statuses.join('|')}: ${r.text}`);
      await new Promise((res) => setTimeout(res, 25));
    }
  }

  async function volume(size = 1): Promise<string> {
    const r = await s.request('POST', '/v3/volumes', { body: { volume: { size } } });
    expect(r.status, r.text).to.equal(202);
    await waitFor('volumes', r.body.volume.id, ['available']);
    return r.body.volume.id;
  }

  async function backup(volumeId: string, incremental = false): Promise<string> {
    const r = await s.request('POST', '/v3/backups', { body: { backup: { volume_id: volumeId, incremental } } });
    expect(r.status, r.text).to.equal(202);
    await waitFor('backups', r.body.backup.id, ['available']);
    await waitFor('volumes', volumeId, ['available']);
    return r.body.backup.id;
  }

  async function restoreNew(backupId: string, expectStatus = 'available'): Promise<string> {
    const r = await s.request('POST', `/v3/backups/${backupId}/restore`, { body: { restore: { name: 'restored' } } });
    expect(r.status, r.text).to.equal(202);
    await waitFor('volumes', r.body.restore.volume_id, [expectStatus]);
    await waitFor('backups', backupId, ['available']);
    return r.body.restore.volume_id;
  }

  it('full and incremental backups restore byte for byte; the incremental stores only changed chunks', async () => {
    const vol = await volume();
    writeAt(
      volumeFile(vol),
      OFFSETS.map((o) => [o, pattern(o)]),
    );
    const copy1 = path.join(s.dataDir, 'expected-1');
    fs.copyFileSync(volumeFile(vol), copy1);
    const full = await backup(vol);
    const fullChunks = fs.readdirSync(path.join(backupDir(full), 'chunks'));
    // Four offsets, one crossing a chunk boundary: 5 non-zero chunks of 1 MiB stored, nothing else.
    expect(fullChunks).to.have.length(5);

    // Change one region (and add one): only those chunks are new.
    writeAt(volumeFile(vol), [
      [512 * MiB - 100, pattern(0, 7)],
      [700 * MiB, pattern(1, 9, 10000)],
    ]);
    const copy2 = path.join(s.dataDir, 'expected-2');
    fs.copyFileSync(volumeFile(vol), copy2);
    const incr = await backup(vol, true);
    const incrChunks = fs.readdirSync(path.join(backupDir(incr), 'chunks'));
    expect(incrChunks.length).to.be.within(2, 3);
    const meta = JSON.parse(fs.readFileSync(path.join(backupDir(incr), 'metadata.json'), 'utf8'));
    expect(meta.parent_id).to.equal(full);
    expect(meta.chunks.filter((c: { stored_in?: string }) => c.stored_in === full).length).to.be.greaterThan(0);
    expect((await s.request('GET', `/v3/backups/${incr}`)).body.backup.is_incremental).to.equal(true);

    const fromFull = await restoreNew(full);
    const fromIncr = await restoreNew(incr);
    expect(sameBytes(volumeFile(fromFull), copy1), 'full restore equals the data at the full backup').to.equal(true);
    expect(sameBytes(volumeFile(fromIncr), copy2), 'incremental restore equals the data at the incremental backup').to.equal(true);

    // Restore into an existing (larger) volume, and a volume created from the backup.
    const target = await volume(2);
    writeAt(volumeFile(target), [[GiB + 5, pattern(3)]]);
    const into = await s.request('POST', `/v3/backups/${incr}/restore`, { body: { restore: { volume_id: target } } });
    expect(into.status).to.equal(202);
    await waitFor('volumes', target, ['available']);
    await waitFor('backups', incr, ['available']);
    expect(fs.statSync(volumeFile(target)).size).to.equal(2 * GiB);
    const head = Buffer.alloc(GiB);
    const fd = fs.openSync(volumeFile(target), 'r');
    fs.readSync(fd, head, 0, GiB, 0);
    const tail = Buffer.alloc(4096);
    fs.readSync(fd, tail, 0, 4096, GiB + 5);
    fs.closeSync(fd);
    expect(head.equals(fs.readFileSync(copy2))).to.equal(true);
    expect(tail.equals(Buffer.alloc(4096)), 'the rest of the volume is overwritten with zeros').to.equal(true);

    const created = await s.request('POST', '/v3/volumes', { body: { volume: { backup_id: full } } });
    expect(created.status, created.text).to.equal(202);
    await waitFor('volumes', created.body.volume.id, ['available']);
    expect(sameBytes(volumeFile(created.body.volume.id), copy1)).to.equal(true);
    await waitFor('backups', full, ['available']);

    // The parent cannot go while the incremental exists; deleting both leaves no files.
    expect((await s.request('DELETE', `/v3/backups/${full}`)).status).to.equal(400);
    expect((await s.request('DELETE', `/v3/backups/${incr}`)).status).to.equal(202);
    for (let i = 0; i < 500 && (await s.request('GET', `/v3/backups/${incr}`)).status !== 404; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await s.request('DELETE', `/v3/backups/${full}`)).status).to.equal(202);
    for (let i = 0; i < 500 && (await s.request('GET', `/v3/backups/${full}`)).status !== 404; i++) await new Promise((r) => setTimeout(r, 20));
    expect(fs.existsSync(backupDir(full))).to.equal(false);
    expect(fs.existsSync(backupDir(incr))).to.equal(false);
    fs.rmSync(copy1);
    fs.rmSync(copy2);
  });

  it('a mostly empty 1 GiB volume backs up into little space (du), zero chunks are not stored', async () => {
    const vol = await volume();
    writeAt(volumeFile(vol), [[300 * MiB, pattern(5, 1, 64 * 1024)]]);
    const id = await backup(vol);
    expect(duKiB(backupDir(id)), 'KiB used by the backup').to.be.below(512);
    const meta = JSON.parse(fs.readFileSync(path.join(backupDir(id), 'metadata.json'), 'utf8'));
    expect(meta.chunks).to.have.length(1024);
    expect(meta.chunks.filter((c: { zero?: boolean }) => !c.zero)).to.have.length(1);
    expect(meta.compression).to.equal('zlib');
    const restored = await restoreNew(id);
    expect(sameBytes(volumeFile(restored), volumeFile(vol))).to.equal(true);
    // The restored volume stays sparse.
    expect(fs.statSync(volumeFile(restored)).blocks * 512).to.be.below(8 * MiB);
  });

  it('a flipped byte in a stored chunk makes the restore fail cleanly: nothing corrupt is written', async () => {
    const vol = await volume();
    writeAt(
      volumeFile(vol),
      OFFSETS.map((o) => [o, pattern(o, 2)]),
    );
    const id = await backup(vol);
    const chunkDir = path.join(backupDir(id), 'chunks');
    const victim = path.join(chunkDir, fs.readdirSync(chunkDir)[1]);
    const data = fs.readFileSync(victim);
    data[Math.floor(data.length / 2)] ^= 0xff;
    fs.writeFileSync(victim, data);

    // Into a new volume: the volume ends error_restoring, the backup available, a user message.
    const failed = await restoreNew(id, 'error_restoring');
    const messages = await s.request('GET', `/v3/messages?resource_uuid=${failed}`, { mv: '3.3' });
    expect(messages.body.messages).to.have.length(1);
    expect(messages.body.messages[0].user_message).to.match(/^restore backup:/);

    // Into an existing volume: its data is untouched.
    const target = await volume();
    writeAt(volumeFile(target), [[4096, pattern(9, 9)]]);
    const before = path.join(s.dataDir, 'target-before');
    fs.copyFileSync(volumeFile(target), before);
    const r = await s.request('POST', `/v3/backups/${id}/restore`, { body: { restore: { volume_id: target } } });
    expect(r.status).to.equal(202);
    await waitFor('volumes', target, ['error_restoring']);
    await waitFor('backups', id, ['available']);
    expect(sameBytes(volumeFile(target), before)).to.equal(true);
    fs.rmSync(before);
    expect(fs.readdirSync(s.config.backend.path).filter((n) => n.includes('.tmp-'))).to.deep.equal([]);
    const op = await s.services.store.db
      .selectFrom('operations')
      .selectAll()
      .where('resource_id', '=', target)
      .where('kind', '=', 'restore_backup')
      .executeTakeFirstOrThrow();
    expect(op.state).to.equal('failed');
    expect(op.attempts, 'a corrupt chunk is not retried').to.equal(1);
  });
});
