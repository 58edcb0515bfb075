/* User messages (3.3+): list, show, delete. Thin: parse, call the service, render. */
import type { Request, Response } from 'restify';
import { MESSAGE_SORT_COLUMNS } from '../../db/queries/messages';
import { MessageService } from '../../services/message-service';
import type { ApiDeps } from '../deps';
import { parseListParams } from '../list-params';
import { MV } from '../microversions';
import { ctxOf, param, queryOf, sendEmpty, viewOf } from '../request';
import * as view from '../views/messages';

export function messageController(deps: Pick<ApiDeps, 'store' | 'config'>) {
  const messages = new MessageService(deps.store);
  const maxLimit = deps.config.max_limit;

  return {
    async list(req: Request, res: Response): Promise<void> {
      const version = req.apiVersion!;
      const query = queryOf(req);
      // Paging, sorting and filters exist from 3.5; below, Cinder ignores the query (all_tenants aside).
      const effective = version.atLeast(MV.MESSAGES_PAGINATION) ? query : query.all_tenants !== undefined ? { all_tenants: query.all_tenants } : {};
      const params = parseListParams(effective, version, maxLimit, MESSAGE_SORT_COLUMNS);
      const rows = await messages.list(ctxOf(req), params, version);
      res.send(200, view.list(viewOf(req), { rows, limit: params.limit, query }));
    },

    async show(req: Request, res: Response): Promise<void> {
      const row = await messages.get(ctxOf(req), param(req, 'message_id'));
      res.send(200, { message: view.detail(viewOf(req), row) });
    },

    async remove(req: Request, res: Response): Promise<void> {
      await messages.delete(ctxOf(req), param(req, 'message_id'));
      sendEmpty(res, 204);
    },
  };
}
