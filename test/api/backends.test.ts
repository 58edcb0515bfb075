/*
 * Several backends on one host (issue 16): one pool per backend, placement by volume_backend_name and
 * by free space, migration between the backends (os-migrate_volume, retype --migration-policy
 * on-demand) with the data checked, and the refusals.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sameData } from '../../src/worker/operations/migrate-volume';
import { expectFault, startServer, type TestServer } from '../lib/server';

const HOST = os.hostname();
const pool = (name: string) => `${HOST}@${name}#${name}`;
const TWO = { enabled_backends: ['file-1', 'file-2'] };

function fileOf(s: TestServer, backend: string, volumeId: string): string {
  return path.join(s.dataDir, 'backends', backend, `volume-${volumeId}`);
}

function writePattern(file: string, seed: number): void {
  const fd = fs.openSync(file, 'r+');
  try {
    for (let i = 0; i < 8; i++) fs.writeSync(fd, Buffer.alloc(64 * 1024, seed + i), 0, 64 * 1024, i * 64 * 1024 * 1024);
  } finally {
    fs.closeSync(fd);
  }
}

/** A sparse copy of a volume file as it is now, to compare with later (volume files are GiBs: compared, not hashed). */
function keepCopy(s: TestServer, file: string): string {
  const copy = path.join(s.dataDir, `before-${path.basename(file)}`);
  execFileSync('cp', ['--sparse=always', '--', file, copy]);
  return copy;
}

async function expectSameData(a: string, b: string): Promise<void> {
  expect(await sameData(a, b), `${a} and ${b} differ`).to.equal(true);
}

async function withServer(overrides: Record<string, unknown>, body: (s: TestServer) => Promise<void>): Promise<void> {
  const s = await startServer(overrides);
  try {
    await body(s);
  } finally {
    await s.close();
  }
}

async function typeFor(s: TestServer, name: string, extraSpecs: Record<string, string>): Promise<string> {
  const r = await s.request('POST', '/v3/types', { body: { volume_type: { name, extra_specs: extraSpecs } } });
  expect(r.status, r.text).to.equal(200);
  return r.body.volume_type.id as string;
}

async function createVolume(s: TestServer, volume: Record<string, unknown>): Promise<any> {
  const r = await s.request('POST', '/v3/volumes', { body: { volume } });
  expect(r.status, r.text).to.equal(202);
  return (await s.waitForVolume(r.body.volume.id, ['available', 'error'])).body.volume;
}

