/* Volumes: create, list (summary, detail), show, update, delete, summary. Thin: validate, call, render. */
import type { Request, Response } from 'restify';
import { InvalidInputError, NotFoundError } from '../../errors';
import type { CreateVolumeInput } from '../../services/volume-service';
import type { ApiDeps } from '../deps';
import { LIST_RESOURCES, truthy } from '../list-query';
import { pagedListRoutes } from '../list-route';
import { MV } from '../microversions';
import { ctxOf, param, queryOf, viewOf, sendEmpty, trimmed } from '../request';
import { validateVolumeCreate, validateVolumeCreateLegacy, validateVolumeUpdate, validateVolumeUpdateLegacy } from '../schemas/volumes';
import * as view from '../views/volumes';

/** `withGroup`: 3.13+, where Cinder reads `group_id` (ignored below). */
function toCreateInput(body: ReturnType<typeof validateVolumeCreate>, withGroup: boolean): CreateVolumeInput {
  const v = body.volume;
  let size: number | undefined;
  if (v.size !== undefined && v.size !== null) {
    size = Number(v.size);
    if (size < 1) throw new InvalidInputError(`Volume size '${v.size}' must be an integer and greater than 0`);
  }
  if (v.multiattach === true || (typeof v.multiattach === 'string' && truthy(v.multiattach))) {
    throw new InvalidInputError('The multiattach flag is not supported on create: use a volume type with multiattach="<is> True".');
  }
  if (v.imageRef) throw new InvalidInputError('Creating a volume from an image is not supported by this service (no image service).');
  if (v.consistencygroup_id) throw new NotFoundError(`ConsistencyGroup ${v.consistencygroup_id} could not be found.`);
  return {
    size,
    name: trimmed(v.name !== undefined ? v.name : v.display_name),
    description: trimmed(v.description !== undefined ? v.description : v.display_description),
    volume_type: v.volume_type,
    availability_zone: v.availability_zone,
    metadata: v.metadata,
    snapshot_id: v.snapshot_id,
    source_volid: v.source_volid,
    backup_id: v.backup_id,
    group_id: withGroup ? v.group_id : undefined,
  };
}

export function volumeController(deps: ApiDeps) {
  return {
    ...pagedListRoutes(deps.config.max_limit, LIST_RESOURCES.volumes, (ctx, input) => deps.volumes.list(ctx, input), view),

    async create(req: Request, res: Response): Promise<void> {
      const strict = req.apiVersion!.atLeast(MV.SUPPORT_VOLUME_SCHEMA_CHANGES);
      const body = (strict ? validateVolumeCreate : validateVolumeCreateLegacy)(req.body);
      const record = await deps.volumes.create(ctxOf(req), toCreateInput(body, req.apiVersion!.atLeast(MV.GROUP_VOLUME)));
      res.send(202, { volume: view.detail(viewOf(req), record, { adminKeys: false }) });
    },

    async show(req: Request, res: Response): Promise<void> {
      const record = await deps.volumes.get(ctxOf(req), param(req, 'volume_id'));
      res.send(200, { volume: view.detail(viewOf(req), record, { adminKeys: true }) });
    },

    async update(req: Request, res: Response): Promise<void> {
      const strict = req.apiVersion!.atLeast(MV.SUPPORT_VOLUME_SCHEMA_CHANGES);
      const { volume: v } = (strict ? validateVolumeUpdate : validateVolumeUpdateLegacy)(req.body);
      const name = v.name !== undefined ? v.name : v.display_name;
      const description = v.description !== undefined ? v.description : v.display_description;
      const record = await deps.volumes.update(ctxOf(req), param(req, 'volume_id'), {
        name: trimmed(name),
        description: trimmed(description),
        metadata: v.metadata,
      });
      res.send(200, { volume: view.detail(viewOf(req), record, { adminKeys: false }) });
    },

    async remove(req: Request, res: Response): Promise<void> {
      const query = queryOf(req);
      // Cinder reads `force` only from 3.23 on; below, it is ignored.
      const force = req.apiVersion!.atLeast(MV.VOLUME_DELETE_FORCE) && truthy(query.force);
      await deps.volumes.delete(ctxOf(req), param(req, 'volume_id'), { force, cascade: truthy(query.cascade) });
      sendEmpty(res, 202);
    },

    async summary(req: Request, res: Response): Promise<void> {
      const s = await deps.volumes.summary(ctxOf(req), truthy(queryOf(req).all_tenants));
      const body: Record<string, unknown> = { total_count: s.total_count, total_size: s.total_size };
      if (req.apiVersion!.atLeast(MV.VOLUME_SUMMARY_METADATA)) body.metadata = s.metadata;
      res.send(200, { 'volume-summary': body });
    },
  };
}
