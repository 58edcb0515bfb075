/* Quota class sets (cinder/api/contrib/quota_classes.py): show and update, admin only (the service checks). */
import type { Request, Response } from 'restify';
import type { ApiDeps } from '../deps';
import { ctxOf, param } from '../request';
import { validateQuotaClassUpdate } from '../schemas/quota-classes';
import { quotaClassSet } from '../views/quotas';

export function quotaClassController(deps: ApiDeps) {
  return {
    async show(req: Request, res: Response): Promise<void> {
      const className = param(req, 'class_name');
      res.send(200, quotaClassSet(className, await deps.quota.classQuotas(ctxOf(req), className)));
    },

    async update(req: Request, res: Response): Promise<void> {
      // Schema first, then policy, as Cinder's @validation.schema runs before the method.
      const changes = validateQuotaClassUpdate(req.body);
      res.send(200, quotaClassSet(undefined, await deps.quota.updateClass(ctxOf(req), param(req, 'class_name'), changes)));
    },
  };
}
