/*
 * QoS specs request bodies (cinder/api/schemas/qos_specs.py) and the checks Cinder makes after the
 * schema: the name format `name_skip_leading_trailing_spaces` and, on create, the key and value lengths
 * (cinder/utils.py validate_dictionary_string_length).
 */
import { Type } from '@sinclair/typebox';
import { BadRequestError, InvalidInputError } from '../../errors';
import { METADATA_KEY_PATTERN } from './parameter-types';
import { validator } from './validator';

/** Any keys besides `name` (the specs and `consumer`); their values are checked by `checkCreateSpecs`. */
export const validateQosCreate = validator(
  Type.Object(
    {
      qos_specs: Type.Object({ name: Type.String() }, { additionalProperties: true }),
    },
    { additionalProperties: false },
  ),
);

/** PUT /qos-specs/{id}: parameter_types.extra_specs_with_null. */
export const validateQosSet = validator(
  Type.Object(
    {
      qos_specs: Type.Unsafe<Record<string, string | null>>({
        type: 'object',
        patternProperties: { [METADATA_KEY_PATTERN]: { type: ['string', 'null'], maxLength: 255 } },
        additionalProperties: false,
      }),
    },
    { additionalProperties: false },
  ),
);

/** PUT /qos-specs/{id}/delete_keys. */
export const validateQosUnset = validator(
  Type.Object({ keys: Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { uniqueItems: true }) }, { additionalProperties: false }),
);

/** The name as Cinder keeps it (trimmed); 400 in Cinder's InvalidName words. */
export function checkQosName(name: string): string {
  const invalid = (reason: string) => new BadRequestError(`An invalid 'name' value was provided. ${reason}`);
  if (!name) throw invalid("The 'name' can not be None.");
  const trimmedName = name.trim();
  if (trimmedName.length === 0) throw invalid("The 'name' can not be empty.");
  if (trimmedName.length > 255) throw invalid("The 'name' can not be greater than 255 characters.");
  return trimmedName;
}

/** Keys 1-255 characters, values strings of at most 255 or null (oslo strutils' wording). */
export function checkCreateSpecs(specs: Record<string, unknown>): Record<string, string | null> {
  for (const [key, value] of Object.entries(specs)) {
    if (key.length < 1) throw new InvalidInputError(`Key "${key}" has ${key.length} characters, less than 1.`);
    if (key.length > 255) throw new InvalidInputError(`Key "${key}" has ${key.length} characters, more than 255.`);
    if (value === null) continue;
    const name = `Value for key "${key}"`;
    if (typeof value !== 'string') throw new InvalidInputError(`${name} is not a string or unicode`);
    if (value.length > 255) throw new InvalidInputError(`${name} has ${value.length} characters, more than 255.`);
  }
  return specs as Record<string, string | null>;
}
