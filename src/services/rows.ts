/*
 * Row contents that more than one service writes: the owner of a new volume, snapshot or backup, a new
 * volume's row (volume create, and a restore into a new volume), a new snapshot's row (snapshot create, a
 * group snapshot's snapshots), the changes of a type update, and the name and description an update
 * changes (volumes, snapshots, backups).
 */
import type { RequestContext } from '../context';
import type { NewSnapshotRow, NewVolumeRow, VolumeRow } from '../db/schema';

/** The owner columns of a new volume, snapshot or backup: the caller's project and user. */
export function ownerColumns(ctx: RequestContext): { project_id: string; user_id: string } {
  return { project_id: ctx.projectId, user_id: ctx.userId };
}

/** What the creator decides; the rest starts as on every new volume (detached, not placed, counted in quota). */
export interface NewVolumeFields {
  id: string;
  name: string | null;
  description: string | null;
  size: number;
  status: string;
  availability_zone: string;
  volume_type_id: string;
  snapshot_id?: string | null;
  source_volid?: string | null;
  bootable?: number;
  /** 1 for a volume of a type with encryption. */
  encrypted?: number;
}

/** The row of a new volume of the caller's project. */
export function newVolumeRow(ctx: RequestContext, fields: NewVolumeFields, now: string): NewVolumeRow {
  return {
    ...ownerColumns(ctx),
    attach_status: 'detached',
    snapshot_id: null,
    source_volid: null,
    bootable: 0,
    multiattach: 0,
    encrypted: 0,
    replication_status: null,
    migration_status: null,
    host: null,
    provider_location: null,
    consumes_quota: 1,
    created_at: now,
    updated_at: null,
    deleted_at: null,
    ...fields,
  };
}

/** The row of a new snapshot of `volume` by the caller (`creating`, counted in quota); `groupSnapshotId` when a group snapshot takes it. */
export function newSnapshotRow(
  ctx: RequestContext,
  fields: {
    id: string;
    volume: Pick<VolumeRow, 'id' | 'size' | 'volume_type_id'>;
    name?: string | null;
    description?: string | null;
    groupSnapshotId?: string;
  },
  now: string,
): NewSnapshotRow {
  return {
    id: fields.id,
    ...ownerColumns(ctx),
    volume_id: fields.volume.id,
    name: fields.name ?? null,
    description: fields.description ?? null,
    size: fields.volume.size,
    status: 'creating',
    progress: '0%',
    volume_type_id: fields.volume.volume_type_id,
    provider_location: null,
    consumes_quota: 1,
    group_snapshot_id: fields.groupSnapshotId ?? null,
    created_at: now,
    updated_at: null,
    deleted_at: null,
  };
}

/** The name and description an update sets: only the keys the request gave (null clears one). */
export function nameAndDescriptionChanges(input: { name?: string | null; description?: string | null }): { name?: string | null; description?: string | null } {
  return {
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.description !== undefined ? { description: input.description } : {}),
  };
}

/** The columns a type update (volume types, group types) sets: only the fields given. */
export function typeChanges(
  input: { name?: string; description?: string | null; is_public?: boolean },
  now: string,
): { name?: string; description?: string | null; is_public?: number; updated_at: string } {
  return {
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(input.is_public !== undefined ? { is_public: input.is_public ? 1 : 0 } : {}),
    updated_at: now,
  };
}
