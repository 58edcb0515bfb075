/*
 * Volume-type encryption (cinder/api/contrib/volume_type_encryption.py), admin-only, at every
 * microversion: GET /types/{id}/encryption, POST it, GET /types/{id}/encryption/{key}, and PUT / DELETE
 * /types/{id}/encryption/{encryption_id} (Cinder ignores the id there: a type has one encryption).
 */
import type { Request, Response } from 'restify';
import { VolumeTypeEncryptionNotFoundError } from '../../errors';
import type { ApiDeps } from '../deps';
import { ctxOf, param, sendEmpty } from '../request';
import { encryptionSpecsOf, validateEncryptionCreate, validateEncryptionUpdate } from '../schemas/encryption-types';
import * as view from '../views/encryption-types';

export function encryptionTypeController(deps: Pick<ApiDeps, 'encryptionTypes'>) {
  const encryption = deps.encryptionTypes;

  return {
    async show(req: Request, res: Response): Promise<void> {
      res.send(200, view.encryptionSpecs(await encryption.get(ctxOf(req), param(req, 'type_id'))));
    },

    async showKey(req: Request, res: Response): Promise<void> {
      const typeId = param(req, 'type_id');
      const key = param(req, 'key');
      const specs = view.encryptionSpecs(await encryption.get(ctxOf(req), typeId));
      if (!Object.hasOwn(specs, key)) throw new VolumeTypeEncryptionNotFoundError(typeId);
      res.send(200, { [key]: specs[key] });
    },

    async create(req: Request, res: Response): Promise<void> {
      const { encryption: body } = validateEncryptionCreate(req.body);
      const sent = encryptionSpecsOf(body);
      const row = await encryption.create(ctxOf(req), param(req, 'type_id'), { ...sent, provider: body.provider, control_location: body.control_location });
      res.send(200, view.created(sent, row));
    },

    async update(req: Request, res: Response): Promise<void> {
      const { encryption: body } = validateEncryptionUpdate(req.body);
      const sent = encryptionSpecsOf(body);
      await encryption.update(ctxOf(req), param(req, 'type_id'), sent);
      res.send(200, view.updated(sent));
    },

    async remove(req: Request, res: Response): Promise<void> {
      await encryption.delete(ctxOf(req), param(req, 'type_id'));
      sendEmpty(res, 202);
    },
  };
}
