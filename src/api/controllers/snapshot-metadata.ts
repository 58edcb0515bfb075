/*
 * Snapshot metadata: list, merge, replace, show/update/delete one key (cinder/api/v3/snapshot_metadata.py).
 * The same bodies and rules as the volume metadata routes, except that Cinder's snapshot metadata API
 * has no ETag/If-Match and no status restriction, so neither has this one.
 */
import type { Request, Response } from 'restify';
import { BadRequestError } from '../../errors';
import type { ApiDeps } from '../deps';
import { ctxOf, param, sendEmpty } from '../request';
import { validateMetaKeyBody, validateMetadataBody } from '../schemas/volumes';
import { metadataBody } from '../views/metadata';

export function snapshotMetadataController(deps: ApiDeps) {
  return {
    async list(req: Request, res: Response): Promise<void> {
      res.send(200, metadataBody(await deps.snapshots.getMetadata(ctxOf(req), param(req, 'snapshot_id'))));
    },

    async create(req: Request, res: Response): Promise<void> {
      const { metadata } = validateMetadataBody(req.body);
      res.send(200, metadataBody(await deps.snapshots.writeMetadata(ctxOf(req), param(req, 'snapshot_id'), metadata, 'merge')));
    },

    async replace(req: Request, res: Response): Promise<void> {
      const { metadata } = validateMetadataBody(req.body);
      res.send(200, metadataBody(await deps.snapshots.writeMetadata(ctxOf(req), param(req, 'snapshot_id'), metadata, 'replace')));
    },

    async showKey(req: Request, res: Response): Promise<void> {
      const key = param(req, 'key');
      const value = await deps.snapshots.getMetadataKey(ctxOf(req), param(req, 'snapshot_id'), key);
      res.send(200, { meta: { [key]: value } });
    },

    async updateKey(req: Request, res: Response): Promise<void> {
      const key = param(req, 'key');
      const { meta } = validateMetaKeyBody(req.body);
      if (!(key in meta)) throw new BadRequestError('Request body and URI mismatch');
      await deps.snapshots.writeMetadata(ctxOf(req), param(req, 'snapshot_id'), meta, 'merge');
      res.send(200, { meta });
    },

    async deleteKey(req: Request, res: Response): Promise<void> {
      await deps.snapshots.deleteMetadataKey(ctxOf(req), param(req, 'snapshot_id'), param(req, 'key'));
      sendEmpty(res, 200);
    },
  };
}
