/*
 * Backup request schemas (cinder/api/schemas/backups.py, admin_actions.py backup reset). Strict at every
 * version; `metadata` exists from 3.43 and `availability_zone` from 3.51 (earlier: "Additional
 * properties are not allowed"). Bodies Cinder lets through and then crashes on (`{"backup": null}`,
 * `{"restore": null}`) fail the schema here: 400, not 500.
 */
import { Type } from '@sinclair/typebox';
import { BadRequestError } from '../../errors';
import { BACKUP_RESETTABLE } from '../../services/backup-service';
import { validator } from './validator';
import { BooleanLike, Description, Name, NullableMetadata, NullableUuid, Nullable, Uuid } from './parameter-types';

function createSchema(metadata: boolean, zone: boolean) {
  return Type.Object(
    {
      backup: Type.Object(
        {
          volume_id: Uuid,
          container: Type.Optional(Name),
          description: Type.Optional(Description),
          incremental: Type.Optional(BooleanLike),
          force: Type.Optional(BooleanLike),
          name: Type.Optional(Name),
          snapshot_id: Type.Optional(NullableUuid),
          ...(metadata ? { metadata: Type.Optional(NullableMetadata) } : {}),
          ...(zone ? { availability_zone: Type.Optional(Nullable(Type.String({ maxLength: 255 }))) } : {}),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  );
}

interface CreateBody {
  backup: {
    volume_id: string;
    container?: string | null;
    description?: string | null;
    incremental?: boolean | string;
    force?: boolean | string;
    name?: string | null;
    snapshot_id?: string | null;
    metadata?: Record<string, string> | null;
    availability_zone?: string | null;
  };
}

const createValidators = {
  base: validator(createSchema(false, false)),
  metadata: validator(createSchema(true, false)),
  zone: validator(createSchema(true, true)),
};

export function validateBackupCreate(body: unknown, opts: { metadata: boolean; zone: boolean }): CreateBody {
  const v = opts.zone ? createValidators.zone : opts.metadata ? createValidators.metadata : createValidators.base;
  return v(body) as CreateBody;
}

function updateSchema(metadata: boolean) {
  return Type.Object(
    {
      backup: Type.Object(
        {
          name: Type.Optional(Name),
          description: Type.Optional(Description),
          ...(metadata ? { metadata: Type.Optional(NullableMetadata) } : {}),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  );
}

interface UpdateBody {
  backup: { name?: string | null; description?: string | null; metadata?: Record<string, string> | null };
}

const updateValidators = { base: validator(updateSchema(false)), metadata: validator(updateSchema(true)) };

export function validateBackupUpdate(body: unknown, opts: { metadata: boolean }): UpdateBody {
  return (opts.metadata ? updateValidators.metadata : updateValidators.base)(body) as UpdateBody;
}

export const validateBackupRestore = validator(
  Type.Object(
    {
      restore: Type.Object({ volume_id: Type.Optional(NullableUuid), name: Type.Optional(Name) }, { additionalProperties: false }),
    },
    { additionalProperties: false },
  ),
);

export const validateBackupImport = validator(
  Type.Object(
    {
      'backup-record': Type.Object({ backup_service: Type.String({ maxLength: 255 }), backup_url: Type.String() }, { additionalProperties: false }),
    },
    { additionalProperties: false },
  ),
);

const validateResetStatusBody = validator(
  Type.Object({ 'os-reset_status': Type.Object({ status: Type.String() }, { additionalProperties: false }) }, { additionalProperties: false }),
);

export function validateBackupResetStatus(body: unknown): { status: string } {
  const { 'os-reset_status': action } = validateResetStatusBody(body);
  const status = action.status.toLowerCase();
  if (!(BACKUP_RESETTABLE as readonly string[]).includes(status)) {
    throw new BadRequestError(`Backup status: ${action.status} is invalid, valid statuses are: [${BACKUP_RESETTABLE.map((s) => `'${s}'`).join(', ')}].`);
  }
  return { status };
}

export const validateBackupForceDelete = validator(
  Type.Object({ 'os-force_delete': Type.Unsafe<Record<string, unknown> | null>({ type: ['object', 'null'] }) }, { additionalProperties: false }),
);
