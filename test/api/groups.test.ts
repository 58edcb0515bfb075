/*
 * Generic volume groups (issue 16): group types and group specs (3.11), groups and volumes created into
 * them (3.13), add/remove volumes and their refusals, delete with and without delete-volumes, group
 * snapshots and create-from-src (3.14) with real data through the file backend, reset status (3.19,
 * 3.20), the `groups` quota, and the admin-only routes as Cinder's policy has them.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import { expectFault, startServer, type Reply, type TestServer } from '../lib/server';
import { BackendSet } from '../../src/worker/backends';

const MV = '3.20';
const member = 'member:aaaa0000aaaa0000aaaa0000aaaa0002';

describe('generic volume groups', function () {
  this.timeout(30000);
  let s: TestServer;

  before(async () => {
    s = await startServer({}, { roleTokens: true });
  });
  after(async () => {
    await s.close();
  });

  const req = (method: string, path: string, body?: unknown, mv = MV, token?: string) => s.request(method, path, { body, mv, token });

  async function waitFor(path: string, key: string, statuses: string[], timeoutMs = 8000): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await req('GET', path);
      if (r.status === 404 && statuses.includes('deleted')) return r;
      if (r.status === 200 && statuses.includes(r.body[key].status)) return r;
      if (Date.now() > deadline) throw new Error(`${path} did not reach ${statuses.join('|')}: last ${r.status} ${r.text}`);
      await new Promise((res) => setTimeout(res, 20));
    }
  }

  async function volumeType(name: string): Promise<string> {
    const r = await req('POST', '/v3/types', { volume_type: { name } });
    expect(r.status, r.text).to.equal(200);
    return r.body.volume_type.id;
  }

  async function groupType(name: string, extra: Record<string, unknown> = {}): Promise<string> {
    const r = await req('POST', '/v3/group_types', { group_type: { name, ...extra } });
    expect(r.status, r.text).to.equal(202);
    return r.body.group_type.id;
  }

  async function group(typeId: string, volumeTypes: string[], name = 'g'): Promise<string> {
    const r = await req('POST', '/v3/groups', { group: { name, group_type: typeId, volume_types: volumeTypes } });
    expect(r.status, r.text).to.equal(202);
    expect(r.body).to.deep.equal({ group: { id: r.body.group.id, name } });
    await waitFor(`/v3/groups/${r.body.group.id}`, 'group', ['available']);
    return r.body.group.id;
  }

  async function volumeIn(groupId: string | null, typeId: string): Promise<string> {
    const r = await req('POST', '/v3/volumes', { volume: { size: 1, volume_type: typeId, ...(groupId ? { group_id: groupId } : {}) } });
    expect(r.status, r.text).to.equal(202);
    expect(r.body.volume.group_id).to.equal(groupId);
    await s.waitForVolume(r.body.volume.id, ['available']);
    return r.body.volume.id;
  }

  describe('group types and group specs', () => {
    it('creates, lists, shows, updates and deletes a group type, with its specs', async () => {
      const created = await req('POST', '/v3/group_types', {
        group_type: { name: 'gt-crud', description: 'd', is_public: true, group_specs: { consistent_group_snapshot_enabled: '<is> False' } },
      });
      expect(created.status).to.equal(202);
      const id = created.body.group_type.id;
      expect(created.body.group_type).to.deep.equal({
        id,
        name: 'gt-crud',
        description: 'd',
        is_public: true,
        group_specs: { consistent_group_snapshot_enabled: '<is> False' },
      });
      expectFault(await req('POST', '/v3/group_types', { group_type: { name: 'gt-crud' } }), 409, 'Group Type gt-crud already exists.');

      const listed = await req('GET', '/v3/group_types');
      expect(listed.body.group_types.map((t: { id: string }) => t.id)).to.include(id);
      const updated = await req('PUT', `/v3/group_types/${id}`, { group_type: { name: 'gt-crud2', description: 'd2' } });
      expect(updated.status).to.equal(200);
      expect(updated.body.group_type).to.include({ name: 'gt-crud2', description: 'd2' });
      expectFault(await req('PUT', `/v3/group_types/${id}`, { group_type: {} }), 400, 'Specify group type name, description or a combination thereof.');

      // Specs: create merges, one key shown, updated and deleted; a missing key is a 404.
      const specs = await req('POST', `/v3/group_types/${id}/group_specs`, { group_specs: { k1: 'v1', k2: 'v2' } });
      expect(specs.status).to.equal(202);
      expect(specs.body).to.deep.equal({ group_specs: { k1: 'v1', k2: 'v2' } });
      expect((await req('GET', `/v3/group_types/${id}/group_specs/k1`)).body).to.deep.equal({ k1: 'v1' });
      expect((await req('PUT', `/v3/group_types/${id}/group_specs/k2`, { k2: 'v2b' })).body).to.deep.equal({ k2: 'v2b' });
      expectFault(await req('PUT', `/v3/group_types/${id}/group_specs/k2`, { k3: 'x' }), 400, 'Request body and URI mismatch');
      expect((await req('GET', `/v3/group_types/${id}/group_specs`)).body.group_specs).to.deep.equal({
        consistent_group_snapshot_enabled: '<is> False',
        k1: 'v1',
        k2: 'v2b',
      });
      expect((await req('DELETE', `/v3/group_types/${id}/group_specs/k1`)).status).to.equal(202);
      expectFault(await req('GET', `/v3/group_types/${id}/group_specs/k1`), 404, `Group Type ${id} has no extra spec with key k1.`);
      expectFault(await req('DELETE', `/v3/group_types/${id}/group_specs/k1`), 404, `Group Type ${id} has no specs with key k1.`);

      expect((await req('DELETE', `/v3/group_types/${id}`)).status).to.equal(202);
      expectFault(await req('GET', `/v3/group_types/${id}`), 404, `Group type ${id} could not be found.`);
    });

    it('sorts and filters by is_public; the default group type is unset; 404 below 3.11', async () => {
      await groupType('a-public', { is_public: true });
      await groupType('b-private', { is_public: false });
      const names = async (q: string) => ((await req('GET', `/v3/group_types?${q}`)).body.group_types as { name: string }[]).map((t) => t.name);
      const asc = await names('sort=name:asc&is_public=None');
      expect(asc.indexOf('a-public')).to.be.lessThan(asc.indexOf('b-private'));
      const desc = await names('sort=name:desc&is_public=None');
      expect(desc.indexOf('b-private')).to.be.lessThan(desc.indexOf('a-public'));
      expect(await names('is_public=false'))
        .to.include('b-private')
        .and.not.include('a-public');
      expect(await names(''))
        .to.include('a-public')
        .and.not.include('b-private');
      // A member sees public types without specs.
      const asMember = await req('GET', '/v3/group_types?is_public=None', undefined, MV, member);
      expect(asMember.body.group_types.map((t: { name: string }) => t.name)).to.not.include('b-private');
      expect(asMember.body.group_types[0]).to.not.have.property('group_specs');
      expectFault(await req('GET', '/v3/group_types/default'), 404, 'Default group type can not be found.');
      expect((await req('GET', '/v3/group_types', undefined, '3.10')).status).to.equal(404);
    });

    it('refuses non-admins every write and the specs (403)', async () => {
      const id = await groupType('gt-policy');
      const forbidden = 'Policy does not allow this operation to be performed.';
      expectFault(await req('POST', '/v3/group_types', { group_type: { name: 'x' } }, MV, member), 403, forbidden);
      expectFault(await req('PUT', `/v3/group_types/${id}`, { group_type: { name: 'y' } }, MV, member), 403, forbidden);
      expectFault(await req('DELETE', `/v3/group_types/${id}`, undefined, MV, member), 403, forbidden);
      expectFault(await req('GET', `/v3/group_types/${id}/group_specs`, undefined, MV, member), 403, forbidden);
      expectFault(await req('POST', `/v3/group_types/${id}/group_specs`, { group_specs: { a: 'b' } }, MV, member), 403, forbidden);
    });
  });

  describe('groups', () => {
    it('creates a group, volumes into it, lists and shows it, and deletes it with its volumes', async () => {
      const vt = await volumeType('grp-vt1');
      const gt = await groupType('grp-gt1');
      const g = await group(gt, [vt], 'g1');
      const shown = await req('GET', `/v3/groups/${g}?list_volume=true`, undefined, '3.25');
      expect(shown.body.group).to.include({ id: g, name: 'g1', status: 'available', group_type: gt, availability_zone: 'nova' });
      expect(shown.body.group.volume_types).to.deep.equal([vt]);
      expect(shown.body.group.volumes).to.deep.equal([]);
      expect(Object.keys((await req('GET', `/v3/groups/${g}`, undefined, '3.13')).body.group).sort()).to.deep.equal(
        ['availability_zone', 'created_at', 'description', 'group_type', 'id', 'name', 'status', 'volume_types'].sort(),
      );

      const vol = await volumeIn(g, vt);
      const volume = (await req('GET', `/v3/volumes/${vol}`)).body.volume;
      expect(volume.group_id).to.equal(g);
      expect(volume['os-vol-host-attr:host']).to.be.a('string');
      const groups = (await req('GET', '/v3/groups/detail')).body.groups;
      expect(groups.find((x: { id: string }) => x.id === g).volume_types).to.deep.equal([vt]);
      expect((await req('GET', '/v3/groups')).body.groups.find((x: { id: string }) => x.id === g)).to.deep.equal({ id: g, name: 'g1' });
      expect((await req('GET', `/v3/volumes?group_id=${g}`, undefined, '3.13')).body.volumes.map((v: { id: string }) => v.id)).to.deep.equal([vol]);

      // The volume's type must be one of the group's; the group must exist.
      const other = await volumeType('grp-vt-other');
      expectFault(
        await req('POST', '/v3/volumes', { volume: { size: 1, volume_type: other, group_id: g } }),
        400,
        `Invalid input received: Invalid volume_type provided: ${other} (requested type must be supported by this group).`,
      );
      const missing = '00000000-0000-4000-8000-000000000000';
      expectFault(await req('POST', '/v3/volumes', { volume: { size: 1, group_id: missing } }), 404, `Group ${missing} could not be found.`);
      // A group's volume goes with its group, never alone; the group type and volume type are in use.
      expect((await req('DELETE', `/v3/volumes/${vol}`)).status).to.equal(400);
      expectFault(await req('DELETE', `/v3/group_types/${gt}`), 400, 'Target group type is still in use.');
      expectFault(await req('DELETE', `/v3/types/${vt}`), 400, 'Target volume type is still in use.');

      expectFault(
        await req('POST', `/v3/groups/${g}/action`, { delete: {} }),
        400,
        `Invalid Group: Group ${g} still contains volumes. The delete-volumes flag is required to delete it.`,
      );
      expect((await req('POST', `/v3/groups/${g}/action`, { delete: { 'delete-volumes': true } })).status).to.equal(202);
      await waitFor(`/v3/groups/${g}`, 'group', ['deleted']);
      await s.waitForVolume(vol, ['deleted']);
      expect(fs.existsSync(new BackendSet(s.config).all[0].volumePath(vol))).to.equal(false);
      expect((await req('DELETE', `/v3/group_types/${gt}`)).status).to.equal(202);
    });

    it('updates name and description, adds and removes volumes, with Cinder refusals', async () => {
      const vt = await volumeType('grp-vt2');
      const vtOther = await volumeType('grp-vt2-other');
      const gt = await groupType('grp-gt2');
      const g = await group(gt, [vt]);
      const g2 = await group(gt, [vt], 'g2');
      const [v1, v2] = [await volumeIn(g, vt), await volumeIn(g, vt)];
      const loose = await volumeIn(null, vt);
      const wrongType = await volumeIn(null, vtOther);
      const inG2 = await volumeIn(g2, vt);

      expect((await req('PUT', `/v3/groups/${g}`, { group: { name: 'new', description: 'desc', remove_volumes: v2 } })).status).to.equal(202);
      const shown = (await req('GET', `/v3/groups/${g}?list_volume=true`, undefined, '3.25')).body.group;
      expect(shown).to.include({ name: 'new', description: 'desc', status: 'available' });
      expect(shown.volumes).to.deep.equal([v1]);
      expect((await req('GET', `/v3/volumes/${v2}`, undefined, '3.13')).body.volume.group_id).to.equal(null);
      expect((await req('PUT', `/v3/groups/${g}`, { group: { add_volumes: `${v2},${loose}` } })).status).to.equal(202);
      expect((await req('GET', `/v3/groups/${g}?list_volume=true`, undefined, '3.25')).body.group.volumes).to.have.members([v1, v2, loose]);

      const refused = (body: unknown) => req('PUT', `/v3/groups/${g}`, { group: body });
      expectFault(await refused({ add_volumes: v1, remove_volumes: v1 }), 400, `Invalid volume: UUIDs ['${v1}'] are in both add and remove volume list.`);
      expectFault(
        await refused({ add_volumes: wrongType }),
        400,
        `Invalid volume: Cannot add volume ${wrongType} to group ${g} because volume type ${vtOther} is not supported by the group.`,
      );
      expectFault(await refused({ add_volumes: inG2 }), 400, `Invalid volume: Cannot add volume ${inG2} to group ${g} because it is already in group ${g2}.`);
      const missing = '00000000-0000-4000-8000-000000000001';
      expectFault(await refused({ add_volumes: missing }), 400, `Invalid volume: Cannot add volume ${missing} to group ${g} because volume cannot be found.`);
      expectFault(await refused({ remove_volumes: inG2 }), 400, `Invalid volume: Cannot remove volume ${inG2} from group ${g} because it is not in the group.`);
      expectFault(
        await refused({ name: 'new' }),
        400,
        `Invalid Group: Cannot update group ${g} because no valid name, description, add_volumes, or remove_volumes were provided.`,
      );
      expect((await refused({})).status).to.equal(400);

      // Not while the group is not available (reset by an admin).
      expect((await req('POST', `/v3/groups/${g}/action`, { reset_status: { status: 'error' } })).status).to.equal(202);
      expectFault(await refused({ remove_volumes: v1 }), 400, 'Invalid Group: Group status must be available.');
      expect((await req('POST', `/v3/groups/${g}/action`, { reset_status: { status: 'available' } })).status).to.equal(202);

      for (const id of [g, g2]) {
        expect((await req('POST', `/v3/groups/${id}/action`, { delete: { 'delete-volumes': true } })).status).to.equal(202);
        await waitFor(`/v3/groups/${id}`, 'group', ['deleted']);
      }
    });

    it('resets status (admin, 3.20) and checks the status word', async () => {
      const g = await group(await groupType('grp-gt3'), [await volumeType('grp-vt3')]);
      for (const status of ['creating', 'available', 'error']) {
        expect((await req('POST', `/v3/groups/${g}/action`, { reset_status: { status } })).status).to.equal(202);
        expect((await req('GET', `/v3/groups/${g}`)).body.group.status).to.equal(status);
      }
      expect((await req('POST', `/v3/groups/${g}/action`, { reset_status: { status: 'available' } }, '3.19')).status).to.equal(404);
      expectFault(
        await req('POST', `/v3/groups/${g}/action`, { reset_status: { status: 'bogus' } }),
        400,
        "Invalid input for field/attribute status. Value: 'bogus'. Group status: bogus is invalid, valid status are: ('error', 'available', 'creating', 'deleting', 'deleted', 'updating', 'in-use', 'error_deleting').",
      );
      expectFault(await req('POST', `/v3/groups/${g}/action`, { reset_status: { status: 'available' } }, MV, member), 404, `Group ${g} could not be found.`);
      // An error group without volumes is deleted without delete-volumes.
      expect((await req('POST', `/v3/groups/${g}/action`, { delete: { 'delete-volumes': false } })).status).to.equal(202);
      await waitFor(`/v3/groups/${g}`, 'group', ['deleted']);
    });

    it('charges the groups quota (413 over it) and gives it back on delete', async () => {
      const gt = await groupType('grp-gt-quota');
      const vt = await volumeType('grp-vt-quota');
      const project = 'bbbb0000bbbb0000bbbb0000bbbb0003';
      const user = `member:${project}`;
      expect((await req('PUT', `/v3/os-quota-sets/${project}`, { quota_set: { groups: 1 } })).status).to.equal(200);
      const create = () => req('POST', '/v3/groups', { group: { group_type: gt, volume_types: [vt] } }, MV, user);
      const first = await create();
      expect(first.status, first.text).to.equal(202);
      const over = await create();
      expect(over.status).to.equal(413);
      expect(over.body.overLimit.message).to.equal('GroupLimitExceeded: Maximum number of groups allowed (1) exceeded');
      const usage = await req('GET', `/v3/os-quota-sets/${project}?usage=true`);
      expect(usage.body.quota_set.groups).to.deep.equal({ limit: 1, in_use: 1, reserved: 0 });
      // Cinder's limits view has no groups key.
      expect((await req('GET', '/v3/limits', undefined, MV, user)).body.limits.absolute).to.not.have.property('maxTotalGroups');
      await waitFor(`/v3/groups/${first.body.group.id}`, 'group', ['available']);
      expect((await req('POST', `/v3/groups/${first.body.group.id}/action`, { delete: {} }, MV, user)).status).to.equal(202);
      await waitFor(`/v3/groups/${first.body.group.id}`, 'group', ['deleted']);
      expect((await req('GET', `/v3/os-quota-sets/${project}?usage=true`)).body.quota_set.groups.in_use).to.equal(0);
    });

    it('a member sees only its project’s groups; group routes are 404 below 3.13', async () => {
      const g = await group(await groupType('grp-gt4'), [await volumeType('grp-vt4')]);
      expectFault(await req('GET', `/v3/groups/${g}`, undefined, MV, member), 404, `Group ${g} could not be found.`);
      expect((await req('GET', '/v3/groups', undefined, MV, member)).body.groups).to.deep.equal([]);
      expect((await req('GET', '/v3/groups', undefined, '3.12')).status).to.equal(404);
      expect((await req('POST', `/v3/groups/${g}/action`, { delete: {} })).status).to.equal(202);
      await waitFor(`/v3/groups/${g}`, 'group', ['deleted']);
    });
  });

  describe('group snapshots and create-from-src', () => {
    it('snapshots every volume of a group; a group made from it holds the same bytes', async () => {
      const vt = await volumeType('grp-vt-snap');
      const gt = await groupType('grp-gt-snap');
      const g = await group(gt, [vt]);
      const vol = await volumeIn(g, vt);
      const backend = new BackendSet(s.config).all[0];
      const bytes = Buffer.from('group snapshot data, written before the snapshot');
      const fd = fs.openSync(backend.volumePath(vol), 'r+');
      fs.writeSync(fd, bytes, 0, bytes.length, 4096);
      fs.closeSync(fd);

      const created = await req('POST', '/v3/group_snapshots', { group_snapshot: { group_id: g, name: 'gs1' } });
      expect(created.status, created.text).to.equal(202);
      const gs = created.body.group_snapshot.id;
      expect(created.body.group_snapshot).to.deep.equal({ id: gs, name: 'gs1', group_type_id: gt });
      await waitFor(`/v3/group_snapshots/${gs}`, 'group_snapshot', ['available']);
      const shown = (await req('GET', `/v3/group_snapshots/${gs}`)).body.group_snapshot;
      expect(Object.keys(shown).sort()).to.deep.equal(['created_at', 'description', 'group_id', 'group_type_id', 'id', 'name', 'status']);
      expect(shown).to.include({ group_id: g, status: 'available', name: 'gs1' });
      expect((await req('GET', '/v3/group_snapshots')).body.group_snapshots).to.deep.include({ id: gs, name: 'gs1' });
      const snaps = (await req('GET', '/v3/snapshots/detail', undefined, '3.14')).body.snapshots.filter((x: { volume_id: string }) => x.volume_id === vol);
      expect(snaps).to.have.length(1);
      expect(snaps[0]).to.include({ group_snapshot_id: gs, status: 'available' });
      expectFault(await req('DELETE', `/v3/snapshots/${snaps[0].id}`), 400, 'Invalid snapshot: Snapshot must not be part of a group.');
      expectFault(await req('POST', `/v3/groups/${g}/action`, { delete: { 'delete-volumes': true } }), 400, 'Invalid Group: Group has existing snapshots.');

      // A new group from the group snapshot: its volume is a copy of the snapshot.
      const fromSnap = await req('POST', '/v3/groups/action', { 'create-from-src': { group_snapshot_id: gs, name: 'from-gs' } });
      expect(fromSnap.status, fromSnap.text).to.equal(202);
      const g2 = fromSnap.body.group.id;
      const g2view = (await waitFor(`/v3/groups/${g2}?list_volume=true`, 'group', ['available'])).body.group;
      expect(g2view).to.include({ name: 'from-gs', group_type: gt, group_snapshot_id: gs, source_group_id: null });
      expect(g2view.volume_types).to.deep.equal([vt]);
      const clone = (await req('GET', `/v3/groups/${g2}?list_volume=true`, undefined, '3.25')).body.group.volumes[0];
      expect((await req('GET', `/v3/volumes/${clone}`, undefined, '3.13')).body.volume).to.include({ status: 'available', group_id: g2 });
      const read = Buffer.alloc(bytes.length);
      const cfd = fs.openSync(backend.volumePath(clone), 'r');
      fs.readSync(cfd, read, 0, bytes.length, 4096);
      fs.closeSync(cfd);
      expect(read.equals(bytes)).to.equal(true);

      // From the source group too.
      const fromGroup = await req('POST', '/v3/groups/action', { 'create-from-src': { source_group_id: g } });
      expect(fromGroup.status, fromGroup.text).to.equal(202);
      const g3 = fromGroup.body.group.id;
      expect((await waitFor(`/v3/groups/${g3}`, 'group', ['available'])).body.group.source_group_id).to.equal(g);
      expect((await req('POST', '/v3/groups/action', { 'create-from-src': { source_group_id: g, group_snapshot_id: gs } })).status).to.equal(400);

      // reset status (3.19), delete: the snapshots go with the group snapshot.
      expect((await req('POST', `/v3/group_snapshots/${gs}/action`, { reset_status: { status: 'error' } }, '3.19')).status).to.equal(202);
      expect((await req('GET', `/v3/group_snapshots/${gs}`)).body.group_snapshot.status).to.equal('error');
      expect((await req('POST', `/v3/group_snapshots/${gs}/action`, { reset_status: { status: 'error' } }, '3.18')).status).to.equal(404);
      expectFault(
        await req('POST', `/v3/group_snapshots/${gs}/action`, { reset_status: { status: 'error' } }, MV, member),
        404,
        `GroupSnapshot ${gs} could not be found.`,
      );
      expect((await req('DELETE', `/v3/group_snapshots/${gs}`)).status).to.equal(202);
      await waitFor(`/v3/group_snapshots/${gs}`, 'group_snapshot', ['deleted']);
      expect((await req('GET', `/v3/snapshots/${snaps[0].id}`)).status).to.equal(404);
      expect(fs.existsSync(backend.snapshotPath(snaps[0].id))).to.equal(false);
      expectFault(await req('DELETE', `/v3/group_snapshots/${gs}`), 404, `GroupSnapshot ${gs} could not be found.`);

      for (const id of [g, g2, g3]) {
        expect((await req('POST', `/v3/groups/${id}/action`, { delete: { 'delete-volumes': true } })).status).to.equal(202);
        await waitFor(`/v3/groups/${id}`, 'group', ['deleted']);
      }
    });

    it('refuses an empty source and non-admin reset (403 for an owner)', async () => {
      const vt = await volumeType('grp-vt-empty');
      const gt = await groupType('grp-gt-empty');
      const project = 'cccc0000cccc0000cccc0000cccc0004';
      const user = `member:${project}`;
      const created = await req('POST', '/v3/groups', { group: { group_type: gt, volume_types: [vt] } }, MV, user);
      const g = created.body.group.id;
      await waitFor(`/v3/groups/${g}`, 'group', ['available']);
      expectFault(
        await req('POST', '/v3/groups/action', { 'create-from-src': { source_group_id: g } }, MV, user),
        400,
        'Invalid Group: Source Group is empty. No group will be created.',
      );
      expectFault(
        await req('POST', `/v3/groups/${g}/action`, { reset_status: { status: 'error' } }, MV, user),
        403,
        'Policy does not allow this operation to be performed.',
      );
      const gs = await req('POST', '/v3/group_snapshots', { group_snapshot: { group_id: g } }, MV, user);
      expect(gs.status).to.equal(202);
      await waitFor(`/v3/group_snapshots/${gs.body.group_snapshot.id}`, 'group_snapshot', ['available']);
      expectFault(
        await req('POST', `/v3/group_snapshots/${gs.body.group_snapshot.id}/action`, { reset_status: { status: 'error' } }, MV, user),
        403,
        'Policy does not allow this operation to be performed.',
      );
      expectFault(
        await req('POST', '/v3/groups/action', { 'create-from-src': { group_snapshot_id: gs.body.group_snapshot.id } }, MV, user),
        400,
        'Invalid Group: Group snapshot is empty. No group will be created.',
      );
      expect((await req('DELETE', `/v3/group_snapshots/${gs.body.group_snapshot.id}`, undefined, MV, user)).status).to.equal(202);
      await waitFor(`/v3/group_snapshots/${gs.body.group_snapshot.id}`, 'group_snapshot', ['deleted']);
    });
  });
});
