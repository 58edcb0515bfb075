/*
 * Volume types, extra specs, private-type access lists and default types (per project, 3.62). The
 * configured default type is the fallback for volumes created without a type and without a project
 * default. A private type is visible and usable only to admins and to the projects on its access list
 * (cinder/db/api.py _volume_type_get_query); to everyone else it does not exist (404).
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config';
import type { RequestContext } from '../context';
import type { Store, Db } from '../db/store';
import type { VolumeTypeRow } from '../db/schema';
import * as types from '../db/queries/volume-types';
import { countVolumesOfType } from '../db/queries/volumes';
import { volumeTypeUsedByGroups } from '../db/queries/groups';
import { TypeSpecs } from './type-specs';
import { typeChanges } from './rows';
import { nowIso } from '../db/time';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  InvalidVolumeTypeError,
  NotFoundError,
  VolumeTypeAccessExistsError,
  VolumeTypeAccessNotFoundError,
  VolumeTypeExtraSpecsNotFoundError,
  VolumeTypeNotFoundByNameError,
  VolumeTypeNotFoundError,
} from '../errors';

export interface VolumeTypeWithSpecs extends VolumeTypeRow {
  extra_specs: Record<string, string>;
}

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/**
 * Extra specs a non-admin may read (Cinder's USER_VISIBLE_EXTRA_SPECS; policy
 * volume_extension:types_extra_specs:read_sensitive is admin-only). The others name backends and pools.
 */
export const USER_VISIBLE_SPECS: readonly string[] = ['RESKEY:availability_zones', 'multiattach', 'replication_enabled'];

export function requireAdmin(ctx: RequestContext): void {
  if (!ctx.isAdmin) throw new ForbiddenError();
}

/**
 * Whether type views carry `os-volume-type-access:is_public`: policy volume_extension:volume_type_access
 * is admin or project member (a reader-only caller does not see it).
 */
export function seesTypeAccessFlag(ctx: RequestContext): boolean {
  return ctx.isAdmin || ctx.roles.some((r) => r.toLowerCase() === 'member');
}

const PUBLIC_TYPE_ACCESS = 'Type access modification is not applicable to public volume type.';

export class TypeService {
  /** Extra specs (type-specs.ts, shared with group specs); a non-admin reads the user-visible ones only. */
  readonly specs: TypeSpecs;

  constructor(
    private readonly store: Store,
    private readonly config: Pick<Config, 'default_volume_type'>,
  ) {
    this.specs = new TypeSpecs(store, {
      // Issue 9: with Keystone, callers are no longer all admins; the type views filter the same way.
      read: async (ctx, id) => {
        const specs = (await this.get(ctx, id)).extra_specs;
        return ctx.isAdmin ? specs : Object.fromEntries(Object.entries(specs).filter(([k]) => USER_VISIBLE_SPECS.includes(k)));
      },
      find: types.getType,
      set: types.setExtraSpecs,
      deleteKey: types.deleteExtraSpec,
      typeNotFound: (id) => new VolumeTypeNotFoundError(id),
      keyNotFound: (id, key) => new VolumeTypeExtraSpecsNotFoundError(id, key),
    });
  }

  private async withSpecs(db: Db, rows: VolumeTypeRow[]): Promise<VolumeTypeWithSpecs[]> {
    const specs = await types.extraSpecsFor(
      db,
      rows.map((r) => r.id),
    );
    return rows.map((r) => ({ ...r, extra_specs: specs.get(r.id) ?? {} }));
  }

  /**
   * `isPublic` (admins only; others always get true): true lists public types plus the private ones the
   * caller's project is on the access list of, false private ones, undefined all.
   */
  async list(ctx: RequestContext, isPublic: boolean | undefined): Promise<VolumeTypeWithSpecs[]> {
    const rows = await types.listTypes(this.store.db, ctx.isAdmin ? isPublic : true, ctx.projectId);
    return this.withSpecs(this.store.db, rows);
  }

