/*
 * Group type, group spec, group and group snapshot request schemas (cinder/api/schemas/group_types.py,
 * group_specs.py, groups.py, group_snapshots.py).
 */
import { Type } from '@sinclair/typebox';
import { validator } from './validator';
import { BooleanLike, Description, Name, Uuid } from './parameter-types';

const TypeName = Type.String({ minLength: 1, maxLength: 255, pattern: '\\S' });
/** Group spec keys have no spaces (group_specs_with_no_spaces_key_and_value_null). */
const GroupSpecs = Type.Unsafe<Record<string, string>>({
  type: 'object',
  patternProperties: { '^[a-zA-Z0-9-_:.]{1,255}$': { type: 'string', maxLength: 255 } },
  additionalProperties: false,
});
const strictObject = { additionalProperties: false } as const;

export const validateGroupTypeCreate = validator(
  Type.Object(
    {
      group_type: Type.Object(
        {
          name: TypeName,
          description: Type.Optional(Description),
          is_public: Type.Optional(BooleanLike),
          group_specs: Type.Optional(Type.Unsafe<Record<string, string> | null>({ ...GroupSpecs, type: ['object', 'null'] })),
        },
        strictObject,
      ),
    },
    strictObject,
  ),
);

export const validateGroupTypeUpdate = validator(
  Type.Object(
    {
      group_type: Type.Object(
        {
          name: Type.Optional(Name),
          description: Type.Optional(Description),
          is_public: Type.Optional(BooleanLike),
        },
        strictObject,
      ),
    },
    strictObject,
  ),
);

export const validateGroupSpecsBody = validator(Type.Object({ group_specs: GroupSpecs }, strictObject));
export const validateGroupSpecKeyBody = validator(Type.Unsafe<Record<string, string>>({ ...GroupSpecs, minProperties: 1, maxProperties: 1 }));

export const validateGroupCreate = validator(
  Type.Object(
    {
      group: Type.Object(
        {
          description: Type.Optional(Description),
          group_type: Type.String({ maxLength: 255 }),
          name: Type.Optional(Name),
          volume_types: Type.Array(Type.String({ maxLength: 255 }), { minItems: 1, uniqueItems: true }),
          availability_zone: Type.Optional(Name),
        },
        strictObject,
      ),
    },
    strictObject,
  ),
);

export const validateGroupCreateFromSource = validator(
  Type.Object(
    {
      'create-from-src': Type.Object(
        {
          description: Type.Optional(Description),
          name: Type.Optional(Name),
          source_group_id: Type.Optional(Uuid),
          group_snapshot_id: Type.Optional(Uuid),
        },
        { ...strictObject, oneOf: [{ required: ['group_snapshot_id'] }, { required: ['source_group_id'] }] },
      ),
    },
    strictObject,
  ),
);

export const validateGroupUpdate = validator(
  Type.Object(
    {
      group: Type.Object(
        {
          description: Type.Optional(Description),
          name: Type.Optional(Name),
          add_volumes: Type.Optional(Description),
          remove_volumes: Type.Optional(Description),
        },
        { ...strictObject, anyOf: ['name', 'description', 'add_volumes', 'remove_volumes'].map((k) => ({ required: [k] })) },
      ),
    },
    strictObject,
  ),
);

export const validateGroupDelete = validator(
  Type.Object({ delete: Type.Object({ 'delete-volumes': Type.Optional(BooleanLike) }, strictObject) }, strictObject),
);

/** reset_status of a group or group snapshot: the status word is checked by the controller (format group_status). */
export const validateResetStatus = validator(
  Type.Object({ reset_status: Type.Object({ status: Type.Unsafe<string | null>({ type: ['string', 'null'] }) }, strictObject) }, strictObject),
);

export const validateGroupSnapshotCreate = validator(
  Type.Object(
    {
      group_snapshot: Type.Object(
        {
          group_id: Uuid,
          name: Type.Optional(Name),
          description: Type.Optional(Description),
        },
        strictObject,
      ),
    },
    strictObject,
  ),
);
