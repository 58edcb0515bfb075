/*
 * Generic volume groups and group snapshots (3.13-3.20; cinder/group/api.py, cinder/api/v3/groups.py,
 * group_snapshots.py). As elsewhere every state change is one transaction: the guarded status update,
 * the quota (`groups`, and the volumes and snapshots a create-from-src or group snapshot adds) and the
 * operation row for the worker. The storage work runs in the worker (worker/operations/groups.ts):
 * create_group (placement: the group takes a worker host, OperationQueue.placeGroup), delete_group (its
 * volumes with it), create_group_from_src (clones of a group's volumes or of a group snapshot's
 * snapshots), create_group_snapshot and delete_group_snapshot. Adding and removing volumes moves no data
 * (the volume must already be on the group's backend), so an update is done in its own transaction.
 * Rules and messages are Cinder's.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config';
import type { RequestContext } from '../context';
import type { Db, Store } from '../db/store';
import type { GroupRow, GroupSnapshotRow } from '../db/group-schema';
import type { VolumeRow } from '../db/schema';
import * as gq from '../db/queries/groups';
import { insertSnapshot, snapshotsOfVolume, updateSnapshot } from '../db/queries/snapshots';
import { getVolume, insertVolume, updateVolume } from '../db/queries/volumes';
import { typeNameOf } from '../db/queries/volume-types';
import { getEncryption } from '../db/queries/encryption-types';
import { nowIso } from '../db/time';
import { GroupNotFoundError, GroupSnapshotNotFoundError, InvalidGroupError, InvalidGroupSnapshotError, InvalidInputError, InvalidVolumeError } from '../errors';
import type { GroupTypeService } from './group-type-service';
import { LIST_SOURCES, listRecords, requireVisible, type GroupFilter, type GroupSnapshotFilter, type LIST_COLUMNS, type ListInput } from './list-pipeline';
import type { OperationQueue } from './operation-queue';
import type { QuotaService } from './quota-service';
import { newSnapshotRow, newVolumeRow, ownerColumns } from './rows';
import { requireAdmin, type TypeService } from './volume-type-service';

/** A group with what its views need besides the row. */
export interface GroupRecord {
  row: GroupRow;
  volumeTypeIds: string[];
  volumeIds: string[];
}

export interface GroupSnapshotRecord {
  row: GroupSnapshotRow;
}

export type GroupListInput = ListInput<GroupFilter, (typeof LIST_COLUMNS.groups.sort)[number]>;
export type GroupSnapshotListInput = ListInput<GroupSnapshotFilter, (typeof LIST_COLUMNS.groupSnapshots.sort)[number]>;

export interface CreateGroupInput {
  name?: string | null;
  description?: string | null;
  groupType: string;
  volumeTypes: string[];
  availabilityZone?: string | null;
}

export interface CreateGroupFromSourceInput {
  name?: string | null;
  description?: string | null;
  groupSnapshotId?: string;
  sourceGroupId?: string;
}

export interface UpdateGroupInput {
  name?: string | null;
  description?: string | null;
  addVolumes?: string | null;
  removeVolumes?: string | null;
}

/** Cinder's GroupStatus and GroupSnapshotStatus values (what reset_status accepts). */
export const GROUP_STATUSES = ['error', 'available', 'creating', 'deleting', 'deleted', 'updating', 'in-use', 'error_deleting'] as const;
export const GROUP_SNAPSHOT_STATUSES = ['error', 'available', 'creating', 'deleting', 'deleted', 'updating', 'error_deleting'] as const;

/** cinder/group/api.py VALID_REMOVE_VOL_FROM_GROUP_STATUS and VALID_ADD_VOL_TO_GROUP_STATUS. */
const REMOVABLE_VOLUME_STATUSES = ['available', 'in-use', 'error', 'error_deleting'];
const ADDABLE_VOLUME_STATUSES = ['available', 'in-use'];
/** The statuses a group or group snapshot may be deleted, or used as a source, from. */
const SETTLED = ['available', 'error'];

