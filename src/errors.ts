/*
 * Typed API errors and the one mapping from any error to a Cinder fault body.
 *
 * Domain code throws ApiError subclasses; Restify's own errors (404, 405, 413, 415, body parse) and
 * anything unexpected pass through `toFault` too, in the JSON formatter, so no error can leave the
 * server in another shape. 5xx messages never reach the wire: the client gets Cinder's generic text and
 * the log gets the full error.
 */

/** Cinder's fault key per status (cinder/api/openstack/wsgi.py, Fault._fault_names). */
const FAULT_NAMES: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

export function faultName(status: number): string {
  return FAULT_NAMES[status] ?? 'computeFault';
}

export const GENERIC_500_MESSAGE = 'The server has either erred or is incapable of performing the requested operation.';

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    /** Extra headers for the response (e.g. Retry-After). */
    readonly headers: Record<string, string> = {},
    /** Extra keys inside the fault object (e.g. retryAfter). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends ApiError {
  constructor(message: string) {
    super(400, message);
  }
}

export class NotFoundError extends ApiError {
  constructor(message = 'The resource could not be found.') {
    super(404, message);
  }
}

export class ConflictError extends ApiError {
  constructor(message: string) {
    super(409, message);
  }
}

export class NotAcceptableVersionError extends ApiError {
  constructor(message: string) {
    super(406, message);
  }
}

export class ForbiddenError extends ApiError {
  constructor(message = 'Policy does not allow this operation to be performed.') {
    super(403, message);
  }
}

export class PreconditionFailedError extends ApiError {
  constructor() {
    super(412, 'Precondition Failed');
  }
}

export class ServiceUnavailableError extends ApiError {
  constructor(message: string) {
    super(503, message);
  }
}

export const DATABASE_UNAVAILABLE_MESSAGE = 'The database is not available at this time; try again later.';

/**
 * 503: the database cannot serve right now (down, restarting, out of connections, too slow). The store
 * raises it in place of the driver's error (src/db/postgres.ts), so the request ends as a clean 503
 * whatever code was running; `cause` keeps the driver's error for the log.
 */
export class DatabaseUnavailableError extends ServiceUnavailableError {
  constructor(override readonly cause: unknown) {
    super(DATABASE_UNAVAILABLE_MESSAGE);
  }
}

/**
 * Errors that mean "the database cannot serve now", not "this request is wrong" (issue 8): socket
 * errors of Node, PostgreSQL's connection-exception (08xxx) and shutdown SQLSTATEs, too many
 * connections, a statement cancelled by statement_timeout, and pg's own errors for a connection that
 * died or a pool that found no free connection in time. Retrying later can succeed.
 */
const DATABASE_DOWN_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  '08000', // connection_exception
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08003', // connection_does_not_exist
  '08004', // sqlserver_rejected_establishment_of_sqlconnection
  '08006', // connection_failure
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down, recovering)
  '53300', // too_many_connections
  '57014', // query_canceled: statement_timeout
  '25P03', // idle_in_transaction_session_timeout
]);
const DATABASE_DOWN_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable|Client was closed and is not queryable|Cannot use a pool after calling end on the pool)/;

export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof DatabaseUnavailableError) return true;
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return (typeof code === 'string' && DATABASE_DOWN_CODES.has(code)) || DATABASE_DOWN_MESSAGES.test(err.message);
}

// --- failure modes (issue 19) ---
export const STORAGE_FULL_MESSAGE = 'The storage of the service is full: nothing was written. Try again once space has been freed.';
export const STORE_BUSY_MESSAGE = 'The database is busy with other writes; try again later.';

/**
 * 503: a write failed for space (SQLite SQLITE_FULL, ENOSPC, PostgreSQL 53100 disk_full). The store
 * raises it in place of the driver's error (src/db/store-errors.ts); the transaction was rolled back.
 */
export class StorageFullError extends ServiceUnavailableError {
  constructor(override readonly cause: unknown) {
    super(STORAGE_FULL_MESSAGE);
  }
}

