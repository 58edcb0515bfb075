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

/** 413 overLimit as Cinder sends it: `<ExceptionName>: <text>`, retryAfter "0", Retry-After: 0. */
export class QuotaExceededError extends ApiError {
  constructor(
    readonly exceptionName: string,
    text: string,
  ) {
    super(413, `${exceptionName}: ${text}`, { 'Retry-After': '0' }, { retryAfter: '0' });
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
  const e = err as { statusCode?: unknown; name?: string; message?: string } | undefined;
  const status = typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
  const message = status >= 500 ? GENERIC_500_MESSAGE : restifyMessage(e ?? {}, status);
  return { statusCode: status, body: { [faultName(status)]: { code: status, message } }, headers: {} };
}