const pyList = (items: readonly string[]) => `[${items.map((i) => `'${i}'`).join(', ')}]`;
const pyTuple = (items: readonly string[]) => `(${items.map((i) => `'${i}'`).join(', ')})`;
/** `host@backend` of a `host@backend#pool` (volume_utils.extract_host at its default level). */
const backendOf = (host: string | null) => (host === null ? null : host.split('#')[0]);
/** The ids of a comma-separated add_volumes / remove_volumes value (Cinder strips commas at the ends). */
const idList = (raw: string | null | undefined) => (raw ? raw.replace(/^,+|,+$/g, '').split(',') : []);

export class GroupService {
  constructor(
    private readonly store: Store,
    private readonly queue: OperationQueue,
    private readonly types: TypeService,
    private readonly groupTypes: GroupTypeService,
    private readonly quota: QuotaService,
    private readonly config: Pick<Config, 'storage_availability_zone'>,
  ) {}

  async records(db: Db, rows: GroupRow[]): Promise<GroupRecord[]> {
    const ids = rows.map((r) => r.id);
    const [types, volumes] = await Promise.all([gq.volumeTypesOfGroups(db, ids), gq.volumeIdsOfGroups(db, ids)]);
    return rows.map((row) => ({ row, volumeTypeIds: types.get(row.id) ?? [], volumeIds: volumes.get(row.id) ?? [] }));
  }

  private async record(db: Db, id: string): Promise<GroupRecord> {
    return (await this.records(db, [(await gq.getGroup(db, id))!]))[0];
  }

  async get(ctx: RequestContext, id: string): Promise<GroupRecord> {
    const row = await requireVisible(LIST_SOURCES.groups, ctx, id, this.store.db);
    return (await this.records(this.store.db, [row]))[0];
  }

  async list(ctx: RequestContext, input: GroupListInput): Promise<{ records: GroupRecord[]; count?: number }> {
    return listRecords(this.store.db, ctx, input, LIST_SOURCES.groups, {}, (db, rows) => this.records(db, rows));
  }

  /**
   * POST /groups: the volume types (by name or id, any type: Cinder looks them up elevated) and the
   * group type must exist (404); `groups` quota (413); the group starts `creating` and the worker
   * that takes its create_group operation becomes its host.
   */
  async create(ctx: RequestContext, input: CreateGroupInput): Promise<GroupRecord> {
    const zone = input.availabilityZone ?? this.config.storage_availability_zone;
    if (zone !== this.config.storage_availability_zone) throw new InvalidInputError(`Availability zone '${zone}' is invalid.`);
    const id = randomUUID();
    const record = await this.store.transaction(async (trx) => {
      const volumeTypeIds: string[] = [];
      for (const nameOrId of input.volumeTypes) volumeTypeIds.push((await this.types.resolve(trx, nameOrId)).id);
      const groupType = await this.groupTypes.resolve(trx, input.groupType, ctx);
      await this.quota.consumeGroup(trx, ctx.projectId);
      await gq.insertGroup(trx, this.newGroupRow(ctx, id, { ...input, availabilityZone: zone, groupTypeId: groupType.id }), [...new Set(volumeTypeIds)]);
      await this.queue.enqueue(trx, ctx, { kind: 'create_group', resourceType: 'group', resourceId: id });
      return this.record(trx, id);
    });
    this.queue.notify();
    return record;
  }

  private newGroupRow(
    ctx: RequestContext,
    id: string,
    g: { name?: string | null; description?: string | null; availabilityZone: string; groupTypeId: string; host?: string | null },
    source: { group_snapshot_id?: string; source_group_id?: string } = {},
  ) {
    return {
      id,
      ...ownerColumns(ctx),
      name: g.name ?? null,
      description: g.description ?? null,
      status: 'creating',
      availability_zone: g.availabilityZone,
      group_type_id: g.groupTypeId,
      host: g.host ?? null,
      group_snapshot_id: source.group_snapshot_id ?? null,
      source_group_id: source.source_group_id ?? null,
      replication_status: 'disabled',
      created_at: nowIso(),
      updated_at: null,
      deleted_at: null,
    };
  }

