/*
 * Issue 19: a full disk, on a small tmpfs this test mounts (root only; skipped otherwise) as the data dir
 * (the SQLite store and backup storage; the volume files live elsewhere, so the backend's capacity check
 * passes). A backup that runs out of space ends in `error` telling the user the backend is out of space,
 * and its partial data is gone; API writes on a full disk get a 503 that says the storage is full, never
 * a 500; storageSpace() says full while it is; freeing space brings everything back. On PostgreSQL
 * (VOLUME_API_TEST_ENGINE=postgres) a table moved to a tablespace on a second tiny tmpfs fills up.
 */
import { expect } from 'chai';
import { Client } from 'pg';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { STORAGE_FULL_MESSAGE } from '../../src/errors';
import { storageSpace } from '../../src/services/storage-space';
import { expectFault, startServer, TEST_ENGINE, tmpDir, type Reply, type TestServer } from '../lib/server';

const TMPFS_SIZE_MB = 24;

describe('API: a full disk (issue 19)', function () {
  this.timeout(30000);
  let mountPoint: string | undefined;
  let s: TestServer;

  before(async function () {
    const dir = tmpDir('volume-api-full-');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE_MB}m`, 'tmpfs', dir], { stdio: 'pipe' });
    } catch {
      fs.rmdirSync(dir);
      this.skip();
    }
    mountPoint = dir;
    s = await startServer({
      data_dir: path.join(dir, 'data'),
      backend: { path: tmpDir('volume-api-full-backend-') },
      backup: { chunk_size_mb: 4 },
      quota: { volumes: 100 },
    });
  });
  after(async () => {
    await s?.close();
    if (mountPoint) {
      execFileSync('umount', [mountPoint]);
      fs.rmdirSync(mountPoint);
    }
  });

  async function waitFor(kind: 'volumes' | 'backups', id: string, statuses: string[]): Promise<Reply> {
    const one = kind.slice(0, -1);
    const deadline = Date.now() + 20000;
    for (;;) {
      const r = await s.request('GET', `/v3/${kind}/${id}`);
      if (statuses.includes(r.body?.[one]?.status)) return r;
      if (Date.now() > deadline) throw new Error(`${one} ${id} never reached ${statuses.join('|')}: ${r.text}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  /** The first refused volume create: the WAL or the table's last pages may hold room for a few writes. */
  async function writeUntilRefused(metadata: Record<string, string>): Promise<Reply> {
    for (let i = 0; i < 50; i++) {
      const r = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, metadata } } });
      if (r.status !== 202) return r;
    }
    throw new Error('50 writes on a full disk all succeeded');
  }

  it('a backup larger than the free space ends in error: the backend is out of space', async () => {
    const v = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
    const volumeId = v.body.volume.id;
    await s.waitForVolume(volumeId, ['available']);
    // Data that does not compress, more than the tmpfs holds.
    const fd = fs.openSync(path.join(s.config.backend.path, `volume-${volumeId}`), 'r+');
    for (let i = 0; i < (TMPFS_SIZE_MB + 8) / 4; i++) fs.writeSync(fd, randomBytes(4 * 1024 * 1024), 0, 4 * 1024 * 1024, i * 4 * 1024 * 1024);
    fs.closeSync(fd);
    const b = await s.request('POST', '/v3/backups', { body: { backup: { volume_id: volumeId } } });
    expect(b.status, b.text).to.equal(202);
    const failed = await waitFor('backups', b.body.backup.id, ['error', 'available']);
    expect(failed.body.backup).to.include({ status: 'error', fail_reason: 'The storage backend is out of space.' });
    await waitFor('volumes', volumeId, ['available']);
    const messages = await s.request('GET', '/v3/messages', { mv: '3.3' });
    expect(messages.body.messages.map((m: { user_message: string }) => m.user_message)).to.include('create backup:The storage backend is out of space.');
    // The partial chunks were removed: the space is back.
    expect((await storageSpace(s.services.store, s.config)).full).to.equal(false);
  });

  it('API writes on a full disk get 503 "storage is full"; freeing space brings them back', async function () {
    if (TEST_ENGINE !== 'sqlite') this.skip();
    const filler = path.join(mountPoint!, 'filler');
    const fd = fs.openSync(filler, 'w');
    try {
      for (;;) fs.writeSync(fd, Buffer.alloc(256 * 1024));
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).to.equal('ENOSPC');
    } finally {
      fs.closeSync(fd);
    }
    expect((await storageSpace(s.services.store, s.config)).full).to.equal(true);
    const health = await s.request('GET', '/healthcheck');
    expect(health.status).to.equal(503);
    expect(health.text).to.include('STORAGE FULL');
    const metadata = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`key-${i}`, 'v'.repeat(20)]));
    expectFault(await writeUntilRefused(metadata), 503, STORAGE_FULL_MESSAGE);
    expect(s.services.store.outOfSpaceSince).to.be.a('number');
    fs.rmSync(filler);
    const ok = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, metadata } } });
    expect(ok.status, ok.text).to.equal(202);
    expect((await storageSpace(s.services.store, s.config)).full).to.equal(false);
    expect((await s.request('GET', '/healthcheck')).text).to.not.include('STORAGE FULL');
  });

  it('PostgreSQL: a full tablespace (53100) gets 503 "storage is full"; more space brings writes back', async function () {
    if (TEST_ENGINE !== 'postgres') this.skip();
    // volume_metadata moves to a tablespace on a second, tiny tmpfs owned by the server's user.
    const dir = tmpDir('volume-api-full-pg-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir]);
    execFileSync('chown', ['postgres:postgres', dir]);
    const admin = new Client({ connectionString: s.config.database_url });
    await admin.connect();
    const space = `full_${randomBytes(4).toString('hex')}`;
    try {
      await admin.query(`create tablespace ${space} location '${dir}'`);
      await admin.query(`alter table volume_metadata set tablespace ${space}`);
      const v = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
      // The failed insert leaves the table's file as large as the disk allowed.
      const fill = await admin
        .query(`insert into volume_metadata (volume_id, key, value, position) select $1, 'f' || g, repeat('x', 200), g from generate_series(1, 100000) g`, [
          v.body.volume.id,
        ])
        .catch((err: { code?: string }) => err);
      expect((fill as { code?: string }).code).to.equal('53100');
      const metadata = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`key-${i}`, 'v'.repeat(100)]));
      expectFault(await writeUntilRefused(metadata), 503, STORAGE_FULL_MESSAGE);
      expect((await storageSpace(s.services.store, s.config)).full_at).to.deep.equal(['database']);
      execFileSync('mount', ['-o', 'remount,size=32m', dir]);
      const ok = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, metadata } } });
      expect(ok.status, ok.text).to.equal(202);
      expect((await storageSpace(s.services.store, s.config)).full).to.equal(false);
    } finally {
      await admin.query('alter table volume_metadata set tablespace pg_default').catch(() => undefined);
      await admin.query(`drop tablespace if exists ${space}`).catch(() => undefined);
      await admin.end();
      execFileSync('umount', [dir]);
      fs.rmdirSync(dir);
    }
  });
});
