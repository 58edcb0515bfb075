/*
 * Clusters (3.7, cinder/api/v3/clusters.py) and the workers cleanup (3.24, cinder/api/v3/workers.py),
 * admin-only. Clusters are the services of one binary that share a cluster name (config worker.cluster):
 * list, detail, show (binary cinder-volume) and `PUT /clusters/enable|disable`; another action is 404
 * "Unknown action". Thin: policy first, validate, call the registry, render.
 */
import type { Request, Response } from 'restify';
import { BadRequestError, InvalidInputError, NotFoundError } from '../../errors';
import { cleanableResourceType } from '../../services/service-registry';
import { requireAdmin } from '../../services/volume-type-service';
import type { ApiDeps } from '../deps';
import { summaryAndDetailRoutes } from '../list-route';
import { MV } from '../microversions';
import { boolQueryParam, ctxOf, param, queryOf, viewOf } from '../request';
import { validateCleanup, validateDisableCluster, validateEnableCluster } from '../schemas/services';
import * as view from '../views/services';

const LIST_FILTERS = ['name', 'binary', 'is_up', 'disabled', 'num_hosts', 'num_down_hosts'];
/** From 3.26 (REPLICATION_CLUSTER); nothing here replicates, so they match as the views show them. */
const REPLICATION_FILTERS: Record<string, string> = { replication_status: 'disabled', frozen: 'false', active_backend_id: '' };

/** oslo's bool_from_string: booleans, and the true words (anything else is false). */
function bool(value: boolean | string | undefined): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  return ['1', 't', 'true', 'on', 'y', 'yes'].includes(value.trim().toLowerCase());
}

export function clusterController(deps: Pick<ApiDeps, 'registry'>) {
  const registry = deps.registry;

  async function list(req: Request, res: Response, detail: boolean): Promise<void> {
    const ctx = ctxOf(req);
    requireAdmin(ctx);
    const query = queryOf(req);
    const replication = req.apiVersion!.atLeast(MV.REPLICATION_CLUSTER);
    const allowed = replication ? [...LIST_FILTERS, ...Object.keys(REPLICATION_FILTERS)] : LIST_FILTERS;
    const invalid = Object.keys(query).filter((k) => !allowed.includes(k));
    if (invalid.length) throw new InvalidInputError(`Invalid filter keys: ${invalid.join(', ')}`);
    const number = (raw: string | undefined) => (raw === undefined ? undefined : /^\s*\d+\s*$/.test(raw) ? Number(raw) : -1);
    let records = await registry.clusters(ctx, {
      name: query.name,
      binary: query.binary,
      isUp: query.is_up === undefined ? undefined : boolQueryParam(query.is_up, 'is_up'),
      disabled: query.disabled === undefined ? undefined : boolQueryParam(query.disabled, 'disabled'),
      numHosts: number(query.num_hosts),
      numDownHosts: number(query.num_down_hosts),
    });
    for (const [key, value] of Object.entries(REPLICATION_FILTERS)) {
      if (query[key] !== undefined && query[key].toLowerCase() !== value) records = [];
    }
    res.send(200, view.clusterList(viewOf(req), records, detail));
  }

  return {
    ...summaryAndDetailRoutes(list),

    async show(req: Request, res: Response): Promise<void> {
      res.send(200, { cluster: view.clusterDetail(viewOf(req), await registry.cluster(ctxOf(req), param(req, 'cluster_name'))) });
    },

    async update(req: Request, res: Response): Promise<void> {
      const ctx = ctxOf(req);
      requireAdmin(ctx);
      const action = param(req, 'action');
      if (action !== 'enable' && action !== 'disable') throw new NotFoundError('Unknown action');
      const body = action === 'enable' ? validateEnableCluster(req.body) : validateDisableCluster(req.body);
      if (body.name.trim().length === 0) throw new InvalidInputError('name has a minimum character requirement of 1.');
      const reason = action === 'disable' ? ((body as { disabled_reason?: string | null }).disabled_reason?.trim() ?? null) : null;
      const record = await registry.setClusterEnabled(ctx, {
        name: body.name,
        binary: body.binary === undefined ? 'cinder-volume' : body.binary,
        enabled: action === 'enable',
        reason: reason || null,
      });
      res.send(200, { cluster: { ...view.clusterSummary(viewOf(req), record), disabled_reason: record.row.disabled_reason } });
    },

    async cleanup(req: Request, res: Response): Promise<void> {
      const ctx = ctxOf(req);
      requireAdmin(ctx);
      const body = validateCleanup(req.body ?? {});
      const serviceId = body.service_id === undefined || body.service_id === null || body.service_id === '' ? undefined : Number(body.service_id);
      if (serviceId !== undefined && !Number.isSafeInteger(serviceId)) throw new BadRequestError(`Invalid service_id ${body.service_id}`);
      const result = await registry.cleanup(ctx, {
        serviceId,
        clusterName: body.cluster_name ?? undefined,
        host: body.host ?? undefined,
        binary: body.binary,
        isUp: bool(body.is_up),
        disabled: bool(body.disabled),
        resourceId: body.resource_id ?? undefined,
        resourceType: body.resource_type ? cleanableResourceType(body.resource_type) : undefined,
      });
      res.send(202, view.cleanup(result));
    },
  };
}
