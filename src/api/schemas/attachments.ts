/* Attachments API request schemas (cinder/api/schemas/attachments.py): create, create from 3.54 (`mode`), update. */
import { Type } from '@sinclair/typebox';
import { validator } from './validator';
import { Uuid } from './parameter-types';

const Connector = Type.Unsafe<Record<string, unknown> | null>({ type: ['object', 'null'] });

function createSchema(withMode: boolean) {
  return Type.Object(
    {
      attachment: Type.Object(
        {
          instance_uuid: Type.Optional(Uuid),
          connector: Type.Optional(Connector),
          volume_uuid: Uuid,
          ...(withMode ? { mode: Type.Optional(Type.Unsafe<'rw' | 'ro'>({ type: 'string', enum: ['rw', 'ro'] })) } : {}),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  );
}

export const validateAttachmentCreate = validator(createSchema(false));
export const validateAttachmentCreateWithMode = validator(createSchema(true));

export const validateAttachmentUpdate = validator(
  Type.Object(
    { attachment: Type.Object({ connector: Type.Unsafe<Record<string, unknown>>({ type: 'object', minProperties: 1 }) }, { additionalProperties: false }) },
    { additionalProperties: false },
  ),
);
