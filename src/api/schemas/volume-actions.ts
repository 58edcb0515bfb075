/*
 * Volume action request schemas (cinder/api/schemas/volume_actions.py, admin_actions.py). Each schema
 * covers the whole body, `{"<action>": {...}}`, so a failure names the field as Cinder does. Actions that
 * Cinder does not validate (os-reserve, os-unreserve, os-begin_detaching, os-roll_detaching,
 * os-force_delete) accept any value, `null` included (cinderclient sends `null`).
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { validator } from './validator';
import { BooleanLike, Uuid, VolumeSize } from './parameter-types';

function action<K extends string, S extends TSchema>(name: K, inner: S) {
  return validator(Type.Object({ [name]: inner } as { [P in K]: S }, { additionalProperties: false }));
}

const NullableString = Type.Unsafe<string | null>({ type: ['string', 'null'] });
const Connector = Type.Unsafe<Record<string, unknown> | string>({ type: ['object', 'string'] });
const NullableConnector = Type.Unsafe<Record<string, unknown> | string | null>({ type: ['string', 'object', 'null'] });
const AnyValue = Type.Unknown();

export const validateExtend = action('os-extend', Type.Object({ new_size: VolumeSize }, { additionalProperties: false }));

export const validateResetStatus = action(
  'os-reset_status',
  Type.Object(
    { status: Type.Optional(NullableString), attach_status: Type.Optional(NullableString), migration_status: Type.Optional(NullableString) },
    { additionalProperties: false },
  ),
);

export const validateSetBootable = action('os-set_bootable', Type.Object({ bootable: BooleanLike }, { additionalProperties: false }));

export const validateReadonly = action('os-update_readonly_flag', Type.Object({ readonly: BooleanLike }, { additionalProperties: false }));

export const validateRetype = action(
  'os-retype',
  Type.Object(
    {
      new_type: Type.String(),
      // Cinder's enum has no null, so `null` is refused although the type allows it.
      migration_policy: Type.Optional(Type.Unsafe<'on-demand' | 'never'>({ type: ['string', 'null'], enum: ['on-demand', 'never'] })),
    },
    { additionalProperties: false },
  ),
);

export const validateAttach = action(
  'os-attach',
  Type.Object(
    {
      instance_uuid: Type.Optional(Uuid),
      mountpoint: Type.String({ minLength: 1, maxLength: 255 }),
      host_name: Type.Optional(Type.String({ maxLength: 255 })),
      mode: Type.Optional(Type.Unsafe<'rw' | 'ro'>({ type: 'string', enum: ['rw', 'ro'] })),
    },
    { additionalProperties: false, anyOf: [{ required: ['instance_uuid'] }, { required: ['host_name'] }] },
  ),
);

export const validateDetach = action(
  'os-detach',
  Type.Unsafe<{ attachment_id?: string | null } | null>({
    type: ['object', 'null'],
    properties: { attachment_id: { type: ['string', 'null'], format: 'uuid' } },
    additionalProperties: false,
  }),
);

export const validateInitializeConnection = action('os-initialize_connection', Type.Object({ connector: Connector }, { additionalProperties: false }));

export const validateTerminateConnection = action('os-terminate_connection', Type.Object({ connector: NullableConnector }, { additionalProperties: false }));

export const validateForceDetach = action(
  'os-force_detach',
  Type.Object({ connector: Type.Optional(NullableConnector), attachment_id: Type.Optional(NullableString) }, { additionalProperties: false }),
);

/** Cinder only requires `revert` to be an object; the snapshot service checks the id (latest snapshot). */
export const validateRevert = action('revert', Type.Object({ snapshot_id: Type.Optional(NullableString) }));

export const validateReserve = action('os-reserve', AnyValue);
export const validateUnreserve = action('os-unreserve', AnyValue);
export const validateBeginDetaching = action('os-begin_detaching', AnyValue);
export const validateRollDetaching = action('os-roll_detaching', AnyValue);
export const validateForceDelete = action('os-force_delete', AnyValue);

// --- os-migrate_volume (issue 16; cinder/api/schemas/admin_actions.py) -----------------------------

export const validateMigrateVolume = action(
  'os-migrate_volume',
  Type.Object(
    { host: Type.String({ maxLength: 255 }), force_host_copy: Type.Optional(BooleanLike), lock_volume: Type.Optional(BooleanLike) },
    { additionalProperties: false },
  ),
);

/** 3.16: a host or a cluster. */
export const validateMigrateVolumeV316 = action(
  'os-migrate_volume',
  Type.Object(
    {
      host: Type.Optional(Type.Unsafe<string | null>({ type: ['string', 'null'], maxLength: 255 })),
      force_host_copy: Type.Optional(BooleanLike),
      lock_volume: Type.Optional(BooleanLike),
      cluster: Type.Optional(Type.String({ minLength: 0, maxLength: 255 })),
    },
    { additionalProperties: false },
  ),
);

export const validateMigrateVolumeCompletion = action(
  'os-migrate_volume_completion',
  Type.Object(
    { new_volume: Uuid, error: Type.Optional(Type.Unsafe<string | boolean | null>({ type: ['string', 'null', 'boolean'] })) },
    { additionalProperties: false },
  ),
);