  /**
   * POST /groups/action create-from-src (3.14): a new group of the source's group type and volume
   * types, on the source's host, with one new volume per snapshot of the group snapshot (or per volume
   * of the source group), each charged to quota as a volume create is. One create_group_from_src
   * operation clones them all and makes the group `available`.
   */
  async createFromSource(ctx: RequestContext, input: CreateGroupFromSourceInput): Promise<GroupRecord> {
    const id = randomUUID();
    const record = await this.store.transaction(async (trx) => {
      let source: GroupRow;
      let members: { size: number; volume_type_id: string; snapshot_id?: string; source_volid?: string }[];
      if (input.groupSnapshotId) {
        const groupSnapshot = await requireVisible(LIST_SOURCES.groupSnapshots, ctx, input.groupSnapshotId, trx);
        if (groupSnapshot.status !== 'available') throw new GroupSnapshotNotFoundError(groupSnapshot.id);
        source = await requireVisible(LIST_SOURCES.groups, ctx, groupSnapshot.group_id, trx);
        const snapshots = await gq.snapshotsOfGroupSnapshot(trx, groupSnapshot.id);
        if (snapshots.length === 0) throw new InvalidGroupError('Group snapshot is empty. No group will be created.');
        members = snapshots.map((s) => ({ size: s.size, volume_type_id: s.volume_type_id, snapshot_id: s.id }));
      } else {
        source = await requireVisible(LIST_SOURCES.groups, ctx, input.sourceGroupId!, trx);
        if (!['available', 'in-use'].includes(source.status)) throw new GroupNotFoundError(source.id);
        const volumes = await gq.volumesOfGroup(trx, source.id);
        if (volumes.length === 0) throw new InvalidGroupError('Source Group is empty. No group will be created.');
        members = volumes.map((v) => ({ size: v.size, volume_type_id: v.volume_type_id, source_volid: v.id }));
      }
      const volumeTypeIds = (await gq.volumeTypesOfGroups(trx, [source.id])).get(source.id) ?? [];
      await this.quota.consumeGroup(trx, ctx.projectId);
      if (!source.host) throw new InvalidGroupError(`No valid host to create group ${id}.`);
      const row = this.newGroupRow(
        ctx,
        id,
        { ...input, availabilityZone: source.availability_zone, groupTypeId: source.group_type_id, host: source.host },
        input.groupSnapshotId ? { group_snapshot_id: input.groupSnapshotId } : { source_group_id: source.id },
      );
      await gq.insertGroup(trx, row, volumeTypeIds);
      for (const m of members) {
        await this.quota.consumeVolume(trx, ctx.projectId, await typeNameOf(trx, m.volume_type_id), m.size);
        const volume = newVolumeRow(
          ctx,
          {
            id: randomUUID(),
            name: null,
            description: null,
            size: m.size,
            status: 'creating',
            availability_zone: source.availability_zone,
            volume_type_id: m.volume_type_id,
            snapshot_id: m.snapshot_id ?? null,
            source_volid: m.source_volid ?? null,
            encrypted: (await getEncryption(trx, m.volume_type_id)) ? 1 : 0,
          },
          nowIso(),
        );
        await insertVolume(trx, { ...volume, group_id: id });
      }
      await this.queue.enqueue(trx, ctx, { kind: 'create_group_from_src', resourceType: 'group', resourceId: id });
      return this.record(trx, id);
    });
    this.queue.notify();
    return record;
  }

