/*
 * migrate_volume (issue 16): moves a volume's data to another pool (os-migrate_volume, and a retype
 * whose new type the volume's pool cannot serve). The volume keeps its id; only its host (and, for a
 * retype, its type) changes, in the one transaction that follows a verified copy.
 *
 * Phases (services/operation-payloads.ts MigrateVolumePayload), each an operation of its own, so each
 * step survives a crash and runs on the host that has the data:
 * - copy, on the source host: to the destination backend directly when this host runs it (a second
 *   backend of the same worker), else into the staging area of the shared backup storage
 *   (`<backup.path>/migrations`, which every worker host mounts: docs/scaling.md), then `receive`;
 * - receive, on the destination host: from the staging area into its backend;
 * - the move: a byte comparison has found source and copy equal; one transaction sets host, provider_location,
 *   migration_status `success` and the status back, and queues cleanup;
 * - cleanup, on the source host: deletes the source data (and the staged copy);
 * - discard, on the destination host, after a failure: deletes the copy there.
 * Until the move the volume stays on its source and usable; a crash at any point leaves it there, and
 * the retried phase starts its copy again (copies are written under a temporary name and renamed).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../../db/store';
import type { OperationRow, VolumeRow } from '../../db/schema';
import { enqueueOperation } from '../../db/queries/operations';
import { getVolume, updateVolume } from '../../db/queries/volumes';
import { ACTIONS } from '../../services/user-messages';
import type { MigrateVolumePayload, RetypeVolumePayload } from '../../services/operation-payloads';
import { copySparse } from '../backends/file-backend';
import { payloadOf, type OperationContext, type OperationHandler } from './types';

interface MigrateResult {
  /** The volume moved on meanwhile (deleted, reset by an admin): nothing to do. */
  skipped?: boolean;
  /** The copy is in the destination backend, under this location. */
  location?: string;
  /** The copy is in the staging area under this name (a move between hosts). */
  staged?: string;
}

/** Statuses of a volume a migration may still act on. */
const IN_PROGRESS = ['starting', 'migrating'];

function stillMigrating(volume: VolumeRow | undefined, p: MigrateVolumePayload): volume is VolumeRow {
  return volume !== undefined && volume.host === p.source_host && IN_PROGRESS.includes(volume.migration_status ?? '');
}

function stagingDir(ctx: OperationContext): string {
  if (!ctx.stagingDir) throw new Error('no staging area for a migration between hosts: set backup.path to storage every worker host mounts');
  return ctx.stagingDir;
}

/** Bytes compared per read: large reads keep a GiB of sparse holes to about a second. */
const COMPARE_CHUNK = 4 * 1024 * 1024;

/**
 * Whether two files hold the same bytes. Buffer.compare is a memcmp, several times faster than
 * coreutils cmp on the zero pages a sparse volume mostly is.
 */
