/*
 * Snapshot request schemas (cinder/api/schemas/snapshots.py, snapshot_actions.py, admin_actions.py
 * reset_status_snapshot). Unknown keys are refused at every version, as Cinder does. Metadata bodies
 * reuse the volume metadata schemas (the same parameter types in Cinder).
 */
import { Type } from '@sinclair/typebox';
import { BadRequestError, InvalidInputError } from '../../errors';
import { SNAPSHOT_STATUSES } from '../../services/volume-states';
import { validator } from './validator';
import { BooleanLike, Description, Name, NullableMetadata, NullableUuid } from './parameter-types';

export const validateSnapshotCreate = validator(
  Type.Object(
    {
      snapshot: Type.Object(
        {
          name: Type.Optional(Name),
          display_name: Type.Optional(Name),
          description: Type.Optional(Description),
          volume_id: NullableUuid,
          force: Type.Optional(BooleanLike),
          metadata: Type.Optional(NullableMetadata),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
);
export type SnapshotCreateBody = ReturnType<typeof validateSnapshotCreate>;

export const validateSnapshotUpdate = validator(
  Type.Object(
    {
      snapshot: Type.Object(
        {
          name: Type.Optional(Name),
          description: Type.Optional(Description),
          display_name: Type.Optional(Name),
          display_description: Type.Optional(Description),
        },
        // At least one field, reported as Cinder's anyOf ("... is not valid under any of the given schemas").
        { additionalProperties: false, anyOf: ['name', 'description', 'display_name', 'display_description'].map((k) => ({ required: [k] })) },
      ),
    },
    { additionalProperties: false },
  ),
);

const validateResetStatusBody = validator(
  Type.Object({ 'os-reset_status': Type.Object({ status: Type.String() }, { additionalProperties: false }) }, { additionalProperties: false }),
);

const validateUpdateStatusBody = validator(
  Type.Object(
    {
      'os-update_snapshot_status': Type.Object({ status: Type.String(), progress: Type.Optional(Type.Unknown()) }, { additionalProperties: false }),
    },
    { additionalProperties: false },
  ),
);

/** Python's repr of a tuple of strings, as Cinder prints SnapshotStatus.ALL. */
const STATUS_TUPLE = `(${SNAPSHOT_STATUSES.map((s) => `'${s}'`).join(', ')})`;

/** os-reset_status: `status` must be a snapshot status (any case), else Cinder's list of the valid ones. */
export function validateSnapshotResetStatus(body: unknown): { status: string } {
  const { 'os-reset_status': action } = validateResetStatusBody(body);
  if (!action.status || !(SNAPSHOT_STATUSES as readonly string[]).includes(action.status.toLowerCase())) {
    throw new BadRequestError(`Snapshot status: ${action.status} is invalid, valid statuses are: ${STATUS_TUPLE}.`);
  }
  return { status: action.status.toLowerCase() };
}

/** os-update_snapshot_status: `status` (checked against the current one by the service), `progress` "0%".."100%". */
export function validateSnapshotUpdateStatus(body: unknown): { status: string; progress?: string } {
  const { 'os-update_snapshot_status': action } = validateUpdateStatusBody(body);
  const progress = action.progress;
  if (progress === undefined || progress === null || progress === '' || progress === false || progress === 0) return { status: action.status };
  // Cinder's 'progress' format: int(progress[:-1]) and a final '%'.
  if (typeof progress !== 'string' || !/^\s*[-+]?\d+\s*$/.test(progress.slice(0, -1))) {
    throw new InvalidInputError('progress must be an integer percentage');
  }
  const n = Number(progress.slice(0, -1));
  if (n < 0 || n > 100 || !progress.endsWith('%')) throw new InvalidInputError('progress must be an integer percentage between 0 and 100');
  return { status: action.status, progress };
}