/** 503: the write lock (SQLite) or a serialization/deadlock abort (PostgreSQL) persisted through the store's retries. */
export class StoreBusyError extends ServiceUnavailableError {
  constructor(override readonly cause: unknown) {
    super(STORE_BUSY_MESSAGE);
  }
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Out of space: SQLITE_FULL, ENOSPC (also EDQUOT, a quota), PostgreSQL disk_full. */
export function isOutOfSpace(err: unknown): boolean {
  if (err instanceof StorageFullError) return true;
  const code = errorCode(err);
  return code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT' || code === '53100';
}

/** Another writer holds the lock, or PostgreSQL aborted the transaction to serialize it: run it again. */
export function isStoreBusy(err: unknown): boolean {
  if (err instanceof StoreBusyError) return true;
  const code = errorCode(err);
  return code !== undefined && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || code === '40001' || code === '40P01');
}

/** 413 overLimit as Cinder sends it: `<ExceptionName>: <text>`, retryAfter "0", Retry-After: 0. */
export class QuotaExceededError extends ApiError {
  constructor(
    readonly exceptionName: string,
    text: string,
  ) {
    super(413, `${exceptionName}: ${text}`, { 'Retry-After': '0' }, { retryAfter: '0' });
  }
}

/**
 * 413 as Cinder words the gigabytes refusal of a transfer accept: no exception-name prefix, but
 * retryAfter "0" and Retry-After: 0 like QuotaExceededError.
 */
export class GigabytesQuotaExceededError extends ApiError {
  constructor(resource: string, requested: number | string, limit: number | string, consumed: number | string) {
    super(
      413,
      `Requested volume or snapshot exceeds allowed ${resource} quota. Requested ${requested}G, quota is ${limit}G and ${consumed}G has been consumed.`,
      { 'Retry-After': '0' },
      { retryAfter: '0' },
    );
  }
}

export class VolumeNotFoundError extends NotFoundError {
  constructor(id: string) {
    super(`Volume ${id} could not be found.`);
  }
}

export class VolumeTypeNotFoundError extends NotFoundError {
  constructor(id: string) {
    super(`Volume type ${id} could not be found.`);
  }
}

export class VolumeTypeNotFoundByNameError extends NotFoundError {
  constructor(name: string) {
    super(`Volume type with name ${name} could not be found.`);
  }
}

export class VolumeMetadataNotFoundError extends NotFoundError {
  constructor(id: string, key: string) {
    super(`Volume ${id} has no metadata with key ${key}.`);
  }
}

export class VolumeTypeExtraSpecsNotFoundError extends NotFoundError {
  constructor(typeId: string, key: string) {
    super(`Volume Type ${typeId} has no extra specs with key ${key}.`);
  }
}

export class SnapshotNotFoundError extends NotFoundError {
  constructor(id: string) {
    super(`Snapshot ${id} could not be found.`);
  }
}

export class SnapshotMetadataNotFoundError extends NotFoundError {
  constructor(id: string, key: string) {
    super(`Snapshot ${id} has no metadata with key ${key}.`);
  }
}

/** "Invalid snapshot: ..." (cinder.exception.InvalidSnapshot): wrong snapshot status for the operation. */
export class InvalidSnapshotError extends BadRequestError {
  constructor(reason: string) {
    super(`Invalid snapshot: ${reason}`);
  }
}

/** "Invalid input received: ..." (cinder.exception.InvalidInput). */
export class InvalidInputError extends BadRequestError {
  constructor(reason: string) {
    super(`Invalid input received: ${reason}`);
  }
}

/** "Invalid volume: ..." (cinder.exception.InvalidVolume): wrong status for the operation. */
export class InvalidVolumeError extends BadRequestError {
  constructor(reason: string) {
    super(`Invalid volume: ${reason}`);
  }
}

export class BackupNotFoundError extends NotFoundError {
  constructor(id: string) {
    super(`Backup ${id} could not be found.`);
  }
}

/** "Invalid backup: ..." (cinder.exception.InvalidBackup). */
export class InvalidBackupError extends BadRequestError {
  constructor(reason: string) {
    super(`Invalid backup: ${reason}`);
  }
}

export class AttachmentNotFoundError extends NotFoundError {
  constructor(id: string) {
    super(`Volume attachment could not be found with filter: attachment_id = ${id}.`);
  }
}

