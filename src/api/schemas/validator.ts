/*
 * Request-body validation: TypeBox schemas compiled once by Ajv, failures turned into Cinder's 400
 * wording, "Invalid input for field/attribute {field}. Value: {value}. {reason}", with the value in
 * Python's repr as jsonschema prints it. Ajv stops at the first error, as Cinder reports one problem.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Static, TSchema } from '@sinclair/typebox';
import { BadRequestError } from '../../errors';

const ajv = new Ajv({ allErrors: false, strict: false, coerceTypes: false });
addFormats(ajv, ['uuid', 'date-time']);

/** Python repr of a JSON value, as Cinder's messages show it. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`)
    .join(', ')}}`;
}

function valueAt(root: unknown, pointer: string): unknown {
  let node = root;
  for (const part of pointer.split('/').slice(1)) {
    node = (node as Record<string, unknown>)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

function reason(e: ErrorObject, value: unknown): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `'${p.missingProperty}' is a required property`;
    case 'additionalProperties':
      return `Additional properties are not allowed ('${p.additionalProperty}' was unexpected)`;
    case 'type': {
      const types = Array.isArray(p.type) ? p.type : String(p.type).split(',');
      return `${pyRepr(value)} is not of type ${types.map((t: string) => `'${t}'`).join(', ')}`;
    }
    case 'minimum':
      return `${pyRepr(value)} is less than the minimum of ${p.limit}`;
    case 'maximum':
      return `${pyRepr(value)} is greater than the maximum of ${p.limit}`;
    case 'minLength':
      return `${pyRepr(value)} is too short`;
    case 'maxLength':
      return `${pyRepr(value)} is too long`;
    case 'pattern':
      return `${pyRepr(value)} does not match '${p.pattern}'`;
    case 'format':
      return `${pyRepr(value)} is not a '${p.format}'`;
    case 'enum':
      return `${pyRepr(value)} is not one of ${pyRepr(p.allowedValues)}`;
    case 'minProperties':
      return `${pyRepr(value)} does not have enough properties`;
    case 'maxProperties':
      return `${pyRepr(value)} has too many properties`;
    case 'propertyNames':
      return `Invalid key ${pyRepr(p.propertyName)}`;
    case 'anyOf':
    case 'oneOf':
      return `${pyRepr(value)} is not valid under any of the given schemas`;
    default:
      return e.message ?? 'is invalid';
  }
}

/** Cinder's field name: the last path segment, or the object whose keys are wrong. */
function field(e: ErrorObject): string {
  const parts = e.instancePath.split('/').filter(Boolean);
  return parts.length > 0 ? parts[parts.length - 1] : '';
}

export function toBadRequest(errors: ErrorObject[] | null | undefined, body: unknown): BadRequestError {
  // Ajv lists the failed branches of an anyOf before the anyOf itself; Cinder reports the anyOf.
  const e = errors?.find((x) => x.keyword === 'anyOf' || x.keyword === 'oneOf') ?? errors?.[0];
  if (!e) return new BadRequestError('Invalid input');
  const value = valueAt(body, e.instancePath);
  const why = reason(e, value);
  // A missing top-level key reads as Cinder prints it: just "'volume' is a required property".
  if (e.instancePath === '' && (e.keyword === 'required' || e.keyword === 'additionalProperties')) return new BadRequestError(why);
  const name = field(e) || 'body';
  return new BadRequestError(`Invalid input for field/attribute ${name}. Value: ${pyRepr(value)}. ${why}`);
}

export interface Validator<T> {
  (body: unknown): T;
  readonly schema: TSchema;
}

/** Compiles a schema once; the returned function validates and returns the body typed, or throws 400. */
export function validator<S extends TSchema>(schema: S): Validator<Static<S>> {
  const check: ValidateFunction = ajv.compile(schema);
  const fn = (body: unknown): Static<S> => {
    if (!check(body)) throw toBadRequest(check.errors, body);
    return body as Static<S>;
  };
  return Object.assign(fn, { schema });
}
