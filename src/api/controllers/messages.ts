/* User messages (3.3+): list, show, delete. Thin: parse, call the service, render. */
import type { Request, Response } from 'restify';
import type { ApiDeps } from '../deps';
import { LIST_RESOURCES } from '../list-query';
import { listRequest } from '../list-route';
import { ctxOf, param, sendEmpty, viewOf } from '../request';
import * as view from '../views/messages';

export function messageController(deps: Pick<ApiDeps, 'messages' | 'config'>) {
  const messages = deps.messages;
  const maxLimit = deps.config.max_limit;

  return {
    async list(req: Request, res: Response): Promise<void> {
      // Paging, sorting and filters from 3.5 (MESSAGES_PAGINATION): LIST_RESOURCES.messages.
      const { ctx, query, input } = listRequest(req, maxLimit, LIST_RESOURCES.messages);
      const rows = await messages.list(ctx, input);
      res.send(200, view.list(viewOf(req), { rows, limit: input.limit, query }));
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