  /**
   * PUT /groups/{id}: name and description at once; add_volumes / remove_volumes (comma-separated ids)
   * with Cinder's checks, only while the group is `available`. The volumes move in this transaction.
   */
  async update(ctx: RequestContext, id: string, input: UpdateGroupInput): Promise<void> {
    await this.store.transaction(async (trx) => {
      const group = await requireVisible(LIST_SOURCES.groups, ctx, id, trx);
      const name = input.name === group.name ? undefined : input.name;
      const description = input.description === group.description ? undefined : input.description;
      const add = idList(input.addVolumes);
      const remove = idList(input.removeVolumes);
      const both = add.filter((v) => remove.includes(v));
      if (both.length > 0) throw new InvalidVolumeError(`UUIDs ${pyList(both)} are in both add and remove volume list.`);
      const members = await gq.volumesOfGroup(trx, group.id);
      const adding = add.length > 0 ? await this.volumesToAdd(ctx, trx, group, members, add) : [];
      const removing = remove.length > 0 ? this.volumesToRemove(group, members, remove) : [];
      if ((name === undefined || name === null) && (description === undefined || description === null) && adding.length === 0 && removing.length === 0) {
        throw new InvalidGroupError(`Cannot update group ${group.id} because no valid name, description, add_volumes, or remove_volumes were provided.`);
      }
      const now = nowIso();
      const changes = {
        ...(name !== undefined && name !== null ? { name } : {}),
        ...(description !== undefined && description !== null ? { description } : {}),
        // Cinder sets a group whose name or description alone changes `available`, whatever it was.
        status: 'available',
        updated_at: now,
      };
      const moving = adding.length > 0 || removing.length > 0;
      if (!(await gq.updateGroup(trx, group.id, changes, moving ? ['available'] : undefined))) throw new InvalidGroupError('Group status must be available.');
      await gq.setVolumesGroup(trx, adding, group.id, now);
      await gq.setVolumesGroup(trx, removing, null, now);
    });
  }

  private volumesToRemove(group: GroupRow, members: VolumeRow[], remove: string[]): string[] {
    const out: string[] = [];
    for (const volume of members) {
      if (!remove.includes(volume.id)) continue;
      if (!REMOVABLE_VOLUME_STATUSES.includes(volume.status)) {
        throw new InvalidVolumeError(
          `Cannot remove volume ${volume.id} from group ${group.id} because volume is in an invalid state: ${volume.status}. Valid states are: ${pyTuple(REMOVABLE_VOLUME_STATUSES)}.`,
        );
      }
      out.push(volume.id);
    }
    const missing = remove.find((v) => !out.includes(v));
    if (missing !== undefined) throw new InvalidVolumeError(`Cannot remove volume ${missing} from group ${group.id} because it is not in the group.`);
    return out;
  }

  private async volumesToAdd(ctx: RequestContext, trx: Db, group: GroupRow, members: VolumeRow[], add: string[]): Promise<string[]> {
    const allowed = (await gq.volumeTypesOfGroups(trx, [group.id])).get(group.id) ?? [];
    const out: string[] = [];
    for (const volumeId of add.filter((v) => !members.some((m) => m.id === v))) {
      const volume = await getVolume(trx, volumeId);
      const prefix = `Cannot add volume ${volumeId} to group ${group.id}`;
      if (!volume || (!ctx.isAdmin && volume.project_id !== ctx.projectId)) throw new InvalidVolumeError(`${prefix} because volume cannot be found.`);
      if (volume.group_id) throw new InvalidVolumeError(`${prefix} because it is already in group ${volume.group_id}.`);
      if (volume.project_id !== group.project_id) throw new InvalidVolumeError(`${prefix} as they belong to different projects.`);
      if (!allowed.includes(volume.volume_type_id)) {
        throw new InvalidVolumeError(`${prefix} because volume type ${volume.volume_type_id} is not supported by the group.`);
      }
      if (!ADDABLE_VOLUME_STATUSES.includes(volume.status)) {
        throw new InvalidVolumeError(
          `${prefix} because volume is in an invalid state: ${volume.status}. Valid states are: ${pyTuple(ADDABLE_VOLUME_STATUSES)}.`,
        );
      }
      if (backendOf(volume.host) !== backendOf(group.host)) throw new InvalidVolumeError('Volume is not local to this node.');
      out.push(volume.id);
    }
    return out;
  }