  async get(ctx: RequestContext, id: string, db: Db = this.store.db): Promise<VolumeTypeWithSpecs> {
    if (id === 'default') return this.effectiveDefault(ctx, db);
    const row = await this.visible(db, ctx, await types.getType(db, id));
    if (!row) throw new VolumeTypeNotFoundError(id);
    return (await this.withSpecs(db, [row]))[0];
  }

  /** The row if `caller` may see it (any for an admin or without a caller); else undefined. */
  private async visible(db: Db, caller: RequestContext | undefined, row: VolumeTypeRow | undefined): Promise<VolumeTypeRow | undefined> {
    if (!row || !caller || caller.isAdmin) return row;
    return (await types.isUsableBy(db, row, caller.projectId)) ? row : undefined;
  }

  /**
   * Finds a type by id or name as `volume_type` on volume create allows (volume_types.get_by_name_or_id):
   * a UUID-like value is tried as an id, then as a name. With `caller`, a private type the caller's
   * project may not use is not found; without one (Cinder's elevated look-ups: retype), any type is.
   */
  async resolve(db: Db, nameOrId: string, caller?: RequestContext): Promise<VolumeTypeRow> {
    const byName = async () => this.visible(db, caller, await types.getTypeByName(db, nameOrId));
    if (UUID_RE.test(nameOrId)) {
      const row = (await this.visible(db, caller, await types.getType(db, nameOrId.toLowerCase()))) ?? (await byName());
      if (!row) throw new VolumeTypeNotFoundError(nameOrId);
      return row;
    }
    const row = await byName();
    if (!row) throw new VolumeTypeNotFoundByNameError(nameOrId);
    return row;
  }

  /** The project's 3.62 default, else the configured default type. */
  async defaultTypeFor(db: Db, projectId: string): Promise<VolumeTypeRow> {
    const projectDefault = await types.getDefaultTypeId(db, projectId);
    if (projectDefault) {
      const row = await types.getType(db, projectDefault);
      if (row) return row;
    }
    const row = await types.getTypeByName(db, this.config.default_volume_type);
    if (!row) throw new Error(`configured default_volume_type ${this.config.default_volume_type} does not exist`);
    return row;
  }

  private async effectiveDefault(ctx: RequestContext, db: Db): Promise<VolumeTypeWithSpecs> {
    return (await this.withSpecs(db, [await this.defaultTypeFor(db, ctx.projectId)]))[0];
  }

  async create(
    ctx: RequestContext,
    input: { name: string; description?: string | null; is_public?: boolean; extra_specs?: Record<string, string> },
  ): Promise<VolumeTypeWithSpecs> {
    requireAdmin(ctx);
    return this.store.transaction(async (trx) => {
      if (await types.getTypeByName(trx, input.name)) throw new ConflictError(`Volume Type ${input.name} already exists.`);
      const id = randomUUID();
      await types.insertType(trx, {
        id,
        name: input.name,
        description: input.description ?? null,
        is_public: input.is_public === false ? 0 : 1,
        qos_specs_id: null,
        created_at: nowIso(),
      });
      if (input.extra_specs) await types.setExtraSpecs(trx, id, input.extra_specs);
      return this.get(ctx, id, trx);
    });
  }

