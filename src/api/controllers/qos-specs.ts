/*
 * QoS specs (cinder/api/contrib/qos_specs_manage.py), admin-only, at every microversion: CRUD, set
 * keys (PUT), delete_keys, associations, and the GET actions associate / disassociate (?vol_type_id=)
 * and disassociate_all. Thin: validate, call the service, render.
 */
import type { Request, Response } from 'restify';
import { BadRequestError } from '../../errors';
import { QOS_FILTER_COLUMNS, QOS_SORT_COLUMNS, type QosFilter, type QosListInput } from '../../services/qos-spec-service';
import { requireAdmin } from '../../services/volume-type-service';
import type { ApiDeps } from '../deps';
import { type ListResource, unknownFiltersMatchNothing } from '../list-query';
import { listRequest } from '../list-route';
import { ctxOf, param, queryOf, sendEmpty, viewOf } from '../request';
import { checkCreateSpecs, checkQosName, validateQosCreate, validateQosSet, validateQosUnset } from '../schemas/qos-specs';
import * as view from '../views/qos-specs';

/** Paging and sorting as every list; filters id, name and consumer (exact); other keys match nothing. */
const QOS_LIST: ListResource<QosListInput> = {
  sortKeys: QOS_SORT_COLUMNS,
  counts: false,
  filters(ctx, version, raw) {
    const filters: QosFilter[] = [];
    const unknown: string[] = [];
    for (const [key, value] of Object.entries(raw)) {
      const column = QOS_FILTER_COLUMNS.find((c) => c === key);
      if (column) filters.push({ column, value });
      else unknown.push(key);
    }
    return { filters, matchesNothing: unknownFiltersMatchNothing(ctx, version, unknown) };
  },
};

/** `force` of DELETE as utils.get_bool_param reads it: absent is false, a non-boolean is 400. */
function forceParam(raw: string | undefined): boolean {
  if (raw === undefined) return false;
  const v = raw.trim().toLowerCase();
  if (['true', '1', 't', 'yes', 'y', 'on'].includes(v)) return true;
  if (['false', '0', 'f', 'no', 'n', 'off'].includes(v)) return false;
  throw new BadRequestError(`Value '${raw}' for 'force' is not a boolean.`);
}

export function qosSpecController(deps: Pick<ApiDeps, 'qosSpecs' | 'config'>) {
  const qos = deps.qosSpecs;

  return {
    async list(req: Request, res: Response): Promise<void> {
      // Policy before the query, as Cinder authorizes first: a member gets 403, not a 400 for its limit.
      requireAdmin(ctxOf(req));
      const { ctx, query, input } = listRequest(req, deps.config.max_limit, QOS_LIST);
      const records = await qos.list(ctx, input);
      res.send(200, view.list(viewOf(req), { records, limit: input.limit, query }));
    },

    async create(req: Request, res: Response): Promise<void> {
      const { qos_specs: body } = validateQosCreate(req.body);
      const { name, ...specs } = body as Record<string, unknown> & { name: string };
      const created = await qos.create(ctxOf(req), { name: checkQosName(name), specs: checkCreateSpecs(specs) });
      res.send(200, view.detail(viewOf(req), created));
    },

    async show(req: Request, res: Response): Promise<void> {
      res.send(200, view.detail(viewOf(req), await qos.get(ctxOf(req), param(req, 'qos_id'))));
    },

    /** Answers with the request body, as Cinder does. */
    async update(req: Request, res: Response): Promise<void> {
      const body = validateQosSet(req.body);
      await qos.setKeys(ctxOf(req), param(req, 'qos_id'), body.qos_specs);
      res.send(200, body);
    },

    async remove(req: Request, res: Response): Promise<void> {
      const ctx = ctxOf(req);
      requireAdmin(ctx);
      await qos.delete(ctx, param(req, 'qos_id'), forceParam(queryOf(req).force));
      sendEmpty(res, 202);
    },

    async deleteKeys(req: Request, res: Response): Promise<void> {
      const { keys } = validateQosUnset(req.body);
      await qos.deleteKeys(ctxOf(req), param(req, 'qos_id'), keys);
      sendEmpty(res, 202);
    },

    async associations(req: Request, res: Response): Promise<void> {
      res.send(200, view.associations(await qos.associations(ctxOf(req), param(req, 'qos_id'))));
    },

    async associate(req: Request, res: Response): Promise<void> {
      await qos.associate(ctxOf(req), param(req, 'qos_id'), queryOf(req).vol_type_id);
      sendEmpty(res, 202);
    },

    async disassociate(req: Request, res: Response): Promise<void> {
      await qos.disassociate(ctxOf(req), param(req, 'qos_id'), queryOf(req).vol_type_id);
      sendEmpty(res, 202);
    },

    async disassociateAll(req: Request, res: Response): Promise<void> {
      await qos.disassociateAll(ctxOf(req), param(req, 'qos_id'));
      sendEmpty(res, 202);
    },
  };
}
