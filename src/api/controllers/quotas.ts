/* Quota sets (show, usage, defaults, update, reset) and absolute limits. */
import type { Request, Response } from 'restify';
import type { RequestContext } from '../../context';
import { ForbiddenError } from '../../errors';
import { requireAdmin } from '../../services/volume-type-service';
import type { ApiDeps } from '../deps';
import { truthy } from '../list-query';
import { MV } from '../microversions';
import { ctxOf, param, queryOf, sendEmpty } from '../request';
import { validateQuotaUpdate } from '../schemas/quotas';
import { absoluteLimits, quotaSet } from '../views/quotas';

/** Keys cinderclient puts in a quota-set body that are not quotas. */
const NON_QUOTA_KEYS = ['tenant_id', 'id'];

function requireOwnerOrAdmin(ctx: RequestContext, projectId: string): void {
  if (!ctx.isAdmin && ctx.projectId !== projectId) throw new ForbiddenError();
}

export function quotaController(deps: ApiDeps) {
  return {
    async show(req: Request, res: Response): Promise<void> {
      const projectId = param(req, 'target_project_id');
      requireOwnerOrAdmin(ctxOf(req), projectId);
      const values = await deps.quota.projectQuotas(projectId, truthy(queryOf(req).usage));
      res.send(200, quotaSet(projectId, values));
    },

    async defaults(req: Request, res: Response): Promise<void> {
      const projectId = param(req, 'target_project_id');
      requireOwnerOrAdmin(ctxOf(req), projectId);
      res.send(200, quotaSet(projectId, await deps.quota.defaultQuotas()));
    },

    async update(req: Request, res: Response): Promise<void> {
      requireAdmin(ctxOf(req));
      const { quota_set } = validateQuotaUpdate(req.body);
      const changes = Object.fromEntries(Object.entries(quota_set).filter(([k]) => !NON_QUOTA_KEYS.includes(k)));
      const projectId = param(req, 'target_project_id');
      const limits = await deps.quota.updateProject(projectId, changes);
      res.send(200, quotaSet(undefined, limits));
    },

    async reset(req: Request, res: Response): Promise<void> {
      requireAdmin(ctxOf(req));
      await deps.quota.resetProject(param(req, 'target_project_id'));
      sendEmpty(res, 200);
    },

    async limits(req: Request, res: Response): Promise<void> {
      const ctx = ctxOf(req);
      const query = queryOf(req);
      const asked = query.project_id ?? query.tenant_id;
      const projectId = asked && ctx.isAdmin && req.apiVersion!.atLeast(MV.LIMITS_ADMIN_FILTER) ? asked : ctx.projectId;
      res.send(200, absoluteLimits(await deps.quota.projectUsage(projectId)));
    },
  };
}
