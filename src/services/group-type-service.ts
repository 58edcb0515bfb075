/*
 * Group types and their group specs (3.11; cinder/api/v3/group_types.py, group_specs.py,
 * cinder/volume/group_types.py). Writes and every spec route are admin-only (cinder/policies/group_types.py);
 * lists and shows are open, a non-admin sees public types only and no specs. Cinder's `default_group_type`
 * option is unset by default, and so here: `GET /group_types/default` is its 404.
 */
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../context';
import type { Db, Store } from '../db/store';
import type { GroupTypeRow } from '../db/group-schema';
import * as gq from '../db/queries/groups';
import { nowIso } from '../db/time';
import { BadRequestError, ConflictError, GroupTypeNotFoundByNameError, GroupTypeNotFoundError, GroupTypeSpecsNotFoundError, NotFoundError } from '../errors';
import { requireAdmin } from './volume-type-service';
import { TypeSpecs } from './type-specs';
import { typeChanges } from './rows';

export interface GroupTypeWithSpecs extends GroupTypeRow {
  group_specs: Record<string, string>;
}

/** The columns a group type list may be sorted by (the API reads them from here, never from src/db). */
export const GROUP_TYPE_SORT_COLUMNS = gq.GROUP_TYPE_SORT_COLUMNS;

export type GroupTypeSort = { column: gq.GroupTypeSortColumn; dir: 'asc' | 'desc' }[];

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export class GroupTypeService {
  /** Group specs, every route admin-only (type-specs.ts, shared with extra specs). */
  readonly specs: TypeSpecs;

  constructor(private readonly store: Store) {
    this.specs = new TypeSpecs(store, {
      read: async (ctx, id) => {
        requireAdmin(ctx);
        return (await this.get(ctx, id)).group_specs;
      },
      find: gq.getGroupType,
      set: gq.setGroupSpecs,
      deleteKey: gq.deleteGroupSpec,
      typeNotFound: (id) => new GroupTypeNotFoundError(id),
      keyNotFound: (id, key) => new GroupTypeSpecsNotFoundError(id, key),
      // The show route's own text (cinder/api/v3/group_specs.py).
      shownKeyNotFound: (id, key) => new NotFoundError(`Group Type ${id} has no extra spec with key ${key}.`),
    });
  }

  private async withSpecs(db: Db, rows: GroupTypeRow[]): Promise<GroupTypeWithSpecs[]> {
    const specs = await gq.groupSpecsFor(
      db,
      rows.map((r) => r.id),
    );
    return rows.map((r) => ({ ...r, group_specs: specs.get(r.id) ?? {} }));
  }

  /** Admins filter by `isPublic` (undefined: all); everyone else lists public types. */
  async list(ctx: RequestContext, isPublic: boolean | undefined, sort: GroupTypeSort): Promise<GroupTypeWithSpecs[]> {
    const rows = await gq.listGroupTypes(this.store.db, ctx.isAdmin ? isPublic : true, [
      ...sort,
      { column: 'created_at', dir: 'asc' },
      { column: 'id', dir: 'asc' },
    ]);
    return this.withSpecs(this.store.db, rows);
  }

  /** One type by id; a private one is not found for a non-admin. `default`: Cinder's unset default group type. */
  async get(ctx: RequestContext, id: string, db: Db = this.store.db): Promise<GroupTypeWithSpecs> {
    if (id === 'default') throw new NotFoundError('Default group type can not be found.');
    const row = await gq.getGroupType(db, id);
    if (!row || (!row.is_public && !ctx.isAdmin)) throw new GroupTypeNotFoundError(id);
    return (await this.withSpecs(db, [row]))[0];
  }

  /**
   * The group type a group create names, by id or name (Cinder's group API: a UUID-like value is tried
   * as an id, then as a name).
   */
  async resolve(db: Db, nameOrId: string, ctx: RequestContext): Promise<GroupTypeRow> {
    const visible = (row: GroupTypeRow | undefined) => (row && (row.is_public || ctx.isAdmin) ? row : undefined);
    if (UUID_RE.test(nameOrId)) {
      const row = visible(await gq.getGroupType(db, nameOrId)) ?? visible(await gq.getGroupTypeByName(db, nameOrId));
      if (!row) throw new GroupTypeNotFoundError(nameOrId);
      return row;
    }
    const row = visible(await gq.getGroupTypeByName(db, nameOrId));
    if (!row) throw new GroupTypeNotFoundByNameError(nameOrId);
    return row;
  }

  async create(
    ctx: RequestContext,
    input: { name: string; description?: string | null; is_public: boolean; group_specs?: Record<string, string> | null },
  ): Promise<GroupTypeWithSpecs> {
    requireAdmin(ctx);
    return this.store.transaction(async (trx) => {
      if (await gq.getGroupTypeByName(trx, input.name)) throw new ConflictError(`Group Type ${input.name} already exists.`);
      const id = randomUUID();
      await gq.insertGroupType(trx, { id, name: input.name, description: input.description ?? null, is_public: input.is_public ? 1 : 0, created_at: nowIso() });
      if (input.group_specs) await gq.setGroupSpecs(trx, id, input.group_specs);
      return this.get(ctx, id, trx);
    });
  }

  async update(ctx: RequestContext, id: string, input: { name?: string; description?: string; is_public?: boolean }): Promise<GroupTypeWithSpecs> {
    requireAdmin(ctx);
    return this.store.transaction(async (trx) => {
      const row = await gq.getGroupType(trx, id);
      if (!row) throw new GroupTypeNotFoundError(id);
      if (input.name !== undefined && input.name !== row.name && (await gq.getGroupTypeByName(trx, input.name))) {
        throw new ConflictError(`Group Type ${input.name} already exists.`);
      }
      await gq.updateGroupType(trx, id, typeChanges(input, nowIso()));
      return this.get(ctx, id, trx);
    });
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    requireAdmin(ctx);
    await this.store.transaction(async (trx) => {
      if (!(await gq.getGroupType(trx, id))) throw new GroupTypeNotFoundError(id);
      if (await gq.groupTypeInUse(trx, id)) throw new BadRequestError('Target group type is still in use.');
      await gq.markGroupTypeDeleted(trx, id, nowIso());
    });
  }
}
