/*
 * os-hosts, admin-only (cinder/api/contrib/hosts.py): `GET /os-hosts[?zone=]` lists the enabled services
 * as hosts; `GET /os-hosts/{host}` the volume and snapshot totals of an enabled cinder-volume host, in
 * total and per project (404 otherwise).
 */
import type { Request, Response } from 'restify';
import type { ApiDeps } from '../deps';
import { ctxOf, param, queryOf } from '../request';
import * as view from '../views/services';

export function hostController(deps: Pick<ApiDeps, 'registry'>) {
  return {
    async list(req: Request, res: Response): Promise<void> {
      res.send(200, view.hostList(await deps.registry.hosts(ctxOf(req), queryOf(req).zone || undefined)));
    },

    async show(req: Request, res: Response): Promise<void> {
      const host = param(req, 'host');
      res.send(200, view.hostDetail(host, await deps.registry.hostUsage(ctxOf(req), host)));
    },
  };
}
