/*
 * The generic-volume-group operations (issue 16; Cinder's volume manager create_group, delete_group,
 * create_group_from_src, create_group_snapshot, delete_group_snapshot). Each runs on the group's host
 * (services/operation-queue.ts) and is idempotent like every operation: the storage work skips what is
 * no longer in the status the API left it in, and re-making a file replaces it.
 * - create_group (resource: group): no storage; the group `creating` → `available` with this worker's
 *   host, which its volumes are then created on.
 * - create_group_from_src (group): each of the group's `creating` volumes is cloned from its
 *   `source_volid` or made from its `snapshot_id`; then all of them and the group → `available`.
 *   Failure: the volumes and the group → `error` (their quota kept until deleted, as a failed create).
 * - delete_group (group): the files of its `deleting` volumes are removed; then the volumes are
 *   soft-deleted (quota released), and the group (`groups` released). Failure: all → `error_deleting`.
 * - create_group_snapshot (group_snapshot): a snapshot file per `creating` snapshot; then they and the
 *   group snapshot → `available`. Failure: → `error`.
 * - delete_group_snapshot (group_snapshot): the snapshot files are removed; the snapshots soft-deleted
 *   (quota released) and the group snapshot too. Failure: → `error_deleting`.
 */
import * as gq from '../../db/queries/groups';
import { updateSnapshot } from '../../db/queries/snapshots';
import { markVolumeDeleted, updateVolume } from '../../db/queries/volumes';
import { typeNameOf } from '../../db/queries/volume-types';
import type { Db } from '../../db/store';
import type { MessageAction } from '../../services/user-messages';
import { loadIfStatus, type OperationHandler } from './types';
import { removeSnapshotRow } from './volume-snapshots';

/** Cinder's message_field actions for groups (no message is recorded for them: the resource is no volume). */
const GROUP_ACTIONS = {
  CREATE_GROUP: { id: '104', text: 'create group' },
  DELETE_GROUP: { id: '106', text: 'delete group' },
  CREATE_GROUP_SNAPSHOT: { id: '107', text: 'create group snapshot' },
  DELETE_GROUP_SNAPSHOT: { id: '108', text: 'delete group snapshot' },
} as const satisfies Record<string, MessageAction>;

/** The files a storage step made: resource id → provider_location. Null: the resource had moved on, nothing to finish. */
type Made = Record<string, string> | null;

type GuardedUpdate = (db: Db, id: string, changes: { status: string; updated_at: string }, from: readonly string[]) => Promise<boolean>;

/**
 * In a failing transaction: the members (volumes or snapshots) and their group or group snapshot go
 * from `from` to `status`, each guarded, so a row reset or deleted meanwhile keeps what it was given.
 */
async function failTogether(
  trx: Db,
  now: string,
  move: { from: string; to: string },
  members: { update: GuardedUpdate; rows: { id: string }[] },
  owner: { update: GuardedUpdate; id: string },
): Promise<void> {
  const changes = { status: move.to, updated_at: now };
  for (const row of members.rows) await members.update(trx, row.id, changes, [move.from]);
  await owner.update(trx, owner.id, changes, [move.from]);
}

export const createGroup: OperationHandler<boolean> = {
  action: GROUP_ACTIONS.CREATE_GROUP,

  async execute(ctx, op) {
    return (await loadIfStatus(gq.getGroup, ctx.store.db, op.resource_id, 'creating')) !== undefined;
  },

  async complete(ctx, trx, op, creating) {
    if (creating) await gq.updateGroup(trx, op.resource_id, { status: 'available', host: ctx.host, updated_at: ctx.now() }, ['creating']);
  },

  async markFailed(ctx, trx, op) {
    await gq.updateGroup(trx, op.resource_id, { status: 'error', updated_at: ctx.now() }, ['creating']);
  },
};

async function creatingVolumesOf(db: Db, groupId: string) {
  return (await gq.volumesOfGroup(db, groupId)).filter((v) => v.status === 'creating');
}

export const createGroupFromSource: OperationHandler<Made> = {
  action: GROUP_ACTIONS.CREATE_GROUP,

  async execute(ctx, op) {
    if (!(await loadIfStatus(gq.getGroup, ctx.store.db, op.resource_id, 'creating'))) return null;
    const made: Record<string, string> = {};
    for (const volume of await creatingVolumesOf(ctx.store.db, op.resource_id)) {
      const ref = { id: volume.id, size: volume.size };
      const placed = volume.snapshot_id
        ? await ctx.backend.createVolumeFromSnapshot(ref, { id: volume.snapshot_id, volumeId: '', size: volume.size })
        : volume.source_volid
          ? await ctx.backend.cloneVolume(ref, { id: volume.source_volid, size: volume.size })
          : await ctx.backend.createVolume(ref);
      made[volume.id] = placed.providerLocation;
    }
    return made;
  },

  async complete(ctx, trx, op, made) {
    if (made === null) return;
    const now = ctx.now();
    for (const [id, location] of Object.entries(made)) {
      await updateVolume(trx, id, { status: 'available', host: ctx.host, provider_location: location, updated_at: now }, ['creating']);
    }
    await gq.updateGroup(trx, op.resource_id, { status: 'available', updated_at: now }, ['creating']);
  },

  async markFailed(ctx, trx, op) {
    const members = { update: updateVolume, rows: await creatingVolumesOf(trx, op.resource_id) };
    await failTogether(trx, ctx.now(), { from: 'creating', to: 'error' }, members, { update: gq.updateGroup, id: op.resource_id });
  },
};