  /**
   * POST /groups/{id}/action delete: refused while the group has group snapshots, or (without
   * `delete-volumes`) volumes or a status other than available/error. With `delete-volumes` its volumes
   * (none attached, none with snapshots) go to `deleting` and the delete_group operation removes them
   * with the group. A group that never got a host goes at once.
   */
  async delete(ctx: RequestContext, id: string, deleteVolumes: boolean): Promise<void> {
    const enqueued = await this.store.transaction(async (trx) => {
      const group = await requireVisible(LIST_SOURCES.groups, ctx, id, trx);
      const members = await gq.volumesOfGroup(trx, group.id);
      const now = nowIso();
      if (!group.host && members.length === 0) {
        await gq.markGroupDeleted(trx, group.id, now);
        await this.quota.releaseGroup(trx, group.project_id);
        return false;
      }
      if (!deleteVolumes && !SETTLED.includes(group.status)) {
        throw new InvalidGroupError(`Group status must be available or error, but current status is: ${group.status}`);
      }
      if (await gq.groupHasSnapshots(trx, group.id)) throw new InvalidGroupError('Group has existing snapshots.');
      if (members.length > 0 && !deleteVolumes) {
        throw new InvalidGroupError(`Group ${group.id} still contains volumes. The delete-volumes flag is required to delete it.`);
      }
      for (const volume of members) {
        if (volume.attach_status === 'attached') throw new InvalidGroupError(`Volume in group ${group.id} is attached. Need to detach first.`);
        if ((await snapshotsOfVolume(trx, volume.id)).length > 0) throw new InvalidGroupError('Volume in group still has dependent snapshots.');
      }
      if (await gq.isSourceOfCreatingGroup(trx, { groupId: group.id })) throw this.notDeletable(group.id, deleteVolumes);
      if (!(await gq.updateGroup(trx, group.id, { status: 'deleting', updated_at: now }, deleteVolumes ? undefined : SETTLED))) {
        throw this.notDeletable(group.id, deleteVolumes);
      }
      for (const volume of members) await updateVolume(trx, volume.id, { status: 'deleting', updated_at: now });
      await this.queue.enqueue(trx, ctx, { kind: 'delete_group', resourceType: 'group', resourceId: group.id });
      return true;
    });
    if (enqueued) this.queue.notify();
  }

  private notDeletable(id: string, deleteVolumes: boolean): InvalidGroupError {
    const reason = deleteVolumes
      ? 'Group status must be available or error and must not have dependent group snapshots'
      : 'Group must not have attached volumes, volumes with snapshots, or dependent group snapshots';
    return new InvalidGroupError(`Cannot delete group ${id}. ${reason}, and it cannot be the source for an ongoing group or group snapshot creation.`);
  }

