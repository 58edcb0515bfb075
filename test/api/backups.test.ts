/*
 * Backups through the API: every route, statuses, bodies against Cinder's samples (key sets), microversion
 * gates, quota (413 texts, usage), status rules and their messages, bad input (400, never 500), restore to
 * a new and to an existing volume (with the source volume's metadata brought back), volume create from a
 * backup, export/import of records (Cinder's record fields, shared data, older and posix-named records).
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { startServer, sample, type Reply, type TestServer } from '../lib/server';
import { createBackupDriver } from '../../src/worker/backup-drivers';
import { reconcileBackups } from '../../src/worker/reconcile-backups';

const MISSING = '00000000-0000-4000-8000-000000000000';
const sorted = (o: Record<string, unknown>) => Object.keys(o).sort();

function sampleKeys(file: string, list = false): string[] {
  const body = sample(`backups/${file}`) as Record<string, unknown>;
  const item = list ? (body.backups as Record<string, unknown>[])[0] : (body.backup as Record<string, unknown>);
  return Object.keys(item).sort();
}

describe('API: backups', () => {
  let s: TestServer;

  before(async () => {
    s = await startServer({ quota: { volumes: 100, gigabytes: 10000, backups: 100, backup_gigabytes: 10000 }, backup: { chunk_size_mb: 4 } });
  });
  after(async () => {
    await s.close();
  });

  async function waitFor(kind: 'volumes' | 'backups', id: string, statuses: string[]): Promise<Reply> {
    const deadline = Date.now() + 30000;
    const key = kind === 'volumes' ? 'volume' : 'backup';
    for (;;) {
      const r = await s.request('GET', `/v3/${kind}/${id}`);
      if (r.status === 404 && statuses.includes('deleted')) return r;
      if (r.status === 200 && statuses.includes(r.body[key].status)) return r;
      if (Date.now() > deadline) throw new Error(`${kind} ${id} did not reach ${statuses.join('|')}: ${r.text}`);
      await new Promise((res) => setTimeout(res, 20));
    }
  }

  async function volume(size = 1): Promise<string> {
    const r = await s.request('POST', '/v3/volumes', { body: { volume: { size } } });
    expect(r.status, r.text).to.equal(202);
    await waitFor('volumes', r.body.volume.id, ['available']);
    return r.body.volume.id;
  }

  async function backup(volumeId: string, extra: Record<string, unknown> = {}, mv?: string): Promise<string> {
    const r = await s.request('POST', '/v3/backups', { body: { backup: { volume_id: volumeId, ...extra } }, mv });
    expect(r.status, r.text).to.equal(202);
    await waitFor('backups', r.body.backup.id, ['available']);
    return r.body.backup.id;
  }

  async function usage(): Promise<Record<string, { in_use: number }>> {
    const r = await s.request('GET', `/v3/${s.projectId}/os-quota-sets/${s.projectId}?usage=True`);
    expect(r.status, r.text).to.equal(200);
    return r.body.quota_set;
  }

  it('create answers 202 with the summary view; the backup becomes available and the volume returns to available', async () => {
    const vol = await volume();
    const r = await s.request('POST', `/v3/${s.projectId}/backups`, { body: { backup: { volume_id: vol, name: ' b1 ', description: 'd' } } });
    expect(r.status, r.text).to.equal(202);
    expect(sorted(r.body.backup)).to.deep.equal(sampleKeys('backup-create-response.json'));
    expect(r.body.backup.name).to.equal('b1');
    expect(r.body.backup.links[0].href).to.equal(`${s.url}/v3/${s.projectId}/backups/${r.body.backup.id}`);
    const v = await s.request('GET', `/v3/volumes/${vol}`);
    expect(v.body.volume.status).to.be.oneOf(['backing-up', 'available']);
    const shown = await waitFor('backups', r.body.backup.id, ['available']);
    expect(shown.body.backup.object_count).to.be.greaterThan(0);
    expect(shown.body.backup.is_incremental).to.equal(false);
    await waitFor('volumes', vol, ['available']);
  });

  it('show and detail list match the samples key for key at 3.0, 3.18, 3.43 and 3.56', async () => {
    const vol = await volume();
    const id = await backup(vol);
    for (const [mv, dir] of [
      ['3.0', ''],
      ['3.18', 'v3.18/'],
      ['3.43', 'v3.43/'],
      ['3.56', 'v3.56/'],
    ]) {
      const show = await s.request('GET', `/v3/backups/${id}`, { mv });
      expect(show.status).to.equal(200);
      expect(sorted(show.body.backup), `show at ${mv}`).to.deep.equal(sampleKeys(`${dir}backup-show-response.json`));
      const detail = await s.request('GET', '/v3/backups/detail', { mv });
      expect(sorted(detail.body.backups[0]), `detail at ${mv}`).to.deep.equal(sampleKeys(`${dir}backups-list-detailed-response.json`, true));
      const summary = await s.request('GET', '/v3/backups', { mv });
      expect(sorted(summary.body.backups[0])).to.deep.equal(sampleKeys(`${dir}backups-list-response.json`, true));
    }
  });

  it('lists: filters, sort by name from 3.37, paging with a next link, with_count from 3.45', async () => {
    const vol = await volume();
    const a = await backup(vol, { name: 'list-a' });
    const b = await backup(vol, { name: 'list-b' });
    const byName = await s.request('GET', '/v3/backups/detail?name=list-a');
    expect(byName.body.backups.map((x: { id: string }) => x.id)).to.deep.equal([a]);
    const byVolume = await s.request('GET', `/v3/backups?volume_id=${vol}`);
    expect(byVolume.body.backups.map((x: { id: string }) => x.id)).to.deep.equal([b, a]);
    expect((await s.request('GET', `/v3/backups?volume_id=${vol}&sort=name:asc`)).status).to.equal(400);
    const sortedByName = await s.request('GET', `/v3/backups?volume_id=${vol}&sort=name:asc`, { mv: '3.37' });
    expect(sortedByName.body.backups.map((x: { id: string }) => x.id)).to.deep.equal([a, b]);
    const page = await s.request('GET', `/v3/backups/detail?volume_id=${vol}&limit=1`);
    expect(page.body.backups).to.have.length(1);
    expect(page.body.backups_links[0].href).to.contain(`marker=${b}`);
    const next = await s.request('GET', `/v3/backups/detail?volume_id=${vol}&limit=1&marker=${b}`);
    expect(next.body.backups[0].id).to.equal(a);
    const counted = await s.request('GET', `/v3/backups?volume_id=${vol}&with_count=true`, { mv: '3.45' });
    expect(counted.body.count).to.equal(2);
    // Below 3.45 with_count is a filter: an admin's unknown filter matches nothing.
    const old = await s.request('GET', `/v3/backups?with_count=true`, { mv: '3.44' });
    expect(old.body).to.deep.equal({ backups: [] });
    expect((await s.request('GET', '/v3/backups?foo=bar')).body).to.deep.equal({ backups: [] });
  });

  it('create: microversion gates for metadata (3.43) and availability_zone (3.51), strict schema', async () => {
    const vol = await volume();
    const meta = await s.request('POST', '/v3/backups', { body: { backup: { volume_id: vol, metadata: { k: 'v' } } }, mv: '3.42' });
    expect(meta.status).to.equal(400);
    expect(meta.body.badRequest.message).to.contain("Additional properties are not allowed ('metadata' was unexpected)");
    const zone = await s.request('POST', '/v3/backups', { body: { backup: { volume_id: vol, availability_zone: 'nova' } }, mv: '3.50' });
    expect(zone.status).to.equal(400);
    const ok = await s.request('POST', '/v3/backups', { body: { backup: { volume_id: vol, metadata: { k: 'v' }, availability_zone: 'nova' } }, mv: '3.51' });
    expect(ok.status, ok.text).to.equal(202);
    const shown = await waitFor('backups', ok.body.backup.id, ['available']);
    expect(shown.body.backup.metadata).to.equal(undefined);
    const at43 = await s.request('GET', `/v3/backups/${ok.body.backup.id}`, { mv: '3.43' });
    expect(at43.body.backup.metadata).to.deep.equal({ k: 'v' });
    await waitFor('volumes', vol, ['available']);
  });

  it('create: bad input and status rules with Cinder messages', async () => {
    const missing = await s.request('POST', '/v3/backups', { body: { backup: {} } });
    expect(missing.status).to.equal(400);
    expect(missing.body.badRequest.message).to.equal("Invalid input for field/attribute backup. Value: {}. 'volume_id' is a required property");
    const bad = await s.request('POST', '/v3/backups', { body: { backup: { volume_id: 'not-a-uuid' } } });
    expect(bad.body.badRequest.message).to.contain("'not-a-uuid' is not a 'uuid'");
    const unknown = await s.request('POST', '/v3/backups', { body: { backup: { volume_id: MISSING } } });
    expect(unknown.status).to.equal(404);
    expect(unknown.body.itemNotFound.message).to.equal(`Volume ${MISSING} could not be found.`);
    const vol = await volume();
    const snap = await s.request('POST', '/v3/backups', { body: { backup: { volume_id: vol, snapshot_id: MISSING } } });
    expect(snap.status).to.equal(404);
    expect(snap.body.itemNotFound.message).to.equal(`Snapshot ${MISSING} could not be found.`);
    const incr = await s.request('POST', '/v3/backups', { body: { backup: { volume_id: vol, incremental: true } } });
    expect(incr.status).to.equal(400);
    expect(incr.body.badRequest.message).to.equal('Invalid backup: No backups available to do an incremental backup.');
    const boolBad = await s.request('POST', '/v3/backups', { body: { backup: { volume_id: vol, force: 'maybe' } } });
    expect(boolBad.status).to.equal(400);
    // A volume in-use needs force; a volume in another status is refused.
    await s.services.store.db.updateTable('volumes').set({ status: 'in-use' }).where('id', '=', vol).execute();
    const inUse = await s.request('POST', '/v3/backups', { body: { backup: { volume_id: vol } } });
    expect(inUse.body.badRequest.message).to.equal('Invalid volume: Backing up an in-use volume must use the force flag.');
    await s.services.store.db.updateTable('volumes').set({ status: 'creating' }).where('id', '=', vol).execute();
    const creating = await s.request('POST', '/v3/backups', { body: { backup: { volume_id: vol } } });
    expect(creating.body.badRequest.message).to.equal(
      'Invalid volume: Volume to be backed up must be available or in-use, but the current status is "creating".',
    );
    await s.services.store.db.updateTable('volumes').set({ status: 'in-use' }).where('id', '=', vol).execute();
    const forced = await s.request('POST', '/v3/backups', { body: { backup: { volume_id: vol, force: 'true' } } });
    expect(forced.status, forced.text).to.equal(202);
    await waitFor('backups', forced.body.backup.id, ['available']);
    expect((await s.request('GET', `/v3/volumes/${vol}`)).body.volume.status).to.equal('in-use');
    await s.services.store.db.updateTable('volumes').set({ status: 'available' }).where('id', '=', vol).execute();
  });

  it('a backup from a snapshot takes its data_timestamp and leaves the volume alone', async () => {
    const vol = await volume();
    const snap = await s.request('POST', '/v3/snapshots', { body: { snapshot: { volume_id: vol } } });
    const sid = snap.body.snapshot.id;
    for (let i = 0; i < 200 && (await s.request('GET', `/v3/snapshots/${sid}`)).body.snapshot.status !== 'available'; i++)
      await new Promise((r) => setTimeout(r, 20));
    const id = await backup(vol, { snapshot_id: sid });
    const shown = await s.request('GET', `/v3/backups/${id}`);
    expect(shown.body.backup.snapshot_id).to.equal(sid);
    expect(shown.body.backup.data_timestamp).to.equal(snap.body.snapshot.created_at);
    expect((await s.request('GET', `/v3/snapshots/${sid}`)).body.snapshot.status).to.equal('available');
  });

  it('quota: backups and backup_gigabytes are consumed at create and given back at delete; 413 texts', async () => {
    const p = await startServer({ quota: { backups: 2, backup_gigabytes: 3 } });
    try {
      const post = (body: unknown) => p.request('POST', '/v3/backups', { body });
      const mk = async (size: number) => {
        const r = await p.request('POST', '/v3/volumes', { body: { volume: { size } } });
        await p.waitForVolume(r.body.volume.id, ['available']);
        return r.body.volume.id as string;
      };
      const v1 = await mk(1);
      const v2 = await mk(3);
      const b1 = await post({ backup: { volume_id: v1 } });
      expect(b1.status).to.equal(202);
      const q = await p.request('GET', `/v3/os-quota-sets/${p.projectId}?usage=True`);
      expect(q.body.quota_set.backups.in_use).to.equal(1);
      expect(q.body.quota_set.backup_gigabytes.in_use).to.equal(1);
      const big = await post({ backup: { volume_id: v2 } });
      expect(big.status).to.equal(413);
      expect(big.headers.get('retry-after')).to.equal('0');
      expect(big.body.overLimit.message).to.equal(
        'VolumeBackupSizeExceedsAvailableQuota: Requested backup exceeds allowed Backup gigabytes quota. Requested 3G, quota is 3G and 1G has been consumed.',
      );
      await p.waitForVolume(v1, ['available'], 30000);
      const b2 = await post({ backup: { volume_id: v1 } });
      expect(b2.status).to.equal(202);
      await p.waitForVolume(v1, ['available'], 30000);
      const third = await post({ backup: { volume_id: v1 } });
      expect(third.status).to.equal(413);
      expect(third.body.overLimit.message).to.equal('BackupLimitExceeded: Maximum number of backups allowed (2) exceeded');
      const limits = await p.request('GET', '/v3/limits');
      expect(limits.body.limits.absolute.totalBackupsUsed).to.equal(2);
      for (const id of [b2.body.backup.id, b1.body.backup.id]) {
        for (let i = 0; i < 300 && (await p.request('GET', `/v3/backups/${id}`)).body.backup.status !== 'available'; i++)
          await new Promise((r) => setTimeout(r, 20));
        expect((await p.request('DELETE', `/v3/backups/${id}`)).status).to.equal(202);
        for (let i = 0; i < 300 && (await p.request('GET', `/v3/backups/${id}`)).status !== 404; i++) await new Promise((r) => setTimeout(r, 20));
      }
      const after = await p.request('GET', `/v3/os-quota-sets/${p.projectId}?usage=True`);
      expect(after.body.quota_set.backups.in_use).to.equal(0);
      expect(after.body.quota_set.backup_gigabytes.in_use).to.equal(0);
    } finally {
      await p.close();
    }
  });

  it('update is 3.9+ (404 below), answers the summary view; metadata from 3.43; null body is a 400', async () => {
    const vol = await volume();
    const id = await backup(vol);
    const old = await s.request('PUT', `/v3/backups/${id}`, { body: { backup: { name: 'x' } }, mv: '3.8' });
    expect(old.status).to.equal(404);
    const r = await s.request('PUT', `/v3/backups/${id}`, { body: { backup: { name: ' renamed ', description: 'new' } }, mv: '3.9' });
    expect(r.status, r.text).to.equal(200);
    expect(sorted(r.body.backup)).to.deep.equal(['id', 'links', 'name']);
    expect(r.body.backup.name).to.equal('renamed');
    expect((await s.request('PUT', `/v3/backups/${id}`, { body: { backup: {} }, mv: '3.9' })).status).to.equal(200);
    expect((await s.request('PUT', `/v3/backups/${id}`, { body: { backup: null }, mv: '3.9' })).status).to.equal(400);
    expect((await s.request('PUT', `/v3/backups/${id}`, { body: { backup: { metadata: { a: 'b' } } }, mv: '3.42' })).status).to.equal(400);
    expect((await s.request('PUT', `/v3/backups/${id}`, { body: { backup: { metadata: { a: 'b' } } }, mv: '3.43' })).status).to.equal(200);
    const shown = await s.request('GET', `/v3/backups/${id}`, { mv: '3.43' });
    expect(shown.body.backup).to.include({ name: 'renamed', description: 'new' });
    expect(shown.body.backup.metadata).to.deep.equal({ a: 'b' });
  });

  it('delete: status rule, dependent incrementals refused, 404 for unknown ids', async () => {
    const vol = await volume();
    const full = await backup(vol);
    const incr = await backup(vol, { incremental: true });
    const shown = await s.request('GET', `/v3/backups/${incr}`);
    expect(shown.body.backup.is_incremental).to.equal(true);
    expect((await s.request('GET', `/v3/backups/${full}`)).body.backup.has_dependent_backups).to.equal(true);
    const refused = await s.request('DELETE', `/v3/backups/${full}`);
    expect(refused.status).to.equal(400);
    expect(refused.body.badRequest.message).to.equal('Invalid backup: Incremental backups exist for this backup.');
    const forced = await s.request('POST', `/v3/backups/${full}/action`, { body: { 'os-force_delete': {} } });
    expect(forced.status).to.equal(400);
    await s.services.store.db.updateTable('backups').set({ status: 'restoring' }).where('id', '=', incr).execute();
    const wrong = await s.request('DELETE', `/v3/backups/${incr}`);
    expect(wrong.body.badRequest.message).to.equal('Invalid backup: Backup status must be available or error');
    await s.services.store.db.updateTable('backups').set({ status: 'available' }).where('id', '=', incr).execute();
    const del = await s.request('DELETE', `/v3/backups/${incr}`);
    expect(del.status).to.equal(202);
    expect(del.text).to.equal('');
    await waitFor('backups', incr, ['deleted']);
    expect((await s.request('DELETE', `/v3/backups/${full}`)).status).to.equal(202);
    await waitFor('backups', full, ['deleted']);
    const gone = await s.request('GET', `/v3/backups/not-a-uuid`);
    expect(gone.status).to.equal(404);
    expect(gone.body.itemNotFound.message).to.equal('Backup not-a-uuid could not be found.');
  });

  it('actions: os-reset_status (available|error only), os-force_delete, unknown action', async () => {
    const vol = await volume();
    const id = await backup(vol);
    const bogus = await s.request('POST', `/v3/backups/${id}/action`, { body: { 'os-reset_status': { status: 'bogus' } } });
    expect(bogus.status).to.equal(400);
    expect(bogus.body.badRequest.message).to.equal("Backup status: bogus is invalid, valid statuses are: ['available', 'error'].");
    expect((await s.request('POST', `/v3/backups/${id}/action`, { body: { 'os-reset_status': { status: 'error' } } })).status).to.equal(202);
    expect((await s.request('GET', `/v3/backups/${id}`)).body.backup.status).to.equal('error');
    const nope = await s.request('POST', `/v3/backups/${id}/action`, { body: { 'os-nothing': {} } });
    expect(nope.body.badRequest.message).to.match(/^There is no such action: os-nothing\./);
    const member = await s.request('POST', `/v3/backups/${id}/action`, {
      body: { 'os-reset_status': { status: 'available' } },
      token: `member:${s.projectId}`,
    });
    expect([202, 403]).to.include(member.status);
    expect((await s.request('POST', `/v3/backups/${id}/action`, { body: { 'os-force_delete': {} } })).status).to.equal(202);
    await waitFor('backups', id, ['deleted']);
  });

  it('restore: to a new volume (202 body like the sample) and to an existing one; rules and bad bodies', async () => {
    const vol = await volume();
    const id = await backup(vol);
    const r = await s.request('POST', `/v3/backups/${id}/restore`, { body: { restore: { volume_id: null, name: null } } });
    expect(r.status, r.text).to.equal(202);
    expect(sorted(r.body.restore)).to.deep.equal(Object.keys((sample('backup-restore-response.json') as { restore: object }).restore).sort());
    expect(r.body.restore.volume_name).to.equal(`restore_backup_${id}`);
    const restored = await waitFor('volumes', r.body.restore.volume_id, ['available']);
    expect(restored.body.volume.description).to.equal('auto-created_from_restore_from_backup');
    await waitFor('backups', id, ['available']);
    const target = await volume(2);
    const into = await s.request('POST', `/v3/backups/${id}/restore`, { body: { restore: { volume_id: target } } });
    expect(into.status).to.equal(202);
    expect(into.body.restore.volume_id).to.equal(target);
    await waitFor('volumes', target, ['available']);
    await waitFor('backups', id, ['available']);
    // Rules.
    const small = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
    await waitFor('volumes', small.body.volume.id, ['available']);
    const big = await volume(2);
    const bigBackup = await backup(big);
    const tooSmall = await s.request('POST', `/v3/backups/${bigBackup}/restore`, { body: { restore: { volume_id: small.body.volume.id } } });
    expect(tooSmall.body.badRequest.message).to.equal('Invalid volume: volume size 1 is too small to restore backup of size 2.');
    expect((await s.request('POST', `/v3/backups/${id}/restore`, { body: { restore: { size: 1 } } })).body.badRequest.message).to.contain(
      "Additional properties are not allowed ('size' was unexpected)",
    );
    expect((await s.request('POST', `/v3/backups/${id}/restore`, { body: {} })).body.badRequest.message).to.contain("'restore' is a required property");
    expect((await s.request('POST', `/v3/backups/${id}/restore`, { body: { restore: null } })).status).to.equal(400);
    await s.services.store.db.updateTable('backups').set({ status: 'error' }).where('id', '=', id).execute();
    expect((await s.request('POST', `/v3/backups/${id}/restore`, { body: { restore: {} } })).body.badRequest.message).to.equal(
      'Invalid backup: Backup status must be available',
    );
    await s.services.store.db.updateTable('backups').set({ status: 'available' }).where('id', '=', id).execute();
  });

  it('POST /volumes with backup_id restores into the new volume; unknown or unavailable backups are refused', async () => {
    const vol = await volume();
    const id = await backup(vol);
    const r = await s.request('POST', '/v3/volumes', { body: { volume: { backup_id: id, name: 'from-backup' } }, mv: '3.47' });
    expect(r.status, r.text).to.equal(202);
    expect(r.body.volume.size).to.equal(1);
    await waitFor('volumes', r.body.volume.id, ['available']);
    await waitFor('backups', id, ['available']);
    const unknown = await s.request('POST', '/v3/volumes', { body: { volume: { backup_id: MISSING } } });
    expect(unknown.status).to.equal(404);
    expect(unknown.body.itemNotFound.message).to.equal(`Backup ${MISSING} could not be found.`);
    await s.services.store.db.updateTable('backups').set({ status: 'error' }).where('id', '=', id).execute();
    const notAvailable = await s.request('POST', '/v3/volumes', { body: { volume: { backup_id: id } }, mv: '3.46' });
    expect(notAvailable.status).to.equal(400);
    expect(notAvailable.body.badRequest.message).to.equal("Invalid backup: Originating backup status must be one of 'available' values");
  });

  it('export and import records (admin): 200 and 201, rules and messages', async () => {
    const vol = await volume();
    const id = await backup(vol, { name: 'exported' });
    const ex = await s.request('GET', `/v3/backups/${id}/export_record`);
    expect(ex.status, ex.text).to.equal(200);
    expect(sorted(ex.body['backup-record'])).to.deep.equal(
      sorted((sample('backup-record-export-response.json') as { 'backup-record': Record<string, unknown> })['backup-record']),
    );
    const record = ex.body['backup-record'];
    const dup = await s.request('POST', '/v3/backups/import_record', { body: { 'backup-record': record } });
    expect(dup.status).to.equal(400);
    expect(dup.body.badRequest.message).to.equal('Invalid backup: Backup already exists in database.');
    const other = await s.request('POST', '/v3/backups/import_record', {
      body: { 'backup-record': { ...record, backup_service: 'cinder.backup.drivers.swift' } },
    });
    expect(other.status).to.equal(503);
    expect(other.body.serviceUnavailable.message).to.equal('Service cinder.backup.drivers.swift could not be found.');
    const missingKey = await s.request('POST', '/v3/backups/import_record', { body: { 'backup-record': { backup_service: record.backup_service } } });
    expect(missingKey.body.badRequest.message).to.contain("'backup_url' is a required property");
    const noId = await s.request('POST', '/v3/backups/import_record', {
      body: { 'backup-record': { ...record, backup_url: Buffer.from('{}').toString('base64') } },
    });
    expect(noId.status).to.equal(400);
    // The database loses the row (data stays): import brings it back, restorable.
    await s.services.store.db.deleteFrom('backups').where('id', '=', id).execute();
    const im = await s.request('POST', '/v3/backups/import_record', { body: { 'backup-record': record } });
    expect(im.status, im.text).to.equal(201);
    expect(sorted(im.body.backup)).to.deep.equal(sampleKeys('../backup-record-import-response.json'));
    expect(im.body.backup.id).to.equal(id);
    const shown = await waitFor('backups', id, ['available']);
    expect(shown.body.backup.volume_id).to.equal('00000000-0000-0000-0000-000000000000');
    const rs = await s.request('POST', `/v3/backups/${id}/restore`, { body: { restore: {} } });
    expect(rs.status).to.equal(202);
    await waitFor('volumes', rs.body.restore.volume_id, ['available']);
    await waitFor('backups', id, ['available']);
    await s.services.store.db.updateTable('backups').set({ status: 'creating' }).where('id', '=', id).execute();
    const notAvail = await s.request('GET', `/v3/backups/${id}/export_record`);
    expect(notAvail.body.badRequest.message).to.equal('Invalid backup: Backup status must be available and not creating.');
    await s.services.store.db.updateTable('backups').set({ status: 'available' }).where('id', '=', id).execute();
  });

  it("restore brings the source volume's metadata back (and its name and description into a volume made for the restore)", async () => {
    const metadata = { 'vol-meta1': 'value1', 'vol-meta2': 'value2', 'vol-meta3': 'value3' };
    const src = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, name: 'source', description: 'the source', metadata } } });
    expect(src.status, src.text).to.equal(202);
    await waitFor('volumes', src.body.volume.id, ['available']);
    const id = await backup(src.body.volume.id, { container: 'container' });
    // Changed after the backup: the restore brings back what the backup saw.
    await s.request('PUT', `/v3/volumes/${src.body.volume.id}/metadata`, { body: { metadata: { later: 'x' } } });

    const toNew = await s.request('POST', `/v3/backups/${id}/restore`, { body: { restore: {} } });
    const made = (await waitFor('volumes', toNew.body.restore.volume_id, ['available'])).body.volume;
    expect(made.metadata).to.deep.equal(metadata);
    expect(made).to.include({ name: 'source', description: 'the source' });
    await waitFor('backups', id, ['available']);

    // A name given for the new volume is kept; the metadata still comes back.
    const named = await s.request('POST', `/v3/backups/${id}/restore`, { body: { restore: { name: 'mine' } } });
    const namedVolume = (await waitFor('volumes', named.body.restore.volume_id, ['available'])).body.volume;
    expect(namedVolume).to.include({ name: 'mine', description: 'auto-created_from_restore_from_backup' });
    expect(namedVolume.metadata).to.deep.equal(metadata);
    await waitFor('backups', id, ['available']);

    // Into an existing named volume: its metadata is replaced by the source's, its name stays.
    const target = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, name: 'target', metadata: { mine: 'yes' } } } });
    await waitFor('volumes', target.body.volume.id, ['available']);
    await s.request('POST', `/v3/backups/${id}/restore`, { body: { restore: { volume_id: target.body.volume.id } } });
    await waitFor('backups', id, ['available']);
    const into = (await waitFor('volumes', target.body.volume.id, ['available'])).body.volume;
    expect(into.metadata).to.deep.equal(metadata);
    expect(into.name).to.equal('target');

    // A volume created from the backup (POST /volumes backup_id) gets it too.
    const fromBackup = await s.request('POST', '/v3/volumes', { body: { volume: { backup_id: id } }, mv: '3.47' });
    expect((await waitFor('volumes', fromBackup.body.volume.id, ['available'])).body.volume.metadata).to.deep.equal(metadata);
    await waitFor('backups', id, ['available']);

    // A source without metadata leaves the target's own.
    const bare = await volume();
    const bareBackup = await backup(bare);
    const keeper = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, metadata: { keep: 'me' } } } });
    await waitFor('volumes', keeper.body.volume.id, ['available']);
    await s.request('POST', `/v3/backups/${bareBackup}/restore`, { body: { restore: { volume_id: keeper.body.volume.id } } });
    await waitFor('backups', bareBackup, ['available']);
    expect((await waitFor('volumes', keeper.body.volume.id, ['available'])).body.volume.metadata).to.deep.equal({ keep: 'me' });
  });

  const decode = (url: string) => JSON.parse(Buffer.from(url, 'base64').toString('utf8')) as Record<string, unknown>;
  const encode = (record: Record<string, unknown>) => Buffer.from(JSON.stringify(record), 'utf8').toString('base64');
  const dataDir = (id: string) => path.join(s.dataDir, 'backups', id);

  it("exports records under cinder.backup.drivers with Cinder's record fields; imported under a new id (as Tempest does), both share the data", async () => {
    const vol = await volume();
    const id = await backup(vol, { name: 'shared', description: 'one data, two rows' });
    const ex = (await s.request('GET', `/v3/backups/${id}/export_record`)).body['backup-record'];
    expect(ex.backup_service).to.equal('cinder.backup.drivers.volume_api.PosixBackupDriver');
    expect(ex.backup_service.startsWith('cinder.backup.drivers')).to.equal(true);
    const record = decode(ex.backup_url);
    // What Cinder's backup manager requires of an imported record (import_record's required_import_options).
    for (const key of ['display_name', 'display_description', 'container', 'size', 'service_metadata', 'object_count', 'id']) {
      expect(record, key).to.have.property(key);
    }
    expect(record).to.include({ id, display_name: 'shared', display_description: 'one data, two rows', service_metadata: id, size: 1, deleted: false });
    expect(record.service).to.equal(ex.backup_service);
    expect(record.driver_info).to.deep.equal({});
    expect(record).not.to.have.property('name');

    const copy = '6a0c2b9e-3f51-4a7d-9e2c-8b1d4f6a7c30';
    const im = await s.request('POST', '/v3/backups/import_record', {
      body: { 'backup-record': { backup_service: ex.backup_service, backup_url: encode({ ...record, id: copy }) } },
    });
    expect(im.status, im.text).to.equal(201);
    expect(im.body.backup.id).to.equal(copy);
    const shown = (await waitFor('backups', copy, ['available'])).body.backup;
    expect(shown).to.include({ name: 'shared', description: 'one data, two rows' });
    // Its own export names the same data.
    expect(decode((await s.request('GET', `/v3/backups/${copy}/export_record`)).body['backup-record'].backup_url).service_metadata).to.equal(id);
    const rs = await s.request('POST', `/v3/backups/${copy}/restore`, { body: { restore: {} } });
    await waitFor('volumes', rs.body.restore.volume_id, ['available']);
    await waitFor('backups', copy, ['available']);

    // Deleting one row keeps the data the other needs; deleting the last one removes it.
    expect((await s.request('DELETE', `/v3/backups/${copy}`)).status).to.equal(202);
    await waitFor('backups', copy, ['deleted']);
    expect(fs.existsSync(dataDir(id))).to.equal(true);
    const again = await s.request('POST', `/v3/backups/${id}/restore`, { body: { restore: {} } });
    await waitFor('volumes', again.body.restore.volume_id, ['available']);
    await waitFor('backups', id, ['available']);
    expect((await s.request('DELETE', `/v3/backups/${id}`)).status).to.equal(202);
    await waitFor('backups', id, ['deleted']);
    expect(fs.existsSync(dataDir(id))).to.equal(false);
  });

  it('worker-start reconciliation keeps data that only an imported record names', async () => {
    const id = await backup(await volume());
    const record = decode((await s.request('GET', `/v3/backups/${id}/export_record`)).body['backup-record'].backup_url);
    const copy = '7b1d3c0f-4062-4b8e-8f3d-9c2e5a7b8d41';
    const im = await s.request('POST', '/v3/backups/import_record', {
      body: { 'backup-record': { backup_service: 'cinder.backup.drivers.volume_api.PosixBackupDriver', backup_url: encode({ ...record, id: copy }) } },
    });
    expect(im.status, im.text).to.equal(201);
    await waitFor('backups', copy, ['available']);
    // The original row is lost: its data is still the copy's.
    await s.services.store.db.deleteFrom('backups').where('id', '=', id).execute();
    const removed = await reconcileBackups(s.services.store, createBackupDriver(s.config), s.services.log);
    expect(removed).not.to.include(id);
    expect(fs.existsSync(dataDir(id))).to.equal(true);
    const rs = await s.request('POST', `/v3/backups/${copy}/restore`, { body: { restore: {} } });
    await waitFor('volumes', rs.body.restore.volume_id, ['available']);
  });

  it('imports records exported before (volume_api.backup.drivers.posix, name and description) and records under the posix name', async () => {
    const vol = await volume();
    const id = await backup(vol, { name: 'old-style' });
    const record = decode((await s.request('GET', `/v3/backups/${id}/export_record`)).body['backup-record'].backup_url);
    const importAs = async (service: string, fields: Record<string, unknown>) => {
      const r = await s.request('POST', '/v3/backups/import_record', { body: { 'backup-record': { backup_service: service, backup_url: encode(fields) } } });
      expect(r.status, r.text).to.equal(201);
      return r.body.backup.id as string;
    };

    // The record format of before: the row's own keys, no service_metadata (the data is under the id).
    await s.services.store.db.deleteFrom('backups').where('id', '=', id).execute();
    const { display_name: _n, display_description: _d, service_metadata: _m, service: _s, driver_info: _i, ...rest } = record;
    expect(await importAs('volume_api.backup.drivers.posix', { ...rest, name: 'old-style', description: 'from before' })).to.equal(id);
    expect((await waitFor('backups', id, ['available'])).body.backup).to.include({ name: 'old-style', description: 'from before' });

    // Cinder's posix driver name (by class, and by module) with a record of data we hold.
    const posixCopy = 'c1b2a3d4-e5f6-4789-8abc-def012345678';
    expect(await importAs('cinder.backup.drivers.posix.PosixBackupDriver', { ...record, id: posixCopy })).to.equal(posixCopy);
    expect((await waitFor('backups', posixCopy, ['available'])).body.backup.name).to.equal('old-style');
    const moduleCopy = 'd2c3b4a5-f6e7-4890-9bcd-ef0123456789';
    await importAs('cinder.backup.drivers.posix', { ...record, id: moduleCopy });
    await waitFor('backups', moduleCopy, ['available']);

    // A record Cinder's posix driver wrote names Cinder's objects: imported, then `error` (not our data).
    const cinderId = 'e3d4c5b6-a7f8-4901-8cde-f01234567890';
    const prefix = `volume_${vol}_20240101000000_backup_${cinderId}`;
    await importAs('cinder.backup.drivers.posix.PosixBackupDriver', {
      id: cinderId,
      size: 1,
      display_name: 'made by cinder',
      display_description: null,
      container: 'e3/d4/' + cinderId,
      service_metadata: prefix,
      service: 'cinder.backup.drivers.posix.PosixBackupDriver',
      object_count: 2,
      driver_info: {},
    });
    const failed = (await waitFor('backups', cinderId, ['error'])).body.backup;
    expect(failed.name).to.equal('made by cinder');
    expect(failed.fail_reason).to.equal(`backup ${cinderId}: its data (${prefix}) is not in backup storage`);
    const other = await s.request('POST', '/v3/backups/import_record', {
      body: { 'backup-record': { backup_service: 'cinder.backup.drivers.nfs.NFSBackupDriver', backup_url: encode(record) } },
    });
    expect(other.status).to.equal(503);
  });

  it('a second backup of a volume that is backing-up is refused; routes work with and without the project id', async () => {
    const vol = await volume();
    const worker = s.worker;
    await worker.stop();
    try {
      const first = await s.request('POST', '/v3/backups', { body: { backup: { volume_id: vol } } });
      expect(first.status).to.equal(202);
      const second = await s.request('POST', `/v3/${s.projectId}/backups`, { body: { backup: { volume_id: vol } } });
      expect(second.body.badRequest.message).to.equal(
        'Invalid volume: Volume to be backed up must be available or in-use, but the current status is "backing-up".',
      );
      expect((await s.request('GET', `/v3/${s.projectId}/backups/${first.body.backup.id}`)).body.backup.status).to.equal('creating');
    } finally {
      await worker.start();
    }
    await waitFor('volumes', vol, ['available']);
    expect((await usage()).backups.in_use).to.be.greaterThan(0);
  });
});