async function waitForMigration(s: TestServer, id: string, statuses: string[]): Promise<any> {
  const deadline = Date.now() + 40000;
  for (;;) {
    const v = (await s.request('GET', `/v3/volumes/${id}`)).body.volume;
    if (statuses.includes(v.migration_status) && !['retyping', 'maintenance'].includes(v.status)) return v;
    if (Date.now() > deadline) throw new Error(`migration of ${id} did not reach ${statuses.join('|')}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('API: several backends on one host (enabled_backends)', function () {
  // Migrations copy and compare GiB volumes: seconds each, more on a loaded CI machine.
  this.timeout(60_000);
  it('runs one cinder-volume service and one pool per backend, each with its own directory', async () => {
    await withServer(TWO, async (s) => {
      const services = (await s.request('GET', '/v3/os-services?binary=cinder-volume')).body.services;
      expect(services.map((x: { host: string }) => x.host).sort()).to.deep.equal([`${HOST}@file-1`, `${HOST}@file-2`]);
      const pools = (await s.request('GET', '/v3/scheduler-stats/get_pools?detail=True')).body.pools;
      expect(pools.map((p: { name: string }) => p.name).sort()).to.deep.equal([pool('file-1'), pool('file-2')]);
      for (const p of pools) expect(p.capabilities.volume_backend_name).to.equal(p.name.split('#')[1]);
      for (const b of ['file-1', 'file-2']) expect(fs.statSync(path.join(s.dataDir, 'backends', b)).isDirectory()).to.equal(true);
    });
  });

  it('places a type pinned with volume_backend_name (or capabilities:volume_backend_name) on that backend', async () => {
    await withServer(TWO, async (s) => {
      await typeFor(s, 'on-2', { volume_backend_name: 'file-2' });
      await typeFor(s, 'on-1', { 'capabilities:volume_backend_name': 'file-1' });
      for (const [type, backend] of [
        ['on-2', 'file-2'],
        ['on-1', 'file-1'],
        ['on-2', 'file-2'],
      ]) {
        const v = await createVolume(s, { size: 1, volume_type: type });
        expect(v).to.include({ status: 'available', 'os-vol-host-attr:host': pool(backend) });
        expect(fs.existsSync(fileOf(s, backend, v.id))).to.equal(true);
      }
      await typeFor(s, 'on-none', { volume_backend_name: 'file-9' });
      expect(await createVolume(s, { size: 1, volume_type: 'on-none' })).to.include({ status: 'error' });
    });
  });

  it('weighs by free space: a new volume goes where most is free, and to the other backend when one is full', async () => {
    await withServer({ ...TWO, backends: { 'file-1': { capacity_gb: 3 }, 'file-2': { capacity_gb: 2 } } }, async (s) => {
      const first = await createVolume(s, { size: 2 });
      expect(first['os-vol-host-attr:host']).to.equal(pool('file-1'));
      // Once file-1's heartbeat says it has 1 GB left, the next 2 GB go to file-2.
      await s.worker.beatNow();
      const second = await createVolume(s, { size: 2 });
      expect(second['os-vol-host-attr:host']).to.equal(pool('file-2'));
      await s.worker.beatNow();
      const third = await createVolume(s, { size: 1 });
      expect(third['os-vol-host-attr:host']).to.equal(pool('file-1'));
      await s.worker.beatNow();
      const full = await createVolume(s, { size: 1 });
      expect(full).to.include({ status: 'error' });
      const messages = (await s.request('GET', '/v3/messages', { mv: '3.3' })).body.messages;
      expect(messages.find((m: { resource_uuid: string }) => m.resource_uuid === full.id).user_message).to.include(
        'Could not find any available weighted backend',
      );
    });
  });

  it('migrates a volume to the other backend: same id, same data, source removed, migration_status success', async () => {
    await withServer(TWO, async (s) => {
      await typeFor(s, 'on-1', { volume_backend_name: 'file-1' });
      const v = await createVolume(s, { size: 1, volume_type: 'on-1', name: 'moving' });
      writePattern(fileOf(s, 'file-1', v.id), 7);
      const before = keepCopy(s, fileOf(s, 'file-1', v.id));
      const r = await s.request('POST', `/v3/volumes/${v.id}/action`, { body: { 'os-migrate_volume': { host: `${HOST}@file-2`, lock_volume: true } } });
      expect(r.status, r.text).to.equal(202);
      const moved = await waitForMigration(s, v.id, ['success', 'error']);
      expect(moved).to.include({ id: v.id, status: 'available', migration_status: 'success', 'os-vol-host-attr:host': pool('file-2'), name: 'moving' });
      await expectSameData(fileOf(s, 'file-2', v.id), before);
      await s.worker.drain();
      expect(fs.existsSync(fileOf(s, 'file-1', v.id))).to.equal(false);
      // The volume works where it is now: extend and delete run on file-2.
      expect((await s.request('POST', `/v3/volumes/${v.id}/action`, { body: { 'os-extend': { new_size: 2 } } })).status).to.equal(202);
      await s.waitForVolume(v.id, ['available']);
      expect(fs.statSync(fileOf(s, 'file-2', v.id)).size).to.equal(2 * 1024 ** 3);
    });
  });

  it('retypes with migration_policy on-demand to a type only the other backend serves; never refuses and keeps the volume', async () => {
    await withServer(TWO, async (s) => {
      await typeFor(s, 'on-1', { volume_backend_name: 'file-1' });
      await typeFor(s, 'on-2', { volume_backend_name: 'file-2' });
      const v = await createVolume(s, { size: 1, volume_type: 'on-1' });
      writePattern(fileOf(s, 'file-1', v.id), 3);
      const before = keepCopy(s, fileOf(s, 'file-1', v.id));

      expect(
        (await s.request('POST', `/v3/volumes/${v.id}/action`, { body: { 'os-retype': { new_type: 'on-2', migration_policy: 'never' } } })).status,
      ).to.equal(202);
      const kept = (await s.waitForVolume(v.id, ['available'])).body.volume;
      await s.worker.drain();
      expect((await s.request('GET', `/v3/volumes/${v.id}`)).body.volume).to.include({ volume_type: 'on-1', 'os-vol-host-attr:host': pool('file-1') });
      expect(kept.migration_status).to.equal(null);

      expect(
        (await s.request('POST', `/v3/volumes/${v.id}/action`, { body: { 'os-retype': { new_type: 'on-2', migration_policy: 'on-demand' } } })).status,
      ).to.equal(202);
      const moved = await waitForMigration(s, v.id, ['success', 'error']);
      expect(moved).to.include({ status: 'available', volume_type: 'on-2', migration_status: 'success', 'os-vol-host-attr:host': pool('file-2') });
      await expectSameData(fileOf(s, 'file-2', v.id), before);
      const quota = (await s.request('GET', `/v3/os-quota-sets/${s.projectId}?usage=True`)).body.quota_set;
      expect(quota['volumes_on-1']).to.deep.include({ in_use: 0 });
      expect(quota['volumes_on-2']).to.deep.include({ in_use: 1 });
    });
  });

  it('leaves the volume on its source, usable and unchanged, when the copy fails (no room on the destination)', async () => {
    await withServer({ ...TWO, backends: { 'file-2': { capacity_gb: 1 } }, worker: { max_attempts: 2 } }, async (s) => {
      // file-2 holds 1 GB, taken by a first volume: no room for a second.
      await typeFor(s, 'on-2', { volume_backend_name: 'file-2' });
      expect((await createVolume(s, { size: 1, volume_type: 'on-2' }))['os-vol-host-attr:host']).to.equal(pool('file-2'));
      await s.worker.beatNow();
      const v = await createVolume(s, { size: 1, volume_type: undefined });
      expect(v['os-vol-host-attr:host']).to.equal(pool('file-1'));
      writePattern(fileOf(s, 'file-1', v.id), 5);
      const before = keepCopy(s, fileOf(s, 'file-1', v.id));
      await s.worker.stop();
      expect((await s.request('POST', `/v3/volumes/${v.id}/action`, { body: { 'os-migrate_volume': { host: pool('file-2') } } })).status).to.equal(202);
      // The copy fails for space, the migration ends in error, nothing moved.
      await s.worker.drain();
      const after = (await s.request('GET', `/v3/volumes/${v.id}`)).body.volume;
      expect(after).to.include({ status: 'available', migration_status: 'error', 'os-vol-host-attr:host': pool('file-1') });
      await expectSameData(fileOf(s, 'file-1', v.id), before);
      expect(fs.existsSync(fileOf(s, 'file-2', v.id))).to.equal(false);
    });
  });

  it('refuses a migration to the same pool, to an unknown host, of a volume with snapshots, and from a non-admin', async () => {
    await withServer(TWO, async (s) => {
      const v = await createVolume(s, { size: 1 });
      const own = v['os-vol-host-attr:host'];
      const migrate = (body: unknown, token?: string) => s.request('POST', `/v3/volumes/${v.id}/action`, { body: { 'os-migrate_volume': body }, token });
      const reason = `Volume ${v.id} status must be available or in-use, must not be migrating, have snapshots, be replicated, be part of a group and destination host/cluster must be different than the current one`;
      expectFault(await migrate({ host: own }), 400, `Invalid volume: ${reason}`);
      expectFault(await migrate({ host: 'nowhere@file-1' }), 400, "Invalid host: No available service named 'nowhere@file-1'");
      expectFault(await migrate({}), 400, "Invalid input for field/attribute os-migrate_volume. Value: {}. 'host' is a required property");
      const other = own === pool('file-1') ? pool('file-2') : pool('file-1');
      const snap = await s.request('POST', '/v3/snapshots', { body: { snapshot: { volume_id: v.id } } });
      expect(snap.status).to.equal(202);
      await s.worker.drain();
      expectFault(await migrate({ host: other }), 400, `Invalid volume: ${reason}`);
      expect((await s.request('GET', `/v3/volumes/${v.id}`)).body.volume).to.include({ migration_status: null, 'os-vol-host-attr:host': own });
    });
  });
});
