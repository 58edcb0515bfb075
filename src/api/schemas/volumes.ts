/*
 * Volume request schemas (cinder/api/schemas/volumes.py). On create, unknown keys inside `volume` are
 * ignored below 3.53 and refused from 3.53; update refuses them at every version, as Cinder does.
 */
import { Type } from '@sinclair/typebox';
import { validator } from './validator';
import { Description, Metadata, Name, NullableMetadata, NullableUuid, VolumeSize } from './parameter-types';

const volumeCreateProperties = {
  name: Name,
  description: Description,
  display_name: Name,
  display_description: Description,
  size: Type.Optional(Type.Unsafe<number | string | null>({ ...VolumeSize, type: ['integer', 'string', 'null'] })),
  availability_zone: Type.Optional(Name),
  source_volid: Type.Optional(NullableUuid),
  snapshot_id: Type.Optional(NullableUuid),
  backup_id: Type.Optional(NullableUuid),
  volume_type: Type.Optional(Name),
  metadata: Type.Optional(NullableMetadata),
  imageRef: Type.Optional(Type.Unsafe<string | null>({ type: ['string', 'null'] })),
  consistencygroup_id: Type.Optional(NullableUuid),
  group_id: Type.Optional(NullableUuid),
  multiattach: Type.Optional(Type.Unsafe<boolean | string | null>({ type: ['boolean', 'string', 'null'] })),
};

function createSchema(strict: boolean) {
  return Type.Object(
    {
      volume: Type.Object(
        {
          ...volumeCreateProperties,
          name: Type.Optional(Name),
          description: Type.Optional(Description),
          display_name: Type.Optional(Name),
          display_description: Type.Optional(Description),
        },
        { additionalProperties: !strict },
      ),
      'OS-SCH-HNT:scheduler_hints': Type.Optional(Type.Unsafe<Record<string, unknown> | null>({ type: ['object', 'null'] })),
    },
    { additionalProperties: false },
  );
}

export const validateVolumeCreateLegacy = validator(createSchema(false));
export const validateVolumeCreate = validator(createSchema(true));
export type VolumeCreateBody = ReturnType<typeof validateVolumeCreate>;

function updateSchema(requireOne: boolean) {
  return Type.Object(
    {
      volume: Type.Object(
        {
          name: Type.Optional(Name),
          description: Type.Optional(Description),
          display_name: Type.Optional(Name),
          display_description: Type.Optional(Description),
          metadata: Type.Optional(NullableMetadata),
        },
        {
          additionalProperties: false,
          // From 3.53 at least one field, reported as Cinder's anyOf ("... not valid under any of the given schemas").
          ...(requireOne ? { anyOf: ['name', 'description', 'display_name', 'display_description', 'metadata'].map((k) => ({ required: [k] })) } : {}),
        },
      ),
    },
    { additionalProperties: false },
  );
}

export const validateVolumeUpdateLegacy = validator(updateSchema(false));
export const validateVolumeUpdate = validator(updateSchema(true));

export const validateMetadataBody = validator(Type.Object({ metadata: Metadata }, { additionalProperties: false }));
export const validateMetaKeyBody = validator(
  Type.Object({ meta: Type.Unsafe<Record<string, string>>({ ...Metadata, minProperties: 1, maxProperties: 1 }) }, { additionalProperties: false }),
);
