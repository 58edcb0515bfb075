/*
 * The volume worker: wake-up, leases, crash recovery, failure after the last attempt, and exactly-once
 * claiming when several workers race.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startServer, type TestServer } from '../lib/server';
import { buildWorker } from '../../src/bootstrap';
import { createLogger } from '../../src/log';
import { nowIso } from '../../src/db/time';

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid!;
}

async function operations(s: TestServer) {
  return s.services.store.db.selectFrom('operations').selectAll().orderBy('created_at').execute();
}

describe('volume worker', () => {
  it('is woken by a new operation at once, not by its poll', async () => {
    const s = await startServer({ worker: { poll_interval_ms: 600000 } });
    try {
      const r = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
      await s.waitForVolume(r.body.volume.id, ['available'], 5000);
    } finally {
      await s.close();
    }
  });

  it('resumes an operation whose worker died on this host (dead pid), without waiting for the lease', async () => {
    const s = await startServer({}, { worker: false });
    try {
      const r = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
      const [op] = await operations(s);
      const far = nowIso(new Date(Date.now() + 3600_000));
      await s.services.store.db
        .updateTable('operations')
        .set({ state: 'running', owner: `${os.hostname()}/${deadPid()}/dead`, lease_expires_at: far, attempts: 1 })
        .where('id', '=', op.id)
        .execute();
      await s.worker.start();
      const shown = await s.waitForVolume(r.body.volume.id, ['available']);
      expect(shown.body.volume.status).to.equal('available');
      const [done] = await operations(s);
      // The dead worker's run is an interruption, not an attempt (issue 19).
      expect(done).to.include({ state: 'succeeded', attempts: 1, interruptions: 1 });
      expect(fs.existsSync(path.join(s.config.backend.path, `volume-${r.body.volume.id}`))).to.equal(true);
    } finally {
      await s.close();
    }
  });

  it('takes over an expired lease of another host, and leaves a live one alone', async () => {
    const s = await startServer({}, { worker: false });
    try {
      const a = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, name: 'expired' } } });
      const b = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, name: 'live' } } });
      const ops = await operations(s);
      const opOf = (id: string) => ops.find((o) => o.resource_id === id)!;
      await s.services.store.db
        .updateTable('operations')
        .set({ state: 'running', owner: 'other-host/1/x', lease_expires_at: nowIso(new Date(Date.now() - 1000)), attempts: 1 })
        .where('id', '=', opOf(a.body.volume.id).id)
        .execute();
      await s.services.store.db
        .updateTable('operations')
        .set({ state: 'running', owner: 'other-host/1/y', lease_expires_at: nowIso(new Date(Date.now() + 3600_000)), attempts: 1 })
        .where('id', '=', opOf(b.body.volume.id).id)
        .execute();
      fs.mkdirSync(s.config.backend.path, { recursive: true });
      expect(await s.worker.drain()).to.equal(1);
      expect((await s.request('GET', `/v3/volumes/${a.body.volume.id}`)).body.volume.status).to.equal('available');
      expect((await s.request('GET', `/v3/volumes/${b.body.volume.id}`)).body.volume.status).to.equal('creating');
    } finally {
      await s.close();
    }
  });

  it('sets the volume to error after the last failed attempt; such a volume deletes at once', async () => {
    const s = await startServer({ worker: { max_attempts: 1 } }, { worker: false });
    try {
      await s.worker.start();
      // The backend directory becomes a plain file: every create fails with ENOTDIR.
      fs.rmSync(s.config.backend.path, { recursive: true });
      fs.writeFileSync(s.config.backend.path, 'not a directory');
      const r = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
      await s.waitForVolume(r.body.volume.id, ['error']);
      const [op] = await operations(s);
      expect(op.state).to.equal('failed');
      expect(op.error).to.match(/ENOTDIR|not a directory/);
      const limitsBefore = (await s.request('GET', '/v3/limits')).body.limits.absolute;
      expect(limitsBefore.totalVolumesUsed).to.equal(1);
      expect((await s.request('DELETE', `/v3/volumes/${r.body.volume.id}`)).status).to.equal(202);
      expect((await s.request('GET', `/v3/volumes/${r.body.volume.id}`)).status).to.equal(404);
      expect((await s.request('GET', '/v3/limits')).body.limits.absolute.totalVolumesUsed).to.equal(0);
    } finally {
      fs.rmSync(s.config.backend.path, { force: true });
      await s.close();
    }
  });

  it('runs each operation exactly once when two workers race for the queue', async () => {
    const s = await startServer({ quota: { volumes: 100 } }, { worker: false });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) ids.push((await s.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } })).body.volume.id);
      const log = createLogger('volume-worker', 'fatal');
      const other = buildWorker(s.services, log);
      // Neither loop is started: drain() alone claims, so the two race on every row.
      fs.mkdirSync(s.config.backend.path, { recursive: true });
      const [n1, n2] = await Promise.all([s.worker.drain(), other.drain()]);
      expect(n1 + n2).to.equal(20);
      const ops = await operations(s);
      expect(ops.every((o) => o.state === 'succeeded' && o.attempts === 1)).to.equal(true);
      for (const id of ids) expect((await s.request('GET', `/v3/volumes/${id}`)).body.volume.status).to.equal('available');
    } finally {
      await s.close();
    }
  });
});
