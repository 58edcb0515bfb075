/* Quota-set request schema: values are checked per key by the quota service (known keys, >= -1, usage). */
import { Type } from '@sinclair/typebox';
import { validator } from './validator';

export const validateQuotaUpdate = validator(
  Type.Object({ quota_set: Type.Record(Type.String(), Type.Unsafe<number | string>({ type: ['integer', 'string'] })) }, { additionalProperties: false }),
);
