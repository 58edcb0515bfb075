/*
 * The key/value specs of a type, as volume types (extra specs) and group types (group specs) share them:
 * reading them (what the caller may see), one key, setting keys and deleting one (admin-only, each in
 * one transaction on a type that exists). Each type service describes its table once (SpecsTable), as
 * MetadataService does for metadata, and exposes the result as its `specs`.
 */
import type { RequestContext } from '../context';
import type { Db, Store } from '../db/store';
import { requireAdmin } from './volume-type-service';

export interface SpecsTable {
  /** The specs of a type the caller may see, as the caller may see them (the type's 404, or 403). */
  read(ctx: RequestContext, typeId: string): Promise<Record<string, string>>;
  find(db: Db, typeId: string): Promise<object | undefined>;
  set(db: Db, typeId: string, specs: Record<string, string>): Promise<void>;
  /** False when the type has no such key. */
  deleteKey(db: Db, typeId: string, key: string): Promise<boolean>;
  typeNotFound(typeId: string): Error;
  keyNotFound(typeId: string, key: string): Error;
  /** The 404 of showing a missing key, where it is worded otherwise than the delete's (group specs). */
  shownKeyNotFound?(typeId: string, key: string): Error;
}

export class TypeSpecs {
  constructor(
    private readonly store: Store,
    private readonly table: SpecsTable,
  ) {}

  async list(ctx: RequestContext, typeId: string): Promise<Record<string, string>> {
    return this.table.read(ctx, typeId);
  }

  async show(ctx: RequestContext, typeId: string, key: string): Promise<string> {
    const specs = await this.table.read(ctx, typeId);
    if (!(key in specs)) throw (this.table.shownKeyNotFound ?? this.table.keyNotFound)(typeId, key);
    return specs[key];
  }

  async set(ctx: RequestContext, typeId: string, specs: Record<string, string>): Promise<void> {
    requireAdmin(ctx);
    await this.store.transaction(async (trx) => {
      if (!(await this.table.find(trx, typeId))) throw this.table.typeNotFound(typeId);
      await this.table.set(trx, typeId, specs);
    });
  }

  async remove(ctx: RequestContext, typeId: string, key: string): Promise<void> {
    requireAdmin(ctx);
    await this.store.transaction(async (trx) => {
      if (!(await this.table.find(trx, typeId))) throw this.table.typeNotFound(typeId);
      if (!(await this.table.deleteKey(trx, typeId, key))) throw this.table.keyNotFound(typeId, key);
    });
  }
}
