import { expect } from 'chai';
import { ApiVersion } from '../../src/api/microversions';
import { metadataEtag } from '../../src/api/views/metadata';
import { nextLinks, resourceLinks, type ViewContext } from '../../src/api/views/view-context';
import * as volumes from '../../src/api/views/volumes';
import type { VolumeRecord } from '../../src/services/volume-service';

const ctx = (over: Partial<ViewContext> = {}): ViewContext => ({
  version: ApiVersion.parse('3.0'),
  isAdmin: true,
  projectId: 'p1',
  baseUrl: 'https://volume.example.com',
  ...over,
});

const record: VolumeRecord = {
  row: {
    id: 'v1',
    project_id: 'p1',
    user_id: 'u1',
    name: 'n',
    description: null,
    size: 2,
    status: 'managing',
    attach_status: 'detached',
    availability_zone: 'nova',
    volume_type_id: 't1',
    snapshot_id: null,
    source_volid: null,
    bootable: 1,
    multiattach: 0,
    encrypted: 0,
    replication_status: null,
    migration_status: null,
    host: 'h@file#file',
    provider_location: 'volume-v1',
    consumes_quota: 1,
    created_at: '2026-11-24T22:27:20.000000',
    updated_at: null,
    deleted_at: null,
    deleted: 0,
    previous_status: null,
    group_id: null,
  },
  metadata: { k: 'v' },
  adminMetadata: { readonly: 'True', other: 'x' },
  typeName: '__DEFAULT__',
};

describe('views', () => {
  it('builds self and bookmark links from the public base, mirroring the path project', () => {
    expect(resourceLinks(ctx({ pathProjectId: 'abc' }), 'volumes', 'v1')).to.deep.equal([
      { rel: 'self', href: 'https://volume.example.com/v3/abc/volumes/v1' },
      { rel: 'bookmark', href: 'https://volume.example.com/abc/volumes/v1' },
    ]);
    expect(resourceLinks(ctx(), 'volumes', 'v1')[0].href).to.equal('https://volume.example.com/v3/volumes/v1');
  });

  it('adds a next link only for a full page, keeping the query and putting the marker last', () => {
    const items = [{ id: 'a' }, { id: 'b' }];
    expect(nextLinks(ctx(), 'volumes', { limit: '2', sort: 'name:asc', marker: 'old' }, items, 2)).to.deep.equal([
      { rel: 'next', href: 'https://volume.example.com/v3/volumes?limit=2&sort=name%3Aasc&marker=b' },
    ]);
    expect(nextLinks(ctx(), 'volumes', { limit: '3' }, items, 3)).to.equal(undefined);
    expect(nextLinks(ctx(), 'volumes', {}, [], 1000)).to.equal(undefined);
    // with_count: a link while the count says more may follow
    expect(nextLinks(ctx(), 'volumes', { limit: '3' }, items, 3, 5)).to.have.length(1);
  });

  it('shows the detail view as Cinder: string bootable, public status, visible admin metadata, zone-less times', () => {
    const d = volumes.detail(ctx(), record, { adminKeys: true });
    expect(d.bootable).to.equal('true');
    expect(d.status).to.equal('creating');
    expect(d.metadata).to.deep.equal({ k: 'v', readonly: 'True' });
    expect(d.created_at).to.equal('2026-11-24T22:27:20');
    expect(d['os-vol-host-attr:host']).to.equal('h@file#file');
    expect(d['os-vol-tenant-attr:tenant_id']).to.equal('p1');
    expect(d.attachments).to.deep.equal([]);
  });

  it('leaves the os-vol keys out of create/update responses and adds fields by microversion', () => {
    const d = volumes.detail(ctx({ version: ApiVersion.parse('3.70') }), record, { adminKeys: false });
    expect(Object.keys(d).filter((k) => k.startsWith('os-vol'))).to.deep.equal([]);
    for (const k of ['group_id', 'provider_id', 'cluster_name', 'shared_targets', 'service_uuid', 'volume_type_id', 'consumes_quota'])
      expect(d).to.have.property(k);
    const old = volumes.detail(ctx(), record, { adminKeys: false });
    for (const k of ['group_id', 'provider_id', 'volume_type_id', 'consumes_quota']) expect(old).not.to.have.property(k);
  });

  it('hides admin-only keys from non-admins', () => {
    const d = volumes.detail(ctx({ isAdmin: false, version: ApiVersion.parse('3.70') }), record, { adminKeys: true });
    for (const k of ['migration_status', 'os-vol-host-attr:host', 'provider_id', 'cluster_name']) expect(d).not.to.have.property(k);
    expect(d['os-vol-tenant-attr:tenant_id']).to.equal('p1');
  });

  it("computes the metadata ETag as Cinder does (MD5 of Python's json.dumps, insertion order)", () => {
    // python3 -c 'import json,hashlib; print(hashlib.md5(json.dumps({"metadata":{"b":"2","a":"é"}}).encode()).hexdigest())'
    expect(metadataEtag({ b: '2', a: 'é' })).to.equal('85a73bd45202acb9b0f037040d5fec4f');
  });
});