export async function sameData(a: string, b: string): Promise<boolean> {
  const [fa, fb] = await Promise.all([fs.open(a, 'r'), fs.open(b, 'r')]);
  try {
    const ba = Buffer.allocUnsafe(COMPARE_CHUNK);
    const bb = Buffer.allocUnsafe(COMPARE_CHUNK);
    for (let pos = 0; ;) {
      const [ra, rb] = await Promise.all([fa.read(ba, 0, COMPARE_CHUNK, pos), fb.read(bb, 0, COMPARE_CHUNK, pos)]);
      if (ra.bytesRead !== rb.bytesRead || ba.compare(bb, 0, rb.bytesRead, 0, ra.bytesRead) !== 0) return false;
      if (ra.bytesRead === 0) return true;
      pos += ra.bytesRead;
    }
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}

/** A copy counts only once it equals its source, byte for byte. */
async function requireSameData(a: string, b: string): Promise<void> {
  if (!(await sameData(a, b))) throw new Error(`migration copy ${path.basename(b)} differs from its source ${path.basename(a)}`);
}

async function stageCopy(ctx: OperationContext, source: string, op: OperationRow): Promise<string> {
  const dir = stagingDir(ctx);
  await fs.mkdir(dir, { recursive: true });
  const name = `volume-${op.resource_id}.${op.id}`;
  const file = path.join(dir, name);
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await copySparse(source, tmp);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await requireSameData(source, file);
  return name;
}

/** Queues a migration phase for the worker of `host`, in the caller's transaction. */
export async function queueMigrationPhase(
  ctx: Pick<OperationContext, 'now'>,
  trx: Db,
  op: Pick<OperationRow, 'resource_id' | 'request_id'>,
  payload: MigrateVolumePayload,
  host: string,
): Promise<void> {
  await enqueueOperation(
    trx,
    { kind: 'migrate_volume', resource_type: 'volume', resource_id: op.resource_id, payload, request_id: op.request_id, host, backend: null },
    ctx.now(),
  );
}

const next = queueMigrationPhase;

/** The volume's status once the migration is over: what it was before, if the migration (or retype) held it. */
function statusAfter(volume: VolumeRow): string {
  return ['maintenance', 'retyping'].includes(volume.status) ? (volume.previous_status ?? 'available') : volume.status;
}

/** The new type's part of a finished retype: type, multiattach, and the old type's per-type quota back. */
async function finishRetype(ctx: OperationContext, trx: Db, volume: VolumeRow, r: RetypeVolumePayload): Promise<void> {
  await updateVolume(trx, volume.id, { volume_type_id: r.new_type_id, multiattach: r.multiattach ? 1 : 0, updated_at: ctx.now() });
  if (r.consumes_quota) await ctx.quota.releaseVolumeType(trx, r.project_id, r.old_type_name, volume.size);
}

export const migrateVolume: OperationHandler<MigrateResult> = {
  action: ACTIONS.MIGRATE_VOLUME,

  async execute(ctx, op) {
    const p = payloadOf<MigrateVolumePayload>(op);
    const volume = await getVolume(ctx.store.db, op.resource_id);
    const ref = { id: op.resource_id, size: volume?.size ?? 0 };
    switch (p.phase) {
      case 'cleanup':
        // Only data the volume no longer lives on: a volume still (or again) here keeps it.
        if (volume?.host !== p.source_host) await ctx.backend.deleteVolume(ref);
        if (p.staged) await fs.rm(path.join(stagingDir(ctx), p.staged), { force: true });
        return {};
      case 'discard':
        if (volume?.host !== p.dest_host) await ctx.backend.deleteVolume(ref);
        if (p.staged) await fs.rm(path.join(stagingDir(ctx), p.staged), { force: true });
        return {};
      case 'copy': {
        if (!stillMigrating(volume, p)) return { skipped: true };
        await updateVolume(ctx.store.db, volume.id, { migration_status: 'migrating', updated_at: ctx.now() });
        const source = ctx.backend.volumePath(volume.id);
        const local = ctx.backends?.forHost(p.dest_host);
        if (!local) return { staged: await stageCopy(ctx, source, op) };
        const placed = await local.importVolume(ref, source);
        await requireSameData(source, local.volumePath(volume.id));
        return { location: placed.providerLocation };
      }
      case 'receive': {
        if (!stillMigrating(volume, p) || !p.staged) return { skipped: true };
        const staged = path.join(stagingDir(ctx), p.staged);
        const placed = await ctx.backend.importVolume(ref, staged);
        await requireSameData(staged, ctx.backend.volumePath(volume.id));
        return { location: placed.providerLocation };
      }
    }
  },

  async complete(ctx, trx, op, result) {
    const p = payloadOf<MigrateVolumePayload>(op);
    if (p.phase === 'cleanup' || p.phase === 'discard' || result.skipped) return;
    if (result.staged) return next(ctx, trx, op, { ...p, phase: 'receive', staged: result.staged }, p.dest_host);
    const volume = await getVolume(trx, op.resource_id);
    if (!stillMigrating(volume, p)) {
      // Deleted or reset while the copy ran: the copy is nobody's.
      return next(ctx, trx, op, { ...p, phase: 'discard' }, p.dest_host);
    }
    await updateVolume(trx, volume.id, {
      host: p.dest_host,
      provider_location: result.location ?? volume.provider_location,
      migration_status: 'success',
      status: statusAfter(volume),
      updated_at: ctx.now(),
    });
    if (p.retype) await finishRetype(ctx, trx, volume, p.retype);
    await next(ctx, trx, op, { ...p, phase: 'cleanup' }, p.source_host);
  },

  async markFailed(ctx, trx, op) {
    const p = payloadOf<MigrateVolumePayload>(op);
    if (p.phase === 'cleanup' || p.phase === 'discard') return;
    const volume = await getVolume(trx, op.resource_id);
    if (stillMigrating(volume, p)) {
      await updateVolume(trx, volume.id, { migration_status: 'error', status: statusAfter(volume), updated_at: ctx.now() });
    }
    if (p.retype?.consumes_quota) await ctx.quota.releaseVolumeType(trx, p.retype.project_id, p.retype.new_type_name, p.retype.size);
    await next(ctx, trx, op, { ...p, phase: 'discard' }, p.dest_host);
  },
};
