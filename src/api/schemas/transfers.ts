/*
 * Transfer request schemas (cinder/api/schemas/volume_transfer.py): strict bodies. `no_snapshots` exists
 * only on /volume-transfers from 3.55; /os-volume-transfer never accepts it.
 */
import { Type } from '@sinclair/typebox';
import { validator } from './validator';
import { BooleanLike, Name, Uuid } from './parameter-types';

export const validateTransferCreateLegacy = validator(
  Type.Object({ transfer: Type.Object({ volume_id: Uuid, name: Type.Optional(Name) }, { additionalProperties: false }) }, { additionalProperties: false }),
);

export const validateTransferCreate = validator(
  Type.Object(
    {
      transfer: Type.Object({ volume_id: Uuid, name: Type.Optional(Name), no_snapshots: Type.Optional(BooleanLike) }, { additionalProperties: false }),
    },
    { additionalProperties: false },
  ),
);

export const validateTransferAccept = validator(
  Type.Object(
    {
      accept: Type.Object({ auth_key: Type.Unsafe<string | number>({ type: ['string', 'integer'] }) }, { additionalProperties: false }),
    },
    { additionalProperties: false },
  ),
);
