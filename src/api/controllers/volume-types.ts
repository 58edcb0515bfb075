/*
 * Volume types, extra specs, type access (private types) and 3.62 default types. Writes and access lists
 * are admin-only (the service checks).
 */
import type { Request, Response } from 'restify';
import { BadRequestError } from '../../errors';
import { seesTypeAccessFlag } from '../../services/volume-type-service';
import type { ApiDeps } from '../deps';
import { actionRoute, ctxOf, param, queryOf, viewOf, sendEmpty } from '../request';
import { isPublicFilter } from '../list-query';
import { toBoolean } from '../schemas/parameter-types';
import {
  validateAddProjectAccess,
  validateDefaultTypeSet,
  validateExtraSpecKeyBody,
  validateExtraSpecsBody,
  validateRemoveProjectAccess,
  validateTypeCreate,
  validateTypeUpdate,
} from '../schemas/volume-types';
import { typeAccessList, volumeType, volumeTypeList } from '../views/volume-types';
import { specRoutes } from './type-specs';

export function volumeTypeController(deps: ApiDeps) {
  const specs = specRoutes({
    idParam: 'type_id',
    bodyKey: 'extra_specs',
    createStatus: 200,
    validateAll: validateExtraSpecsBody,
    validateOne: validateExtraSpecKeyBody,
    specs: deps.types.specs,
  });
  return {
    listExtraSpecs: specs.list,
    createExtraSpecs: specs.create,
    showExtraSpec: specs.show,
    updateExtraSpec: specs.update,
    deleteExtraSpec: specs.remove,

    async list(req: Request, res: Response): Promise<void> {
      const ctx = ctxOf(req);
      const types = await deps.types.list(ctx, isPublicFilter(queryOf(req).is_public));
      res.send(200, volumeTypeList(viewOf(req), types, seesTypeAccessFlag(ctx)));
    },

    async show(req: Request, res: Response): Promise<void> {
      const ctx = ctxOf(req);
      const id = param(req, 'type_id');
      const route = id === 'default' ? 'default' : 'show';
      res.send(200, { volume_type: volumeType(viewOf(req), await deps.types.get(ctx, id), { route, accessFlag: seesTypeAccessFlag(ctx) }) });
    },

    async create(req: Request, res: Response): Promise<void> {
      const { volume_type: t } = validateTypeCreate(req.body);
      const isPublic = t['os-volume-type-access:is_public'];
      const created = await deps.types.create(ctxOf(req), {
        name: t.name.trim(),
        description: t.description,
        is_public: isPublic === undefined ? undefined : toBoolean(isPublic),
        extra_specs: t.extra_specs,
      });
      res.send(200, { volume_type: volumeType(viewOf(req), created, { route: 'create', accessFlag: seesTypeAccessFlag(ctxOf(req)) }) });
    },

    async update(req: Request, res: Response): Promise<void> {
      const { volume_type: t } = validateTypeUpdate(req.body);
      const name = t.name ?? undefined;
      if (name === undefined && (t.description === undefined || t.description === null) && (t.is_public === undefined || t.is_public === null)) {
        throw new BadRequestError('Specify volume type name, description, is_public or a combination thereof.');
      }
      if (name !== undefined && name.trim() === '') throw new BadRequestError('Volume type name can not be empty.');
      const updated = await deps.types.update(ctxOf(req), param(req, 'type_id'), {
        name: name?.trim(),
        description: t.description ?? undefined,
        is_public: t.is_public === undefined || t.is_public === null ? undefined : toBoolean(t.is_public),
      });
      res.send(200, { volume_type: volumeType(viewOf(req), updated, { route: 'update', accessFlag: false }) });
    },

    async listAccess(req: Request, res: Response): Promise<void> {
      res.send(200, typeAccessList(await deps.types.listAccess(ctxOf(req), param(req, 'type_id'))));
    },

    /** POST /types/{id}/action: addProjectAccess, removeProjectAccess (202, no body). */
    action: actionRoute('type_id', {
      async addProjectAccess(req, res, id) {
        await deps.types.addAccess(ctxOf(req), id, validateAddProjectAccess(req.body).addProjectAccess.project);
        sendEmpty(res, 202);
      },
      async removeProjectAccess(req, res, id) {
        await deps.types.removeAccess(ctxOf(req), id, validateRemoveProjectAccess(req.body).removeProjectAccess.project);
        sendEmpty(res, 202);
      },
    }),

    async remove(req: Request, res: Response): Promise<void> {
      await deps.types.delete(ctxOf(req), param(req, 'type_id'));
      sendEmpty(res, 202);
    },

    async listDefaults(req: Request, res: Response): Promise<void> {
      res.send(200, { default_types: await deps.types.listDefaults(ctxOf(req)) });
    },

    async showDefault(req: Request, res: Response): Promise<void> {
      res.send(200, { default_type: await deps.types.getDefault(ctxOf(req), param(req, 'target_project_id')) });
    },

    async setDefault(req: Request, res: Response): Promise<void> {
      const { default_type } = validateDefaultTypeSet(req.body);
      res.send(200, { default_type: await deps.types.setDefault(ctxOf(req), param(req, 'target_project_id'), default_type.volume_type) });
    },

    async unsetDefault(req: Request, res: Response): Promise<void> {
      await deps.types.unsetDefault(ctxOf(req), param(req, 'target_project_id'));
      sendEmpty(res, 204);
    },
  };
}
