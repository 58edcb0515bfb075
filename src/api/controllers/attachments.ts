/*
 * Attachments API (3.27+; cinder/api/v3/attachments.py): create (200), update (200), os-complete (3.44+,
 * 204), delete (200, the volume's remaining attachments), list / detail / show. The routes are gated at
 * 3.27 except the action route, which, as in Cinder, first finds the action (unknown → 400) and then
 * checks its version (os-complete below 3.44 → 404).
 */
import type { Request, Response } from 'restify';
import { NotFoundError } from '../../errors';
import type { ApiDeps } from '../deps';
import { LIST_RESOURCES } from '../list-query';
import { listRequest, summaryAndDetailRoutes } from '../list-route';
import { MV } from '../microversions';
import { actionRoute, ctxOf, param, sendEmpty } from '../request';
import { validateAttachmentCreate, validateAttachmentCreateWithMode, validateAttachmentUpdate } from '../schemas/attachments';
import * as view from '../views/attachments';

export function attachmentController(deps: ApiDeps) {
  const maxLimit = deps.config.max_limit;

  async function list(req: Request, res: Response, detail: boolean): Promise<void> {
    const { ctx, input } = listRequest(req, maxLimit, LIST_RESOURCES.attachments);
    const rows = await deps.attachments.list(ctx, input);
    res.send(200, view.list(rows, { detail }));
  }

  return {
    ...summaryAndDetailRoutes(list),

    async show(req: Request, res: Response): Promise<void> {
      const row = await deps.attachments.get(ctxOf(req), param(req, 'attachment_id'));
      res.send(200, { attachment: view.detail(row) });
    },

    async create(req: Request, res: Response): Promise<void> {
      const withMode = req.apiVersion!.atLeast(MV.ATTACHMENT_CREATE_MODE_ARG);
      const a = (withMode ? validateAttachmentCreateWithMode : validateAttachmentCreate)(req.body).attachment as {
        volume_uuid: string;
        instance_uuid?: string;
        connector?: Record<string, unknown> | null;
        mode?: 'rw' | 'ro';
      };
      const row = await deps.attachments.create(ctxOf(req), {
        volumeId: a.volume_uuid,
        instanceUuid: a.instance_uuid,
        connector: a.connector ?? null,
        mode: withMode ? a.mode : undefined,
      });
      res.send(200, { attachment: view.detail(row) });
    },

    async update(req: Request, res: Response): Promise<void> {
      const { connector } = validateAttachmentUpdate(req.body).attachment;
      const row = await deps.attachments.update(ctxOf(req), param(req, 'attachment_id'), connector);
      res.send(200, { attachment: view.detail(row) });
    },

    async remove(req: Request, res: Response): Promise<void> {
      const remaining = await deps.attachments.delete(ctxOf(req), param(req, 'attachment_id'));
      res.send(200, view.list(remaining, { detail: false }));
    },

    action: actionRoute('attachment_id', {
      async 'os-complete'(req, res, id) {
        if (!req.apiVersion!.atLeast(MV.NEW_ATTACH_COMPLETION)) throw new NotFoundError();
        await deps.attachments.complete(ctxOf(req), id);
        sendEmpty(res, 204);
      },
    }),
  };
}