  async update(ctx: RequestContext, id: string, input: { name?: string; description?: string | null; is_public?: boolean }): Promise<VolumeTypeWithSpecs> {
    requireAdmin(ctx);
    return this.store.transaction(async (trx) => {
      const row = await types.getType(trx, id);
      if (!row) throw new VolumeTypeNotFoundError(id);
      if (input.name !== undefined && input.name !== row.name) {
        if (await types.getTypeByName(trx, input.name)) throw new ConflictError(`Volume Type ${input.name} already exists.`);
        if (row.name === this.config.default_volume_type) throw new BadRequestError('The default volume type cannot be renamed.');
      }
      await types.updateType(trx, id, typeChanges(input, nowIso()));
      return this.get(ctx, id, trx);
    });
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    requireAdmin(ctx);
    await this.store.transaction(async (trx) => {
      const row = await types.getType(trx, id);
      if (!row) throw new VolumeTypeNotFoundError(id);
      // A live group's volume types are in use too (issue 16), as in Cinder's volume_type_destroy.
      if ((await countVolumesOfType(trx, id)) > 0 || (await volumeTypeUsedByGroups(trx, id))) throw new BadRequestError('Target volume type is still in use.');
      if (row.name === this.config.default_volume_type) throw new BadRequestError('Default volume type can not be deleted');
      if (await types.isProjectDefault(trx, id)) throw new BadRequestError(`Volume type ${id} is the default type of a project and cannot be deleted.`);
      if ((await types.listTypes(trx, undefined)).length <= 1) throw new BadRequestError('The only volume type cannot be deleted.');
      await types.markTypeDeleted(trx, id, nowIso());
    });
  }

  /** GET /types/{id}/os-volume-type-access (admin): the access list of a private type. */
  async listAccess(ctx: RequestContext, id: string): Promise<{ volume_type_id: string; project_id: string }[]> {
    requireAdmin(ctx);
    const row = await types.getType(this.store.db, id);
    if (!row) throw new VolumeTypeNotFoundError(id);
    if (row.is_public) throw new NotFoundError('Access list not available for public volume types.');
    return (await types.getTypeAccess(this.store.db, id)).map((project) => ({ volume_type_id: id, project_id: project }));
  }

  /** addProjectAccess (admin): 409 when the project is on the list already, 400 for a public type. */
  async addAccess(ctx: RequestContext, id: string, projectId: string): Promise<void> {
    requireAdmin(ctx);
    await this.store.transaction(async (trx) => {
      await this.requirePrivate(trx, id);
      if (!(await types.addTypeAccess(trx, id, projectId, nowIso()))) throw new VolumeTypeAccessExistsError(id, projectId);
    });
  }

  /** removeProjectAccess (admin): 404 when the project is not on the list, 400 for a public type. */
  async removeAccess(ctx: RequestContext, id: string, projectId: string): Promise<void> {
    requireAdmin(ctx);
    await this.store.transaction(async (trx) => {
      await this.requirePrivate(trx, id);
      if (!(await types.removeTypeAccess(trx, id, projectId))) throw new VolumeTypeAccessNotFoundError(id, projectId);
    });
  }

  private async requirePrivate(db: Db, id: string): Promise<void> {
    const row = await types.getType(db, id);
    if (!row) throw new VolumeTypeNotFoundError(id);
    if (row.is_public) throw new InvalidVolumeTypeError(PUBLIC_TYPE_ACCESS);
  }

  async listDefaults(ctx: RequestContext): Promise<{ project_id: string; volume_type_id: string }[]> {
    requireAdmin(ctx);
    return types.listDefaultTypes(this.store.db);
  }

  async getDefault(ctx: RequestContext, projectId: string): Promise<{ project_id: string; volume_type_id: string }> {
    requireAdmin(ctx);
    const typeId = await types.getDefaultTypeId(this.store.db, projectId);
    if (!typeId) throw new NotFoundError(`Default type for project ${projectId} could not be found.`);
    return { project_id: projectId, volume_type_id: typeId };
  }

  async setDefault(ctx: RequestContext, projectId: string, nameOrId: string): Promise<{ project_id: string; volume_type_id: string }> {
    requireAdmin(ctx);
    return this.store.transaction(async (trx) => {
      const type = await this.resolve(trx, nameOrId);
      await types.setDefaultType(trx, projectId, type.id);
      return { project_id: projectId, volume_type_id: type.id };
    });
  }

  async unsetDefault(ctx: RequestContext, projectId: string): Promise<void> {
    requireAdmin(ctx);
    if (!(await types.deleteDefaultType(this.store.db, projectId))) throw new NotFoundError(`Default type for project ${projectId} could not be found.`);
  }
}
