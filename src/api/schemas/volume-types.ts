/* Volume type, extra spec and default-type request schemas (cinder/api/schemas/volume_types.py, default_types.py). */
import { Type } from '@sinclair/typebox';
import { validator } from './validator';
import { BooleanLike } from './parameter-types';

const TypeName = Type.String({ minLength: 1, maxLength: 255, pattern: '\\S' });
const TypeDescription = Type.Unsafe<string | null>({ type: ['string', 'null'], maxLength: 255 });
const ExtraSpecs = Type.Unsafe<Record<string, string>>({
  type: 'object',
  patternProperties: { '^[a-zA-Z0-9-_:. /]{1,255}$': { type: 'string', maxLength: 255 } },
  additionalProperties: false,
});

export const validateTypeCreate = validator(
  Type.Object(
    {
      volume_type: Type.Object(
        {
          name: TypeName,
          description: Type.Optional(TypeDescription),
          extra_specs: Type.Optional(ExtraSpecs),
          'os-volume-type-access:is_public': Type.Optional(BooleanLike),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
);

export const validateTypeUpdate = validator(
  Type.Object(
    {
      volume_type: Type.Object(
        {
          // cinderclient sends "name": null when only the description or visibility changes.
          name: Type.Optional(Type.Unsafe<string | null>({ type: ['string', 'null'], maxLength: 255 })),
          description: Type.Optional(TypeDescription),
          is_public: Type.Optional(
            Type.Unsafe<boolean | string | null>({ ...BooleanLike, type: ['boolean', 'string', 'null'], enum: [...(BooleanLike.enum as unknown[]), null] }),
          ),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
);

export const validateExtraSpecsBody = validator(Type.Object({ extra_specs: ExtraSpecs }, { additionalProperties: false }));
export const validateExtraSpecKeyBody = validator(Type.Unsafe<Record<string, string>>({ ...ExtraSpecs, minProperties: 1, maxProperties: 1 }));

export const validateDefaultTypeSet = validator(
  Type.Object(
    { default_type: Type.Object({ volume_type: Type.String({ minLength: 1, maxLength: 255 }) }, { additionalProperties: false }) },
    { additionalProperties: false },
  ),
);

/** POST /types/{id}/action addProjectAccess / removeProjectAccess (cinder/api/schemas/volume_type_access.py). */
const ProjectAccess = Type.Object({ project: Type.String({ minLength: 1, maxLength: 255 }) }, { additionalProperties: false });
export const validateAddProjectAccess = validator(Type.Object({ addProjectAccess: ProjectAccess }, { additionalProperties: false }));
export const validateRemoveProjectAccess = validator(Type.Object({ removeProjectAccess: ProjectAccess }, { additionalProperties: false }));
