/*
 * Quota-class request schema (cinder/api/schemas/quota_classes.py, parameter_types.quota_class_set): a
 * `quota_class_set` object of limits, each an integer >= -1 or a string of digits. Which keys are quota
 * resources depends on the volume types, so the quota service checks the keys.
 */
import { Type } from '@sinclair/typebox';
import { MAX_QUOTA_LIMIT } from '../../services/quota-service';
import { validator } from './validator';

const Limit = Type.Unsafe<number | string>({ type: ['integer', 'string'], pattern: '^[0-9]*$', minimum: -1, minLength: 1, maximum: MAX_QUOTA_LIMIT });

const validateBody = validator(
  Type.Object(
    {
      quota_class_set: Type.Unsafe<Record<string, number | string>>({
        type: 'object',
        patternProperties: { '^[a-zA-Z0-9-_:. ]{1,300}$': Limit },
        additionalProperties: false,
      }),
    },
    { additionalProperties: false },
  ),
);

/** The body's limits as numbers ("10" is 10, as Cinder's integer column makes it). */
export function validateQuotaClassUpdate(body: unknown): Record<string, number> {
  const { quota_class_set } = validateBody(body);
  return Object.fromEntries(Object.entries(quota_class_set).map(([k, v]) => [k, Number(v)]));
}
