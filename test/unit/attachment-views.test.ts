import { expect } from 'chai';
import { ApiVersion } from '../../src/api/microversions';
import type { ViewContext } from '../../src/api/views/view-context';
import * as attachments from '../../src/api/views/attachments';
import * as volumes from '../../src/api/views/volumes';
import type { AttachmentRow } from '../../src/db/schema';
import type { VolumeRecord } from '../../src/services/volume-service';
import { sanitizeHostname } from '../../src/services/attachment-state';

const ctx = (isAdmin: boolean): ViewContext => ({ version: ApiVersion.parse('3.70'), isAdmin, projectId: 'p1', baseUrl: 'http://h' });

const att = (over: Partial<AttachmentRow> = {}): AttachmentRow => ({
  id: 'a1',
  volume_id: 'v1',
  project_id: 'p1',
  instance_uuid: 'i1',
  attached_host: 'node-1',
  mountpoint: '/dev/vdb',
  attach_status: 'attached',
  attach_mode: 'rw',
  connector: null,
  connection_info: null,
  attach_time: '2026-11-24T22:27:20.000000',
  detach_time: null,
  created_at: '2026-11-24T22:27:19.000000',
  updated_at: null,
  deleted_at: null,
  deleted: 0,
  ...over,
});

const record = (list: AttachmentRow[]): VolumeRecord => ({
  row: {
    id: 'v1',
    project_id: 'p1',
    user_id: 'u1',
    name: null,
    description: null,
    size: 1,
    status: 'in-use',
    attach_status: 'attached',
    availability_zone: 'nova',
    volume_type_id: 't1',
    snapshot_id: null,
    source_volid: null,
    bootable: 0,
    multiattach: 0,
    encrypted: 0,
    replication_status: null,
    migration_status: null,
    host: 'h@file#file',
    provider_location: 'volume-v1',
    consumes_quota: 1,
    created_at: '2026-11-24T22:27:19.000000',
    updated_at: null,
    deleted_at: null,
    deleted: 0,
    previous_status: null,
    group_id: null,
  },
  metadata: {},
  adminMetadata: {},
  typeName: '__DEFAULT__',
  attachments: list,
});

describe('attachment views', () => {
  it('lists only attached attachments in the volume view; host_name only for admins', () => {
    const r = record([att(), att({ id: 'a2', attach_status: 'reserved' })]);
    expect(volumes.detail(ctx(true), r, { adminKeys: true }).attachments).to.deep.equal([
      { id: 'v1', attachment_id: 'a1', volume_id: 'v1', server_id: 'i1', host_name: 'node-1', device: '/dev/vdb', attached_at: '2026-11-24T22:27:20' },
    ]);
    expect((volumes.detail(ctx(false), r, { adminKeys: true }).attachments as { host_name: unknown }[])[0].host_name).to.equal(null);
    expect(volumes.detail(ctx(true), { ...r, attachments: undefined }, { adminKeys: true }).attachments).to.deep.equal([]);
  });

  it('renders unset times as "", an unset mode as "null" and unset connection info as {}', () => {
    expect(attachments.detail(att({ attach_time: null, attach_mode: null }))).to.deep.equal({
      id: 'a1',
      status: 'attached',
      instance: 'i1',
      volume_id: 'v1',
      attached_at: '',
      detached_at: '',
      attach_mode: 'null',
      connection_info: {},
    });
    expect(attachments.detail(att({ connection_info: '{"device_path":"/x"}' })).connection_info).to.deep.equal({ device_path: '/x' });
    expect(attachments.detail(att()).attached_at).to.equal('2026-11-24T22:27:20.000000');
    expect(attachments.list([att()], { detail: false })).to.deep.equal({ attachments: [{ id: 'a1', status: 'attached', instance: 'i1', volume_id: 'v1' }] });
  });

  it('sanitizes host names as Cinder does', () => {
    expect(sanitizeHostname('Compute_Node 1')).to.equal('compute-node-1');
    expect(sanitizeHostname('..web$01.example.com-')).to.equal('web01.example.com');
  });
});
