/*
 * Volume transfers on two paths (cinder/api/contrib/volume_transfer.py and cinder/api/v3/volume_transfer.py):
 * `/os-volume-transfer` (legacy: no `no_snapshots`, fixed order) and `/volume-transfers` (every
 * microversion; `no_snapshots` from 3.55; marker/limit/offset/sort from 3.59). Both share the views.
 */
import type { Request, Response } from 'restify';
import type { ApiDeps } from '../deps';
import { LIST_RESOURCES } from '../list-query';
import { pagedListRoutes } from '../list-route';
import { MV } from '../microversions';
import { ctxOf, param, sendEmpty, viewOf, trimmed } from '../request';
import { toBoolean } from '../schemas/parameter-types';
import { validateTransferAccept, validateTransferCreate, validateTransferCreateLegacy } from '../schemas/transfers';
import * as view from '../views/transfers';

export function transferController(deps: ApiDeps, opts: { legacy: boolean }) {
  // marker/limit/offset/sort from 3.59 on /volume-transfers; else the legacy list (list-query.ts).
  const paged = (req: Request) =>
    !opts.legacy && req.apiVersion!.atLeast(MV.TRANSFER_WITH_PAGINATION) ? LIST_RESOURCES.transfers : LIST_RESOURCES.legacyTransfers;

  return {
    ...pagedListRoutes(deps.config.max_limit, paged, async (ctx, input) => ({ records: await deps.transfers.list(ctx, input) }), view),

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
