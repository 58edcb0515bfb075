/*
 * Request schemas of the services, clusters and workers APIs (cinder/api/schemas/services.py,
 * clusters.py, workers.py; parameter_types cinder_host, hostname, binary, boolean, service_id).
 */
import { Type } from '@sinclair/typebox';
import { InvalidInputError } from '../../errors';
import { BooleanLike, Nullable, Uuid } from './parameter-types';
import { validator } from './validator';

/** A Cinder host string: `host`, `host@backend`, `host@backend#pool` (brackets for IPv6 pools). */
const CinderHost = Type.Unsafe<string | null>({ type: ['string', 'null'], minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9-._#@:/+\\[\\]]*$' });
const Hostname = Type.Unsafe<string | null>({ type: ['string', 'null'], minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9-._#@:/+]*$' });
const NullableString = Nullable(Type.String({ maxLength: 255 }));
const LogBinary = Type.Union(['cinder-scheduler', 'cinder-volume', 'cinder-backup', 'cinder-api', '', '*'].map((b) => Type.Literal(b)));

const enableAndDisable = {
  binary: Type.String({ minLength: 1, maxLength: 255 }),
  host: CinderHost,
  cluster: NullableString,
  service: Type.String({ minLength: 1, maxLength: 255 }),
};
const bySomeBinary = { anyOf: [{ required: ['binary'] }, { required: ['service'] }] };

export const validateEnableDisable = validator(Type.Partial(Type.Object(enableAndDisable, { additionalProperties: false, ...bySomeBinary })));

export const validateDisableLogReason = validator(
  Type.Partial(
    Type.Object({ ...enableAndDisable, disabled_reason: Type.String({ minLength: 1, maxLength: 255 }) }, { additionalProperties: false, ...bySomeBinary }),
  ),
);

/** Cinder's `disabled_reason` format: 1 to 255 characters once the surrounding spaces are gone. */
export function checkDisabledReason(reason: string | null | undefined): string | null | undefined {
  if (typeof reason === 'string' && reason.trim().length === 0) {
    throw new InvalidInputError('disabled_reason has a minimum character requirement of 1.');
  }
  return reason;
}

export const validateSetLog = validator(
  Type.Partial(
    Type.Object({ binary: LogBinary, server: NullableString, prefix: NullableString, level: Nullable(Type.String()) }, { additionalProperties: false }),
  ),
);

export const validateGetLog = validator(
  Type.Partial(Type.Object({ binary: LogBinary, server: NullableString, prefix: NullableString }, { additionalProperties: false })),
);

export const validateFreezeThaw = validator(Type.Partial(Type.Object({ cluster: NullableString, host: CinderHost }, { additionalProperties: false })));

export const validateFailover = validator(
  Type.Partial(Type.Object({ host: CinderHost, backend_id: NullableString, cluster: NullableString }, { additionalProperties: false })),
);

// --- clusters ------------------------------------------------------------------------------------------

const ClusterName = Type.String({ minLength: 1, maxLength: 255 });

export const validateEnableCluster = validator(Type.Object({ name: ClusterName, binary: Type.Optional(NullableString) }, { additionalProperties: false }));

export const validateDisableCluster = validator(
  Type.Object(
    { name: ClusterName, binary: Type.Optional(NullableString), disabled_reason: Type.Optional(Nullable(Type.String({ maxLength: 255 }))) },
    { additionalProperties: false },
  ),
);

// --- workers cleanup -----------------------------------------------------------------------------------

export const validateCleanup = validator(
  Type.Partial(
    Type.Object(
      {
        cluster_name: Hostname,
        disabled: BooleanLike,
        host: Hostname,
        is_up: BooleanLike,
        binary: Type.Union([Type.Literal('cinder-volume'), Type.Literal('cinder-scheduler')]),
        resource_id: Type.Unsafe<string | null>({ oneOf: [{ type: 'null' }, Uuid] }),
        resource_type: Type.Unsafe<string | null>({ type: ['string', 'null'], minLength: 0, maxLength: 40 }),
        service_id: Type.Unsafe<number | string | null>({ type: ['integer', 'string', 'null'], pattern: '^[0-9]*$', maxLength: 11 }),
      },
      { additionalProperties: false },
    ),
  ),
);