export class TransferNotFoundError extends NotFoundError {
  constructor(id: string) {
    super(`Transfer ${id} could not be found.`);
  }
}

export class MessageNotFoundError extends NotFoundError {
  constructor(id: string) {
    super(`Message ${id} could not be found.`);
  }
}

// --- volume type access, QoS specs, encryption types (issue 15) ---

/** "Invalid volume type: ..." (cinder.exception.InvalidVolumeType). */
export class InvalidVolumeTypeError extends BadRequestError {
  constructor(reason: string) {
    super(`Invalid volume type: ${reason}`);
  }
}

export class VolumeTypeAccessNotFoundError extends NotFoundError {
  constructor(typeId: string, projectId: string) {
    super(`Volume type access not found for ${typeId} / ${projectId} combination.`);
  }
}

export class VolumeTypeAccessExistsError extends ConflictError {
  constructor(typeId: string, projectId: string) {
    super(`Volume type access for ${typeId} / ${projectId} combination already exists.`);
  }
}

export class QosSpecsNotFoundError extends NotFoundError {
  constructor(id: string) {
    super(`No such QoS spec ${id}.`);
  }
}

export class QosSpecsKeyNotFoundError extends NotFoundError {
  constructor(id: string, key: string) {
    super(`QoS spec ${id} has no spec with key ${key}.`);
  }
}

export class QosSpecsExistsError extends ConflictError {
  constructor(name: string) {
    super(`QoS Specs ${name} already exists.`);
  }
}

/** "Invalid qos specs: ..." (cinder.exception.InvalidQoSSpecs). */
export class InvalidQosSpecsError extends BadRequestError {
  constructor(reason: string) {
    super(`Invalid qos specs: ${reason}`);
  }
}

export class VolumeTypeEncryptionNotFoundError extends NotFoundError {
  constructor(typeId: string) {
    super(`Volume type encryption for type ${typeId} does not exist.`);
  }
}

/** 400, not 409: Cinder's VolumeTypeEncryptionExists is an Invalid. */
export class VolumeTypeEncryptionExistsError extends BadRequestError {
  constructor(typeId: string) {
    super(`Volume type encryption for type ${typeId} already exists.`);
  }
}

// --- services, hosts and clusters (issue 15, part B) ---

/** cinder.exception.ServiceNotFound, as the services and hosts APIs word it (binary and host). */
export class ServiceNotFoundError extends NotFoundError {
  constructor(serviceId: string, host: string) {
    super(`Service ${serviceId} could not be found on host ${host}.`);
  }
}

/** cinder.exception.ClusterNotFound; `id` is the lookup's filters, as Cinder prints them. */
export class ClusterNotFoundError extends NotFoundError {
  constructor(id: string) {
    super(`Cluster ${id} could not be found.`);
  }
}

// --- generic volume groups (issue 16) ---

export class GroupTypeNotFoundError extends NotFoundError {
  constructor(id: string) {
    super(`Group type ${id} could not be found.`);
  }
}

export class GroupTypeNotFoundByNameError extends NotFoundError {
  constructor(name: string) {
    super(`Group type with name ${name} could not be found.`);
  }
}

export class GroupTypeSpecsNotFoundError extends NotFoundError {
  constructor(typeId: string, key: string) {
    super(`Group Type ${typeId} has no specs with key ${key}.`);
  }
}

export class GroupNotFoundError extends NotFoundError {
  constructor(id: string) {
    super(`Group ${id} could not be found.`);
  }
}

export class GroupSnapshotNotFoundError extends NotFoundError {
  constructor(id: string) {
    super(`GroupSnapshot ${id} could not be found.`);
  }
}

/** cinder.exception.InvalidGroup (400). */
export class InvalidGroupError extends BadRequestError {
  constructor(reason: string) {
    super(`Invalid Group: ${reason}`);
  }
}

/** cinder.exception.InvalidGroupSnapshot (400). */
export class InvalidGroupSnapshotError extends BadRequestError {
  constructor(reason: string) {
    super(`Invalid GroupSnapshot: ${reason}`);
  }
}

