/* GET /extensions and /extensions/{alias}: any caller, every microversion (cinder/api/extensions.py). */
import type { Request, Response } from 'restify';
import { NotFoundError } from '../../errors';
import { servedExtensions, type ApiExtension } from '../extensions';
import { param } from '../request';
import type { RouteDef } from '../routes';
import { extensionList, extensionShow } from '../views/extensions';

/** `routes`: the whole route table, read at the first request (this controller is part of it). */
export function extensionController(routes: () => readonly RouteDef[]) {
  let listed: ApiExtension[] | undefined;
  const extensions = () => (listed ??= servedExtensions(routes()));
  return {
    async list(_req: Request, res: Response): Promise<void> {
      res.send(200, extensionList(extensions()));
    },

    async show(req: Request, res: Response): Promise<void> {
      const found = extensions().find((e) => e.alias === param(req, 'alias'));
      if (!found) throw new NotFoundError();
      res.send(200, extensionShow(found));
    },
  };
}
