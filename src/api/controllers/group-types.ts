/* Group types and group specs (3.11): writes and specs admin-only (the service checks). Thin: validate, call, render. */
import type { Request, Response } from 'restify';
import { BadRequestError, InvalidInputError } from '../../errors';
import { GROUP_TYPE_SORT_COLUMNS, type GroupTypeSort } from '../../services/group-type-service';
import type { ApiDeps } from '../deps';
import { isPublicFilter, parseSort } from '../list-query';
import { ctxOf, param, queryOf, sendEmpty, viewOf } from '../request';
import { toBoolean } from '../schemas/parameter-types';
import { validateGroupSpecKeyBody, validateGroupSpecsBody, validateGroupTypeCreate, validateGroupTypeUpdate } from '../schemas/groups';
import { groupType } from '../views/groups';
import { specRoutes } from './type-specs';

/** `sort` / `sort_key` / `sort_dir` over the group type columns (400 "Invalid sort key" for others). */
function groupTypeSort(query: Record<string, string>): GroupTypeSort {
  return parseSort(query).map(({ key, dir }) => {
    const column = GROUP_TYPE_SORT_COLUMNS.find((c) => c === key);
    if (!column) throw new InvalidInputError('Invalid sort key');
    return { column, dir };
  });
}

export function groupTypeController(deps: ApiDeps) {
  const specs = specRoutes({
    idParam: 'group_type_id',
    bodyKey: 'group_specs',
    createStatus: 202,
    validateAll: validateGroupSpecsBody,
    validateOne: validateGroupSpecKeyBody,
    specs: deps.groupTypes.specs,
  });
  return {
    /** The group spec routes (list, create, show, update, remove). */
    specs,

    async list(req: Request, res: Response): Promise<void> {
      const query = queryOf(req);
      const types = await deps.groupTypes.list(ctxOf(req), isPublicFilter(query.is_public), groupTypeSort(query));
      res.send(200, { group_types: types.map((t) => groupType(viewOf(req), t)) });
    },

    async show(req: Request, res: Response): Promise<void> {
      res.send(200, { group_type: groupType(viewOf(req), await deps.groupTypes.get(ctxOf(req), param(req, 'group_type_id'))) });
    },

    async create(req: Request, res: Response): Promise<void> {
      const { group_type: t } = validateGroupTypeCreate(req.body);
      const created = await deps.groupTypes.create(ctxOf(req), {
        name: t.name,
        description: t.description,
        is_public: t.is_public === undefined ? true : toBoolean(t.is_public),
        group_specs: t.group_specs,
      });
      res.send(202, { group_type: groupType(viewOf(req), created) });
    },

    async update(req: Request, res: Response): Promise<void> {
      const { group_type: t } = validateGroupTypeUpdate(req.body);
      if (t.name && t.name.trim() === '') throw new BadRequestError('Group type name can not be empty.');
      if ((t.name ?? null) === null && (t.description ?? null) === null && t.is_public === undefined) {
        throw new BadRequestError('Specify group type name, description or a combination thereof.');
      }
      const updated = await deps.groupTypes.update(ctxOf(req), param(req, 'group_type_id'), {
        name: t.name ?? undefined,
        description: t.description ?? undefined,
        is_public: t.is_public === undefined ? undefined : toBoolean(t.is_public),
      });
      res.send(200, { group_type: groupType(viewOf(req), updated) });
    },

    async remove(req: Request, res: Response): Promise<void> {
      await deps.groupTypes.delete(ctxOf(req), param(req, 'group_type_id'));
      sendEmpty(res, 202);
    },
  };
}