/** One API error class as a doc generator reads it (docs/api.md's error table). */
export interface ApiErrorCatalogEntry {
  /** The class name (what `err.name` is). */
  name: string;
  errorClass: new (...args: never[]) => ApiError;
  status: number;
  /** The fault key of the body (`itemNotFound`, ...). */
  fault: string;
  /** The message, with `{arg}` where a constructor argument goes (in `params` order). */
  message: string;
  /** The constructor's arguments, in order; the placeholders of `message`. */
  params: readonly string[];
  description: string;
}

/**
 * A catalog entry. Status and message template are the class's own: an instance made with `{param}` for
 * each constructor argument says them, so the documented text is the text the code sends.
 */
function entry(errorClass: ApiErrorCatalogEntry['errorClass'], params: readonly string[], description: string): ApiErrorCatalogEntry {
  const sample = new (errorClass as unknown as new (...args: string[]) => ApiError)(...params.map((p) => `{${p}}`));
  return { name: errorClass.name, errorClass, status: sample.statusCode, fault: faultName(sample.statusCode), message: sample.message, params, description };
}

/** Every API error class, with its constructor's arguments and when it is raised (docs/api.md's error table). */
export const API_ERROR_CATALOG: readonly ApiErrorCatalogEntry[] = [
  entry(BadRequestError, ['message'], 'A request Cinder refuses as malformed or invalid, worded per case.'),
  entry(InvalidInputError, ['reason'], 'cinder.exception.InvalidInput: a parameter or body value is not acceptable.'),
  entry(InvalidVolumeError, ['reason'], 'cinder.exception.InvalidVolume: the volume is in the wrong status for the operation.'),
  entry(InvalidSnapshotError, ['reason'], 'cinder.exception.InvalidSnapshot: the snapshot is in the wrong status for the operation.'),
  entry(InvalidBackupError, ['reason'], 'cinder.exception.InvalidBackup: the backup is in the wrong status, or has dependents.'),
  entry(ForbiddenError, ['message'], 'Policy refuses the caller (default: "Policy does not allow this operation to be performed.").'),
  entry(NotFoundError, ['message'], 'A resource that does not exist or is not visible (default: "The resource could not be found.").'),
  entry(VolumeNotFoundError, ['id'], 'No visible volume with that id.'),
  entry(VolumeTypeNotFoundError, ['id'], 'No volume type with that id.'),
  entry(VolumeTypeNotFoundByNameError, ['name'], 'No volume type with that name.'),
  entry(VolumeMetadataNotFoundError, ['id', 'key'], 'The volume has no such metadata key.'),
  entry(VolumeTypeExtraSpecsNotFoundError, ['typeId', 'key'], 'The volume type has no such extra spec.'),
  entry(SnapshotNotFoundError, ['id'], 'No visible snapshot with that id.'),
  entry(SnapshotMetadataNotFoundError, ['id', 'key'], 'The snapshot has no such metadata key.'),
  entry(BackupNotFoundError, ['id'], 'No visible backup with that id.'),
  entry(AttachmentNotFoundError, ['id'], 'No visible live attachment with that id.'),
  entry(TransferNotFoundError, ['id'], 'No visible live transfer with that id.'),
  entry(MessageNotFoundError, ['id'], 'No visible, unexpired user message with that id.'),
  entry(
    InvalidVolumeTypeError,
    ['reason'],
    'cinder.exception.InvalidVolumeType: access lists of a public type, a type already associated with other QoS specs.',
  ),
  entry(VolumeTypeAccessNotFoundError, ['typeId', 'projectId'], 'removeProjectAccess for a project not on the access list.'),
  entry(VolumeTypeAccessExistsError, ['typeId', 'projectId'], 'addProjectAccess for a project already on the access list.'),
  entry(QosSpecsNotFoundError, ['id'], 'No QoS specs with that id.'),
  entry(QosSpecsKeyNotFoundError, ['id', 'key'], 'delete_keys names a key the QoS specs do not have.'),
  entry(QosSpecsExistsError, ['name'], 'QoS specs with that name exist already.'),
  entry(InvalidQosSpecsError, ['reason'], 'cinder.exception.InvalidQoSSpecs: an unknown consumer.'),
  entry(VolumeTypeEncryptionNotFoundError, ['typeId'], 'The volume type has no encryption (update, delete, or a key it does not have).'),
  entry(VolumeTypeEncryptionExistsError, ['typeId'], 'The volume type has encryption already.'),
  entry(ServiceNotFoundError, ['serviceId', 'host'], 'No service of that binary on that host (os-services enable/disable, os-hosts show).'),
  entry(ClusterNotFoundError, ['id'], 'No cluster of that name and binary (clusters show, enable, disable).'),
  entry(NotAcceptableVersionError, ['message'], 'The requested microversion is outside the supported range.'),
  entry(ConflictError, ['message'], 'The resource is in a state that conflicts with the request (e.g. revert).'),
  entry(PreconditionFailedError, [], 'If-Match does not match the metadata ETag; sent with an empty body.'),
  entry(QuotaExceededError, ['exceptionName', 'text'], 'A quota would be exceeded; retryAfter "0" and Retry-After: 0.'),
  entry(
    GigabytesQuotaExceededError,
    ['resource', 'requested', 'limit', 'consumed'],
    'A transfer accept would exceed a gigabytes quota of the acceptor; retryAfter "0" and Retry-After: 0.',
  ),
  // --- generic volume groups (issue 16) ---
  entry(GroupTypeNotFoundError, ['id'], 'No group type with that id (or `default` when no default group type is configured).'),
  entry(GroupTypeNotFoundByNameError, ['name'], 'No group type with that name (group create with a group type name).'),
  entry(GroupTypeSpecsNotFoundError, ['typeId', 'key'], 'The group type has no such group spec.'),
  entry(GroupNotFoundError, ['id'], 'No visible group with that id.'),
  entry(GroupSnapshotNotFoundError, ['id'], 'No visible group snapshot with that id.'),
  entry(
    InvalidGroupError,
    ['reason'],
    'cinder.exception.InvalidGroup: the group is in the wrong status, has snapshots or volumes, or the update names nothing.',
  ),
  entry(
    InvalidGroupSnapshotError,
    ['reason'],
    'cinder.exception.InvalidGroupSnapshot: the group snapshot is in the wrong status or the source of a group being created.',
  ),
  entry(ServiceUnavailableError, ['message'], 'The service cannot serve the request now.'),
  entry(DatabaseUnavailableError, ['cause'], 'The database is down, restarting, out of connections or too slow.'),
  // --- failure modes (issue 19) ---
  entry(StorageFullError, ['cause'], 'A write failed for space (the disk of the database or of the data dir is full); nothing was written.'),
  entry(StoreBusyError, ['cause'], 'The database stayed locked by other writers (SQLite) or kept aborting the transaction (PostgreSQL) through the retries.'),
];

