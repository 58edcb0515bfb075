/*
 * Volume-type encryption bodies (cinder/api/schemas/volume_type_encryption.py): provider and
 * control_location required on create, optional on update; other keys are allowed and ignored.
 * key_size may be an integer or a string of one; Cinder converts it (and checks a string's range too).
 */
import { Type } from '@sinclair/typebox';
import { BadRequestError, InvalidInputError } from '../../errors';
import type { EncryptionSpecs } from '../../services/encryption-type-service';
import { DB_MAX_INT } from './parameter-types';
import { pyRepr, validator } from './validator';

const fields = {
  key_size: Type.Optional(Type.Unsafe<number | string | null>({ type: ['string', 'integer', 'null'], minimum: 0, maximum: DB_MAX_INT })),
  provider: Type.String({ minLength: 0, maxLength: 255 }),
  control_location: Type.Unsafe<'front-end' | 'back-end'>({ enum: ['front-end', 'back-end'] }),
  cipher: Type.Optional(Type.Unsafe<string | null>({ type: ['string', 'null'], minLength: 0, maxLength: 255 })),
};

export const validateEncryptionCreate = validator(
  Type.Object({ encryption: Type.Object(fields, { additionalProperties: true }) }, { additionalProperties: false }),
);

export const validateEncryptionUpdate = validator(
  Type.Object(
    {
      encryption: Type.Object(
        { ...fields, provider: Type.Optional(fields.provider), control_location: Type.Optional(fields.control_location) },
        { additionalProperties: true },
      ),
    },
    { additionalProperties: false },
  ),
);

type UpdateBody = ReturnType<typeof validateEncryptionUpdate>['encryption'];

/** oslo strutils.is_int_like: the text of an integer exactly as Python writes it. */
const INT_LIKE = /^(0|-?[1-9]\d*)$/;

/** key_size as a number; a string is range-checked like a number, then must be an integer. */
function keySizeOf(raw: number | string | null | undefined): number | null | undefined {
  if (typeof raw !== 'string') return raw;
  const n = Number(raw);
  if (raw.trim() !== '' && !Number.isNaN(n)) {
    const prefix = `Invalid input for field/attribute key_size. Value: ${pyRepr(raw)}.`;
    if (n < 0) throw new BadRequestError(`${prefix} ${raw} is less than the minimum of 0`);
    if (n > DB_MAX_INT) throw new BadRequestError(`${prefix} ${raw} is greater than the maximum of ${DB_MAX_INT}`);
  }
  if (!INT_LIKE.test(raw)) throw new InvalidInputError('key_size must be an integer.');
  return n;
}

/** The encryption columns of a validated body, key_size converted; other keys are dropped. */
export function encryptionSpecsOf(body: UpdateBody): EncryptionSpecs {
  const out: EncryptionSpecs = {};
  if (body.provider !== undefined) out.provider = body.provider;
  if (body.control_location !== undefined) out.control_location = body.control_location;
  if (body.cipher !== undefined) out.cipher = body.cipher;
  const keySize = keySizeOf(body.key_size);
  if (keySize !== undefined) out.key_size = keySize;
  return out;
}
