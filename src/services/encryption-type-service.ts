/*
 * Volume-type encryption (cinder/api/contrib/volume_type_encryption.py): at most one encryption spec
 * per type (provider, control_location, cipher, key_size). Admin-only (cinder/policies/volume_type.py).
 * While volumes of the type exist, the spec cannot be created, updated or deleted: those volumes were
 * made with the spec as it is. New volumes of an encrypted type are encrypted (volume-service.ts).
 */
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../context';
import type { Db, Store } from '../db/store';
import type { EncryptionRow } from '../db/admin-schema';
import * as eq from '../db/queries/encryption-types';
import { getType } from '../db/queries/volume-types';
import { countVolumesOfType } from '../db/queries/volumes';
import { nowIso } from '../db/time';
import { BadRequestError, VolumeTypeEncryptionExistsError, VolumeTypeEncryptionNotFoundError, VolumeTypeNotFoundError } from '../errors';
import { requireAdmin } from './volume-type-service';

export type { EncryptionSpecs } from '../db/queries/encryption-types';

async function requireType(db: Db, typeId: string): Promise<void> {
  if (!(await getType(db, typeId))) throw new VolumeTypeNotFoundError(typeId);
}

async function refuseInUse(db: Db, typeId: string, verb: 'create' | 'update' | 'delete'): Promise<void> {
  if ((await countVolumesOfType(db, typeId)) > 0) throw new BadRequestError(`Cannot ${verb} encryption specs. Volume type in use.`);
}

export class EncryptionTypeService {
  constructor(private readonly store: Store) {}

  /** The type's encryption, or undefined when it has none; 404 for no such type. */
  async get(ctx: RequestContext, typeId: string): Promise<EncryptionRow | undefined> {
    requireAdmin(ctx);
    await requireType(this.store.db, typeId);
    return eq.getEncryption(this.store.db, typeId);
  }

  /** Checks in Cinder's order: in use (400), no such type (404), encryption exists (400). */
  async create(ctx: RequestContext, typeId: string, specs: eq.EncryptionSpecs & Pick<EncryptionRow, 'provider' | 'control_location'>): Promise<EncryptionRow> {
    requireAdmin(ctx);
    return this.store.transaction(async (trx) => {
      await refuseInUse(trx, typeId, 'create');
      await requireType(trx, typeId);
      if (await eq.getEncryption(trx, typeId)) throw new VolumeTypeEncryptionExistsError(typeId);
      await eq.insertEncryption(trx, {
        encryption_id: randomUUID(),
        volume_type_id: typeId,
        provider: specs.provider,
        control_location: specs.control_location,
        cipher: specs.cipher ?? null,
        key_size: specs.key_size ?? null,
        created_at: nowIso(),
      });
      return (await eq.getEncryption(trx, typeId))!;
    });
  }

  /** Changes the given fields. Checks: no such type (404), in use (400), no encryption (404). */
  async update(ctx: RequestContext, typeId: string, specs: eq.EncryptionSpecs): Promise<void> {
    requireAdmin(ctx);
    await this.store.transaction(async (trx) => {
      await requireType(trx, typeId);
      await refuseInUse(trx, typeId, 'update');
      if (!(await eq.updateEncryption(trx, typeId, { ...specs, updated_at: nowIso() }))) throw new VolumeTypeEncryptionNotFoundError(typeId);
    });
  }

  /** Checks: in use (400), no encryption (404; also for a type that does not exist, as in Cinder). */
  async delete(ctx: RequestContext, typeId: string): Promise<void> {
    requireAdmin(ctx);
    await this.store.transaction(async (trx) => {
      await refuseInUse(trx, typeId, 'delete');
      if (!(await eq.markEncryptionDeleted(trx, typeId, nowIso()))) throw new VolumeTypeEncryptionNotFoundError(typeId);
    });
  }
}
