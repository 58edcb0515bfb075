/*
 * Volume and snapshot metadata: list, merge, replace, show/update/delete one key
 * (cinder/api/v3/volume_metadata.py, snapshot_metadata.py). With `etag` (volumes) the list sends an
 * ETag from 3.15 and the PUTs honour If-Match; Cinder's snapshot metadata API has neither.
 */
import type { Request, Response } from 'restify';
import { BadRequestError, PreconditionFailedError } from '../../errors';
import type { MetadataService } from '../../services/metadata-service';
import { MV } from '../microversions';
import { ctxOf, param, sendEmpty } from '../request';
import { validateMetaKeyBody, validateMetadataBody } from '../schemas/volumes';
import { metadataBody, metadataEtag } from '../views/metadata';

export function metadataController<Row>(metadata: MetadataService<Row>, idParam: string, opts: { etag: boolean }) {
  const withEtag = (req: Request): boolean => opts.etag && req.apiVersion!.atLeast(MV.METADATA_ETAG);

  /** If-Match (on the PUTs, as Cinder): the write happens only if the set still has the ETag the client saw. */
  function ifMatch(req: Request): ((current: Record<string, string>) => void) | undefined {
    const expected = req.header('if-match');
    if (!expected || !withEtag(req)) return undefined;
    const wanted = expected.split(',').map((t) => t.trim().replace(/^W\//, '').replace(/^"|"$/g, ''));
    return (current) => {
      if (!wanted.includes('*') && !wanted.includes(metadataEtag(current))) throw new PreconditionFailedError();
    };
  }

  return {
    async list(req: Request, res: Response): Promise<void> {
      const all = await metadata.get(ctxOf(req), param(req, idParam));
      if (withEtag(req)) res.setHeader('ETag', metadataEtag(all));
      res.send(200, metadataBody(all));
    },

    async create(req: Request, res: Response): Promise<void> {
      const { metadata: given } = validateMetadataBody(req.body);
      res.send(200, metadataBody(await metadata.write(ctxOf(req), param(req, idParam), given, 'merge')));
    },

    async replace(req: Request, res: Response): Promise<void> {
      const { metadata: given } = validateMetadataBody(req.body);
      res.send(200, metadataBody(await metadata.write(ctxOf(req), param(req, idParam), given, 'replace', ifMatch(req))));
    },

    async showKey(req: Request, res: Response): Promise<void> {
      const key = param(req, 'key');
      const value = await metadata.getKey(ctxOf(req), param(req, idParam), key);
      res.send(200, { meta: { [key]: value } });
    },

    async updateKey(req: Request, res: Response): Promise<void> {
      const key = param(req, 'key');
      const { meta } = validateMetaKeyBody(req.body);
      if (!(key in meta)) throw new BadRequestError('Request body and URI mismatch');
      await metadata.write(ctxOf(req), param(req, idParam), meta, 'merge', ifMatch(req));
      res.send(200, { meta });
    },

    async deleteKey(req: Request, res: Response): Promise<void> {
      await metadata.deleteKey(ctxOf(req), param(req, idParam), param(req, 'key'));
      sendEmpty(res, 200);
    },
  };
}
