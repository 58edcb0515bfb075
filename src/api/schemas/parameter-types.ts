/*
 * Shared schema fragments (cinder/api/validation/parameter_types.py): size, names, metadata, uuids,
 * booleans. Nullable fields use JSON Schema type lists rather than unions, so a failure names one problem.
 */
import { Type, type TSchema, type Static } from '@sinclair/typebox';

export const DB_MAX_INT = 0x7fffffff;

/** `{type: [T, 'null']}` for a TypeBox schema of a simple type. */
export function Nullable<S extends TSchema>(schema: S) {
  return Type.Unsafe<Static<S> | null>({ ...schema, type: [schema.type as string, 'null'] });
}

/** Integer, or a string of digits (Cinder converts it); 1 .. 2^31-1. */
export const VolumeSize = Type.Unsafe<number | string>({ type: ['integer', 'string'], pattern: '^[0-9]+$', minimum: 1, maximum: DB_MAX_INT });

export const Name = Nullable(Type.String({ maxLength: 255 }));
export const Description = Nullable(Type.String({ maxLength: 255 }));
export const Uuid = Type.String({ format: 'uuid' });
export const NullableUuid = Nullable(Type.String({ format: 'uuid' }));

export const METADATA_KEY_PATTERN = '^[a-zA-Z0-9-_:. /]{1,255}$';

export const Metadata = Type.Unsafe<Record<string, string>>({
  type: 'object',
  patternProperties: { [METADATA_KEY_PATTERN]: { type: 'string', maxLength: 255 } },
  additionalProperties: false,
});

export const NullableMetadata = Type.Unsafe<Record<string, string> | null>({ ...Metadata, type: ['object', 'null'] });

/** Boolean or one of the strings oslo's bool_from_string accepts. */
export const BOOLEAN_STRINGS = [
  'true',
  'True',
  'TRUE',
  'false',
  'False',
  'FALSE',
  '1',
  '0',
  'yes',
  'no',
  'Yes',
  'No',
  'YES',
  'NO',
  'on',
  'off',
  'On',
  'Off',
  'ON',
  'OFF',
  'y',
  'n',
  't',
  'f',
];
export const BooleanLike = Type.Unsafe<boolean | string>({ type: ['boolean', 'string'], enum: [true, false, ...BOOLEAN_STRINGS] });

export function toBoolean(value: boolean | string): boolean {
  if (typeof value === 'boolean') return value;
  return ['true', '1', 'yes', 'on', 'y', 't'].includes(value.toLowerCase());
}
