/*
 * Volume transfers on two paths (cinder/api/contrib/volume_transfer.py and cinder/api/v3/volume_transfer.py):
 * `/os-volume-transfer` (legacy: no `no_snapshots`, fixed order) and `/volume-transfers` (every
 * microversion; `no_snapshots` from 3.55; marker/limit/offset/sort from 3.59). Both share the views.
 */
import type { Request, Response } from 'restify';
import { TRANSFER_COLUMNS, type TransferColumn, type TransferSortKey } from '../../db/queries/transfers';
import type { TransferListInput } from '../../services/transfer-service';
import type { ApiDeps } from '../deps';
import { parseListParams, truthy } from '../list-params';
import { MV } from '../microversions';
import { ctxOf, param, queryOf, sendEmpty, viewOf, trimmed } from '../request';
import { toBoolean } from '../schemas/parameter-types';
import { validateTransferAccept, validateTransferCreate, validateTransferCreateLegacy } from '../schemas/transfers';
import * as view from '../views/transfers';


const FILTER_ALIASES: Record<string, TransferColumn> = { name: 'name', display_name: 'name', project_id: 'source_project_id' };
const BOOLEAN_COLUMNS = new Set<string>(['accepted', 'no_snapshots']);

/** Query keys as column filters; any key that is not a transfer column makes the list empty (as Cinder). */
function filtersOf(raw: Record<string, string>): Pick<TransferListInput, 'filters' | 'matchesNothing'> {
  const filters: TransferListInput['filters'] = [];
  let matchesNothing = false;
  for (const [key, value] of Object.entries(raw)) {
    const column = FILTER_ALIASES[key] ?? ((TRANSFER_COLUMNS as readonly string[]).includes(key) ? (key as TransferColumn) : undefined);
    if (!column) matchesNothing = true;
    else filters.push({ column, value: BOOLEAN_COLUMNS.has(column) ? (truthy(value) ? 1 : 0) : value });
  }
  return { filters, matchesNothing };
}

export function transferController(deps: ApiDeps, opts: { legacy: boolean }) {
  const maxLimit = deps.config.max_limit;

  async function list(req: Request, res: Response, render: typeof view.summaryList): Promise<void> {
    const query = queryOf(req);
    const version = req.apiVersion!;
    const allTenants = 'all_tenants' in query;
    let input: TransferListInput;
    let limit: number;
    if (!opts.legacy && version.atLeast(MV.TRANSFER_WITH_PAGINATION)) {
      const params = parseListParams(query, version, maxLimit, TRANSFER_COLUMNS, { display_name: 'name' });
      const sort: TransferSortKey[] = params.sort.map((s) => ({ column: s.key as TransferColumn, dir: s.dir }));
      const defaultDir = sort[0]?.dir ?? 'desc';
      for (const column of ['created_at', 'id'] as const) if (!sort.some((s) => s.column === column)) sort.push({ column, dir: defaultDir });
      const f = filtersOf(params.filters);
      // with_count is no paging key for transfers: a filter on a column that does not exist.
      if ('with_count' in query) f.matchesNothing = true;
      input = { allTenants, ...f, sort, marker: params.marker, limit: params.limit, offset: params.offset };
      limit = params.limit;
    } else {
      // Fixed order; limit and offset cut the result (common.limited); every other key is a filter.
      const { limit: rawLimit, offset: rawOffset, all_tenants: _all, ...rest } = query;
      const paging: Record<string, string> = {};
      if (rawLimit !== undefined) paging.limit = rawLimit;
      if (rawOffset !== undefined) paging.offset = rawOffset;
      const params = parseListParams(paging, version, maxLimit, []);
      input = {
        allTenants,
        ...filtersOf(rest),
        sort: [
          { column: 'created_at', dir: 'asc' },
          { column: 'id', dir: 'asc' },
        ],
        limit: params.limit,
        offset: params.offset,
      };
      limit = params.limit;
    }
    const records = await deps.transfers.list(ctxOf(req), input);
    res.send(200, render(viewOf(req), { records, limit, query }));
  }

  return {
    async create(req: Request, res: Response): Promise<void> {
      const version = req.apiVersion!;
      const withNoSnapshots = !opts.legacy && version.atLeast(MV.TRANSFER_WITH_SNAPSHOTS);
      const t = withNoSnapshots ? validateTransferCreate(req.body).transfer : validateTransferCreateLegacy(req.body).transfer;
      const raw = (t as { no_snapshots?: boolean | string }).no_snapshots;
      const noSnapshots = raw === undefined ? false : toBoolean(raw);
      const record = await deps.transfers.create(ctxOf(req), {
        volumeId: t.volume_id,
        name: trimmed(t.name),
        noSnapshots,
        allowEncrypted: version.atLeast(MV.TRANSFER_ENCRYPTED_VOLUME),
      });
      res.send(202, { transfer: view.create(viewOf(req), record) });
    },

    async listSummary(req: Request, res: Response): Promise<void> {
      await list(req, res, view.summaryList);
    },

    async listDetail(req: Request, res: Response): Promise<void> {
      await list(req, res, view.detailList);
    },

    async show(req: Request, res: Response): Promise<void> {
      const record = await deps.transfers.get(ctxOf(req), param(req, 'transfer_id'));
      res.send(200, { transfer: view.detail(viewOf(req), record) });
    },

    async accept(req: Request, res: Response): Promise<void> {
      const { accept } = validateTransferAccept(req.body);
      const record = await deps.transfers.accept(ctxOf(req), param(req, 'transfer_id'), String(accept.auth_key));
      res.send(202, { transfer: view.summary(viewOf(req), record) });
    },

    async remove(req: Request, res: Response): Promise<void> {
      await deps.transfers.delete(ctxOf(req), param(req, 'transfer_id'));
      sendEmpty(res, 202);
    },
  };
}
