/*
 * os-services (cinder/api/v3/services.py, Zed), admin-only: `GET /os-services` (filters host, binary) and
 * `PUT /os-services/{action}`: enable, disable, disable-log-reason, freeze, thaw, failover_host,
 * failover (3.26), set-log and get-log (3.32). Another action, or set-log/get-log below 3.32, is 400
 * "Unknown action". Thin: policy first, validate, call the registry, render.
 */
import type { Request, Response } from 'restify';
import { InvalidInputError } from '../../errors';
import { requireAdmin } from '../../services/volume-type-service';
import type { ApiDeps } from '../deps';
import { MV, type ApiVersion } from '../microversions';
import { ctxOf, param, queryOf, sendEmpty, viewOf } from '../request';
import {
  checkDisabledReason,
  validateDisableLogReason,
  validateEnableDisable,
  validateFailover,
  validateFreezeThaw,
  validateGetLog,
  validateSetLog,
} from '../schemas/services';
import * as view from '../views/services';

/**
 * Cinder's common.get_cluster_host: the cluster is read only when `clusterFrom` is a version the request
 * reaches (or null: always); then exactly one of host and cluster, else only a host.
 */
export function clusterOrHost(body: { host?: string | null; cluster?: string | null }, version: ApiVersion, clusterFrom: ApiVersion | null | false) {
  const withCluster = clusterFrom !== false && (clusterFrom === null || version.atLeast(clusterFrom));
  const cluster = withCluster ? (body.cluster ?? undefined) : undefined;
  const host = body.host ?? undefined;
  if (Boolean(cluster) === Boolean(host)) {
    throw new InvalidInputError(withCluster ? 'One and only one of cluster and host must be set.' : 'Host field is missing.');
  }
  return { host, cluster };
}

export function serviceController(deps: Pick<ApiDeps, 'registry'>) {
  const registry = deps.registry;

  /** enable, disable, disable-log-reason: the same lookup, three answers. */
  async function setEnabled(req: Request, res: Response, action: 'enable' | 'disable' | 'disable-log-reason'): Promise<void> {
    const body = action === 'disable-log-reason' ? validateDisableLogReason(req.body) : validateEnableDisable(req.body);
    const { host } = clusterOrHost(body, req.apiVersion!, false);
    const reason = action === 'disable-log-reason' ? (checkDisabledReason((body as { disabled_reason?: string }).disabled_reason) ?? null) : undefined;
    const binary = body.binary || body.service || '';
    await registry.setEnabled(ctxOf(req), { host: host!, binary, enabled: action === 'enable', reason });
    const echo = { host: host!, service: body.service, binary: body.binary };
    if (action === 'enable') res.send(200, view.serviceUpdate(echo, false, { disabled_reason: null }));
    else if (action === 'disable') res.send(200, view.serviceUpdate(echo, true));
    else res.send(200, view.serviceUpdate(echo, true, { disabled_reason: reason ?? null }));
  }

  async function setFrozen(req: Request, res: Response, frozen: boolean): Promise<void> {
    const target = clusterOrHost(validateFreezeThaw(req.body), req.apiVersion!, MV.REPLICATION_CLUSTER);
    await registry.setFrozen(ctxOf(req), target, frozen);
    sendEmpty(res, 200);
  }

  async function failover(req: Request, clustered: boolean): Promise<void> {
    const target = clusterOrHost(validateFailover(req.body), req.apiVersion!, clustered ? null : false);
    await registry.failover(ctxOf(req), target);
  }

  return {
    async list(req: Request, res: Response): Promise<void> {
      const query = queryOf(req);
      const records = await registry.list(ctxOf(req), { host: query.host, binary: query.binary });
      res.send(200, view.serviceList(viewOf(req), records));
    },

    async update(req: Request, res: Response): Promise<void> {
      const ctx = ctxOf(req);
      requireAdmin(ctx);
      const action = param(req, 'action');
      const version = req.apiVersion!;
      const logLevels = version.atLeast(MV.LOG_LEVEL);
      switch (action) {
        case 'enable':
        case 'disable':
        case 'disable-log-reason':
          return setEnabled(req, res, action);
        case 'freeze':
          return setFrozen(req, res, true);
        case 'thaw':
          return setFrozen(req, res, false);
        case 'failover_host':
          return failover(req, false);
        case 'failover':
          if (version.atLeast(MV.REPLICATION_CLUSTER)) return failover(req, true);
          break;
        case 'set-log':
          if (logLevels) {
            await registry.setLogLevel(ctx, validateSetLog(req.body));
            return sendEmpty(res, 202);
          }
          break;
        case 'get-log':
          if (logLevels) return void res.send(200, view.logLevels(await registry.getLogLevels(ctx, validateGetLog(req.body))));
          break;
      }
      throw new InvalidInputError('Unknown action');
    },
  };
}
