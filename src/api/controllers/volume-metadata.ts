/* Volume metadata: list, merge, replace, show/update/delete one key; ETag and If-Match from 3.15. */
import type { Request, Response } from 'restify';
import { BadRequestError, PreconditionFailedError } from '../../errors';
import type { ApiDeps } from '../deps';
import { MV } from '../microversions';
import { ctxOf, param, sendEmpty } from '../request';
import { validateMetaKeyBody, validateMetadataBody } from '../schemas/volumes';
import { metadataBody, metadataEtag } from '../views/metadata';

export function volumeMetadataController(deps: ApiDeps) {
  function sendMetadata(req: Request, res: Response, metadata: Record<string, string>): void {
    if (req.apiVersion!.atLeast(MV.METADATA_ETAG)) res.setHeader('ETag', metadataEtag(metadata));
    res.send(200, metadataBody(metadata));
  }

  /** If-Match (3.15+, on the PUTs as Cinder): the write happens only if the set still has the ETag the client saw. */
  function ifMatch(req: Request): ((current: Record<string, string>) => void) | undefined {
    const expected = req.header('if-match');
    if (!expected || !req.apiVersion!.atLeast(MV.METADATA_ETAG)) return undefined;
    const wanted = expected.split(',').map((t) => t.trim().replace(/^W\//, '').replace(/^"|"$/g, ''));
    return (current) => {
      if (!wanted.includes('*') && !wanted.includes(metadataEtag(current))) throw new PreconditionFailedError();
    };
  }

  return {
    async list(req: Request, res: Response): Promise<void> {
      sendMetadata(req, res, await deps.volumes.getMetadata(ctxOf(req), param(req, 'volume_id')));
    },

    async create(req: Request, res: Response): Promise<void> {
      const { metadata } = validateMetadataBody(req.body);
      const all = await deps.volumes.writeMetadata(ctxOf(req), param(req, 'volume_id'), metadata, 'merge');
      res.send(200, metadataBody(all));
    },

    async replace(req: Request, res: Response): Promise<void> {
      const { metadata } = validateMetadataBody(req.body);
      const all = await deps.volumes.writeMetadata(ctxOf(req), param(req, 'volume_id'), metadata, 'replace', ifMatch(req));
      res.send(200, metadataBody(all));
    },

    async showKey(req: Request, res: Response): Promise<void> {
      const key = param(req, 'key');
      const value = await deps.volumes.getMetadataKey(ctxOf(req), param(req, 'volume_id'), key);
      res.send(200, { meta: { [key]: value } });
    },

    async updateKey(req: Request, res: Response): Promise<void> {
      const key = param(req, 'key');
      const { meta } = validateMetaKeyBody(req.body);
      if (!(key in meta)) throw new BadRequestError('Request body and URI mismatch');
      await deps.volumes.writeMetadata(ctxOf(req), param(req, 'volume_id'), meta, 'merge', ifMatch(req));
      res.send(200, { meta });
    },

    async deleteKey(req: Request, res: Response): Promise<void> {
      await deps.volumes.deleteMetadataKey(ctxOf(req), param(req, 'volume_id'), param(req, 'key'));
      sendEmpty(res, 200);
    },
  };
}