export interface Fault {
  statusCode: number;
  body: Record<string, Record<string, unknown>>;
  headers: Record<string, string>;
}

/** Restify error names that stand for client mistakes, with Cinder's wording. */
function restifyMessage(err: { name?: string; message?: string }, status: number): string {
  switch (status) {
    case 404:
      return 'The resource could not be found.';
    case 405:
      return 'The method specified is not allowed for this resource.';
    case 413:
      return 'Request is too large.';
    case 415:
      return 'Unsupported Content-Type';
    case 400:
      // InvalidContentError from the JSON body parser: Cinder says "Malformed request body".
      if (err.name === 'InvalidContentError') return 'Malformed request body';
      return err.message || 'Bad request';
    default:
      return err.message || 'Error';
  }
}

/** The single mapping from any thrown value to a Cinder fault. */
export function toFault(err: unknown): Fault {
  if (err instanceof ApiError) {
    const status = err.statusCode;
    const message = status >= 500 && !(err instanceof ServiceUnavailableError) ? GENERIC_500_MESSAGE : err.message;
    return {
      statusCode: status,
      body: { [faultName(status)]: { code: status, message, ...err.extra } },
      headers: err.headers,
    };
  }
  if (isDatabaseUnavailable(err)) return toFault(new DatabaseUnavailableError(err));
  const e = err as { statusCode?: unknown; name?: string; message?: string } | undefined;
  const status = typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
  const message = status >= 500 ? GENERIC_500_MESSAGE : restifyMessage(e ?? {}, status);
  return { statusCode: status, body: { [faultName(status)]: { code: status, message } }, headers: {} };
}
