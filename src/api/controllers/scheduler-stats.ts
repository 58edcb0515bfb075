/*
 * Pools and backend capabilities, admin-only (cinder/api/contrib/scheduler_stats.py, capabilities.py):
 * `GET /scheduler-stats/get_pools[?detail=true]` and `GET /capabilities/{host}`, answered from what the
 * workers publish on their heartbeats (no call to a worker). Pool filters from 3.28: `name`, and from
 * 3.35 `volume_type`; another key is 400, as Cinder's resource filters for `pool` allow only these two.
 */
import type { Request, Response } from 'restify';
import { BadRequestError } from '../../errors';
import { requireAdmin } from '../../services/volume-type-service';
import type { ApiDeps } from '../deps';
import { OTHER_LIST_FILTERS } from '../list-query';
import { MV } from '../microversions';
import { boolQueryParam, ctxOf, param, queryOf } from '../request';
import * as view from '../views/scheduler-stats';

const POOL_FILTERS: readonly string[] = OTHER_LIST_FILTERS.pool;

export function schedulerStatsController(deps: Pick<ApiDeps, 'scheduler'>) {
  const scheduler = deps.scheduler;

  return {
    async getPools(req: Request, res: Response): Promise<void> {
      const ctx = ctxOf(req);
      requireAdmin(ctx);
      const { detail, ...filters } = queryOf(req);
      const version = req.apiVersion!;
      const withFilters = version.atLeast(MV.POOL_FILTER);
      const unknown = Object.keys(filters).filter((k) => !POOL_FILTERS.includes(k));
      if (withFilters && unknown.length) throw new BadRequestError(`Invalid filters ${unknown.join(',')} are found in query options.`);
      const records = await scheduler.pools(ctx, {
        name: withFilters ? filters.name : undefined,
        volumeType: withFilters && version.atLeast(MV.POOL_TYPE_FILTER) ? filters.volume_type : undefined,
      });
      res.send(200, view.pools(records, boolQueryParam(detail, 'detail')));
    },

    async showCapabilities(req: Request, res: Response): Promise<void> {
      const { topic, capabilities } = await deps.scheduler.capabilities(ctxOf(req), param(req, 'host'));
      res.send(200, view.capabilities(topic, capabilities));
    },
  };
}
