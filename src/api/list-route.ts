/*
 * The list routes' one shape: parse the query for the resource (list-query.ts), call the service,
 * render. Paged resources (volumes, snapshots, backups, transfers) get their summary and detail routes
 * from `pagedListRoutes`; attachments and messages render their own bodies after `listRequest`, and
 * attachments and clusters name their two list routes with `summaryAndDetailRoutes`.
 */
import type { Request, Response } from 'restify';
import type { RequestContext } from '../context';
import type { ListInput } from '../services/list-pipeline';
import { parseListQuery, type ListResource } from './list-query';
import { ctxOf, queryOf, viewOf } from './request';
import type { ListPage, ViewContext } from './views/view-context';

/** A list request read for `resource`: the caller, the query as sent (next links keep it) and the typed input. */
export function listRequest<Input extends ListInput<unknown>>(
  req: Request,
  maxLimit: number,
  resource: ListResource<Input>,
): { ctx: RequestContext; query: Record<string, string>; input: Input } {
  const ctx = ctxOf(req);
  const query = queryOf(req);
  return { ctx, query, input: parseListQuery(ctx, req.apiVersion!, query, maxLimit, resource) };
}

type Render<Item> = (v: ViewContext, page: ListPage<Item>) => Record<string, unknown>;

/** GET <collection> and <collection>/detail: parse -> `list` -> the summary or detail view. */
export function pagedListRoutes<Input extends ListInput<unknown>, Item>(
  maxLimit: number,
  resource: ListResource<Input> | ((req: Request) => ListResource<Input>),
  list: (ctx: RequestContext, input: Input) => Promise<{ records: Item[]; count?: number }>,
  views: { summaryList: Render<Item>; detailList: Render<Item> },
) {
  async function send(req: Request, res: Response, render: Render<Item>): Promise<void> {
    const { ctx, query, input } = listRequest(req, maxLimit, typeof resource === 'function' ? resource(req) : resource);
    const page = await list(ctx, input);
    res.send(200, render(viewOf(req), { records: page.records, count: page.count, limit: input.limit, query }));
  }
  return summaryAndDetailRoutes((req, res, detail) => send(req, res, detail ? views.detailList : views.summaryList));
}

/** The handlers of GET <collection> and <collection>/detail, for a `list` told which of the two was asked. */
export function summaryAndDetailRoutes(list: (req: Request, res: Response, detail: boolean) => Promise<void>) {
  return {
    async listSummary(req: Request, res: Response): Promise<void> {
      await list(req, res, false);
    },
    async listDetail(req: Request, res: Response): Promise<void> {
      await list(req, res, true);
    },
  };
}