export const deleteGroup: OperationHandler<boolean> = {
  action: GROUP_ACTIONS.DELETE_GROUP,

  async execute(ctx, op) {
    if (!(await loadIfStatus(gq.getGroup, ctx.store.db, op.resource_id, 'deleting'))) return false;
    for (const volume of await gq.volumesOfGroup(ctx.store.db, op.resource_id)) {
      if (volume.status === 'deleting') await ctx.backend.deleteVolume({ id: volume.id, size: volume.size });
    }
    return true;
  },

  async complete(ctx, trx, op, deleting) {
    if (!deleting) return;
    const group = await loadIfStatus(gq.getGroup, trx, op.resource_id, 'deleting');
    if (!group) return;
    const now = ctx.now();
    for (const volume of await gq.volumesOfGroup(trx, group.id)) {
      if (volume.status !== 'deleting' || !(await markVolumeDeleted(trx, volume.id, now)) || !volume.consumes_quota) continue;
      await ctx.quota.releaseVolume(trx, volume.project_id, await typeNameOf(trx, volume.volume_type_id), volume.size);
    }
    if (await gq.markGroupDeleted(trx, group.id, now)) await ctx.quota.releaseGroup(trx, group.project_id);
  },

  async markFailed(ctx, trx, op) {
    const members = { update: updateVolume, rows: await gq.volumesOfGroup(trx, op.resource_id) };
    await failTogether(trx, ctx.now(), { from: 'deleting', to: 'error_deleting' }, members, { update: gq.updateGroup, id: op.resource_id });
  },
};

async function snapshotsIn(db: Db, groupSnapshotId: string, status: string) {
  return (await gq.snapshotsOfGroupSnapshot(db, groupSnapshotId)).filter((s) => s.status === status);
}

export const createGroupSnapshot: OperationHandler<Made> = {
  action: GROUP_ACTIONS.CREATE_GROUP_SNAPSHOT,

  async execute(ctx, op) {
    if (!(await loadIfStatus(gq.getGroupSnapshot, ctx.store.db, op.resource_id, 'creating'))) return null;
    const made: Record<string, string> = {};
    for (const s of await snapshotsIn(ctx.store.db, op.resource_id, 'creating')) {
      made[s.id] = (await ctx.backend.createSnapshot({ id: s.id, volumeId: s.volume_id, size: s.size })).providerLocation;
    }
    return made;
  },

  async complete(ctx, trx, op, made) {
    if (made === null) return;
    const now = ctx.now();
    for (const [id, location] of Object.entries(made)) {
      await updateSnapshot(trx, id, { status: 'available', progress: '100%', provider_location: location, updated_at: now }, ['creating']);
    }
    await gq.updateGroupSnapshot(trx, op.resource_id, { status: 'available', updated_at: now }, ['creating']);
  },

  async markFailed(ctx, trx, op) {
    const members = { update: updateSnapshot, rows: await snapshotsIn(trx, op.resource_id, 'creating') };
    await failTogether(trx, ctx.now(), { from: 'creating', to: 'error' }, members, { update: gq.updateGroupSnapshot, id: op.resource_id });
  },
};

export const deleteGroupSnapshot: OperationHandler<boolean> = {
  action: GROUP_ACTIONS.DELETE_GROUP_SNAPSHOT,

  async execute(ctx, op) {
    if (!(await loadIfStatus(gq.getGroupSnapshot, ctx.store.db, op.resource_id, 'deleting'))) return false;
    for (const s of await snapshotsIn(ctx.store.db, op.resource_id, 'deleting')) {
      await ctx.backend.deleteSnapshot({ id: s.id, volumeId: s.volume_id, size: s.size });
    }
    return true;
  },

  async complete(ctx, trx, op, deleting) {
    if (!deleting || !(await loadIfStatus(gq.getGroupSnapshot, trx, op.resource_id, 'deleting'))) return;
    for (const s of await snapshotsIn(trx, op.resource_id, 'deleting')) await removeSnapshotRow(ctx, trx, s);
    await gq.markGroupSnapshotDeleted(trx, op.resource_id, ctx.now());
  },

  async markFailed(ctx, trx, op) {
    const members = { update: updateSnapshot, rows: await snapshotsIn(trx, op.resource_id, 'deleting') };
    await failTogether(trx, ctx.now(), { from: 'deleting', to: 'error_deleting' }, members, { update: gq.updateGroupSnapshot, id: op.resource_id });
  },
};
