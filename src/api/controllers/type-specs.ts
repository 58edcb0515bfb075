/*
 * The spec routes volume types (`/types/{id}/extra_specs`) and group types (`/group_types/{id}/group_specs`)
 * share: list, create (merge), show one key, update one key (the body's one key must be the URI's), delete.
 * Each type controller binds them to its service, body key and statuses.
 */
import type { Request, Response } from 'restify';
import { BadRequestError } from '../../errors';
import type { TypeSpecs } from '../../services/type-specs';
import { ctxOf, param, sendEmpty } from '../request';

export interface SpecRoutesOf {
  idParam: string;
  bodyKey: 'extra_specs' | 'group_specs';
  /** Create's status: 200 for extra specs, 202 for group specs (Cinder's). */
  createStatus: number;
  validateAll(body: unknown): Record<string, Record<string, string>>;
  validateOne(body: unknown): Record<string, string>;
  specs: TypeSpecs;
}

export function specRoutes(o: SpecRoutesOf) {
  return {
    async list(req: Request, res: Response): Promise<void> {
      res.send(200, { [o.bodyKey]: await o.specs.list(ctxOf(req), param(req, o.idParam)) });
    },

    async create(req: Request, res: Response): Promise<void> {
      const body = o.validateAll(req.body);
      await o.specs.set(ctxOf(req), param(req, o.idParam), body[o.bodyKey]);
      res.send(o.createStatus, body);
    },

    async show(req: Request, res: Response): Promise<void> {
      const key = param(req, 'key');
      res.send(200, { [key]: await o.specs.show(ctxOf(req), param(req, o.idParam), key) });
    },

    async update(req: Request, res: Response): Promise<void> {
      const body = o.validateOne(req.body);
      if (!(param(req, 'key') in body)) throw new BadRequestError('Request body and URI mismatch');
      await o.specs.set(ctxOf(req), param(req, o.idParam), body);
      res.send(200, body);
    },

    async remove(req: Request, res: Response): Promise<void> {
      await o.specs.remove(ctxOf(req), param(req, o.idParam), param(req, 'key'));
      sendEmpty(res, 202);
    },
  };
}