  /** reset_status (admin, 3.20): any GroupStatus (the controller checks it); the store only, as Cinder. */
  async resetStatus(ctx: RequestContext, id: string, status: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      await requireVisible(LIST_SOURCES.groups, ctx, id, trx);
      requireAdmin(ctx);
      await gq.updateGroup(trx, id, { status, updated_at: nowIso() });
    });
  }

  // --- group snapshots (3.14) ------------------------------------------------------------------

  async getSnapshot(ctx: RequestContext, id: string): Promise<GroupSnapshotRecord> {
    return { row: await requireVisible(LIST_SOURCES.groupSnapshots, ctx, id, this.store.db) };
  }

  async listSnapshots(ctx: RequestContext, input: GroupSnapshotListInput): Promise<{ records: GroupSnapshotRecord[]; count?: number }> {
    return listRecords(this.store.db, ctx, input, LIST_SOURCES.groupSnapshots, {}, async (_db, rows) => rows.map((row) => ({ row })));
  }

  /**
   * POST /group_snapshots: a group snapshot `creating` and, for each volume of the group, a snapshot
   * row (`creating`, carrying group_snapshot_id, charged to quota as a snapshot create is); one
   * create_group_snapshot operation makes them all on the group's host.
   */
  async createSnapshot(ctx: RequestContext, input: { groupId: string; name?: string | null; description?: string | null }): Promise<GroupSnapshotRecord> {
    const id = randomUUID();
    const record = await this.store.transaction(async (trx) => {
      const group = await requireVisible(LIST_SOURCES.groups, ctx, input.groupId, trx);
      const now = nowIso();
      const volumes = await gq.volumesOfGroup(trx, group.id);
      for (const volume of volumes) {
        if (!ADDABLE_VOLUME_STATUSES.includes(volume.status)) {
          throw new InvalidVolumeError(`Volume ${volume.id} status must be available or in-use, but current status is: ${volume.status}.`);
        }
        if (!volume.host) throw new InvalidVolumeError('The snapshot cannot be created because volume has not been scheduled to any host.');
      }
      await gq.insertGroupSnapshot(trx, {
        id,
        ...ownerColumns(ctx),
        group_id: group.id,
        group_type_id: group.group_type_id,
        name: input.name ?? null,
        description: input.description ?? null,
        status: 'creating',
        created_at: now,
        updated_at: null,
        deleted_at: null,
      });
      for (const volume of volumes) {
        await this.quota.consumeSnapshot(trx, ctx.projectId, await typeNameOf(trx, volume.volume_type_id), volume.size);
        await insertSnapshot(
          trx,
          newSnapshotRow(ctx, { id: randomUUID(), volume, name: input.name, description: input.description, groupSnapshotId: id }, now),
        );
      }
      await this.queue.enqueue(trx, ctx, { kind: 'create_group_snapshot', resourceType: 'group_snapshot', resourceId: id });
      return { row: (await gq.getGroupSnapshot(trx, id))! };
    });
    this.queue.notify();
    return record;
  }

  /** DELETE /group_snapshots/{id}: from available/error, not while a group is being created from it; its snapshots go with it. */
  async deleteSnapshot(ctx: RequestContext, id: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      const groupSnapshot = await requireVisible(LIST_SOURCES.groupSnapshots, ctx, id, trx);
      const now = nowIso();
      const inUse = await gq.isSourceOfCreatingGroup(trx, { groupSnapshotId: groupSnapshot.id });
      if (inUse || !(await gq.updateGroupSnapshot(trx, id, { status: 'deleting', updated_at: now }, SETTLED))) {
        throw new InvalidGroupSnapshotError(
          'GroupSnapshot status must be available or error, and no Group can be currently using it as source for its creation.',
        );
      }
      for (const s of await gq.snapshotsOfGroupSnapshot(trx, id)) await updateSnapshot(trx, s.id, { status: 'deleting', updated_at: now });
      await this.queue.enqueue(trx, ctx, { kind: 'delete_group_snapshot', resourceType: 'group_snapshot', resourceId: id });
    });
    this.queue.notify();
  }

  /** reset_status (admin, 3.19): any GroupSnapshotStatus (the controller checks it). */
  async resetSnapshotStatus(ctx: RequestContext, id: string, status: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      await requireVisible(LIST_SOURCES.groupSnapshots, ctx, id, trx);
      requireAdmin(ctx);
      await gq.updateGroupSnapshot(trx, id, { status, updated_at: nowIso() });
    });
  }
}

// --- helpers for VolumeService ---------------------------------------------------------------------

/**
 * Volume create with `group_id` (3.13): the group must be visible (404), and the volume's type one of the
 * group's (cinder/volume/api.py create). The create_volume operation then goes to the group's host.
 */
export async function requireGroupForVolume(ctx: RequestContext, trx: Db, groupId: string, volumeTypeId: string): Promise<GroupRow> {
  const group = await requireVisible(LIST_SOURCES.groups, ctx, groupId, trx);
  const allowed = (await gq.volumeTypesOfGroups(trx, [group.id])).get(group.id) ?? [];
  if (!allowed.includes(volumeTypeId)) {
    throw new InvalidInputError(`Invalid volume_type provided: ${volumeTypeId} (requested type must be supported by this group).`);
  }
  return group;
}
