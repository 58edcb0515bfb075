/* Volume types, extra specs and 3.62 default types. Writes are admin-only (the service checks). */
import type { Request, Response } from 'restify';
import { BadRequestError, InvalidInputError } from '../../errors';
import type { ApiDeps } from '../deps';
import { ctxOf, param, queryOf, viewOf, sendEmpty } from '../request';
import { toBoolean } from '../schemas/parameter-types';
import { validateDefaultTypeSet, validateExtraSpecKeyBody, validateExtraSpecsBody, validateTypeCreate, validateTypeUpdate } from '../schemas/volume-types';
import { volumeType, volumeTypeList } from '../views/volume-types';

/** `is_public`: admins get public types when omitted and all with `None`; anything else is a boolean. */
function isPublicFilter(raw: string | undefined): boolean | undefined {
  if (raw === undefined) return true;
  if (raw.toLowerCase() === 'none') return undefined;
  const v = raw.trim().toLowerCase();
  if (['true', '1', 't', 'yes', 'y', 'on'].includes(v)) return true;
  if (['false', '0', 'f', 'no', 'n', 'off'].includes(v)) return false;
  throw new BadRequestError(`Invalid is_public filter [${raw}]`);
}

export function volumeTypeController(deps: ApiDeps) {
  return {
    async list(req: Request, res: Response): Promise<void> {
      const types = await deps.types.list(ctxOf(req), isPublicFilter(queryOf(req).is_public));
      res.send(200, volumeTypeList(viewOf(req), types));
    },

    async show(req: Request, res: Response): Promise<void> {
      res.send(200, { volume_type: volumeType(viewOf(req), await deps.types.get(ctxOf(req), param(req, 'type_id'))) });
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
      res.send(200, { volume_type: volumeType(viewOf(req), created) });
    },

    async update(req: Request, res: Response): Promise<void> {
      const { volume_type: t } = validateTypeUpdate(req.body);
      const name = t.name ?? undefined;
      if (name === undefined && (t.description === undefined || t.description === null) && (t.is_public === undefined || t.is_public === null)) {
        throw new InvalidInputError('Specify volume type name, description, is_public or a combination thereof.');
      }
      if (name !== undefined && name.trim() === '') throw new InvalidInputError('Volume type name can not be empty.');
      const updated = await deps.types.update(ctxOf(req), param(req, 'type_id'), {
        name: name?.trim(),
        description: t.description ?? undefined,
        is_public: t.is_public === undefined || t.is_public === null ? undefined : toBoolean(t.is_public),
      });
      res.send(200, { volume_type: volumeType(viewOf(req), updated) });
    },

    async remove(req: Request, res: Response): Promise<void> {
      await deps.types.delete(ctxOf(req), param(req, 'type_id'));
      sendEmpty(res, 202);
    },

    async listExtraSpecs(req: Request, res: Response): Promise<void> {
      res.send(200, { extra_specs: await deps.types.extraSpecs(ctxOf(req), param(req, 'type_id')) });
    },

    async createExtraSpecs(req: Request, res: Response): Promise<void> {
      const body = validateExtraSpecsBody(req.body);
      await deps.types.setExtraSpecs(ctxOf(req), param(req, 'type_id'), body.extra_specs);
      res.send(200, body);
    },

    async showExtraSpec(req: Request, res: Response): Promise<void> {
      const key = param(req, 'key');
      res.send(200, { [key]: await deps.types.extraSpec(ctxOf(req), param(req, 'type_id'), key) });
    },

    async updateExtraSpec(req: Request, res: Response): Promise<void> {
      const key = param(req, 'key');
      const body = validateExtraSpecKeyBody(req.body);
      if (!(key in body)) throw new BadRequestError('Request body and URI mismatch');
      await deps.types.setExtraSpecs(ctxOf(req), param(req, 'type_id'), body);
      res.send(200, body);
    },

    async deleteExtraSpec(req: Request, res: Response): Promise<void> {
      await deps.types.deleteExtraSpec(ctxOf(req), param(req, 'type_id'), param(req, 'key'));
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
