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

/**
 * Bounds of a value shown in a message (issue 19: a deeply nested body overflowed the stack here, a wide
 * one made a huge message): deeper containers print as `[...]`/`{...}`, and the text is cut at
 * REPR_MAX_LENGTH with `...`. Short values print exactly as Python does.
 */
const REPR_MAX_DEPTH = 8;
const REPR_MAX_LENGTH = 1000;

/** Python repr of a JSON value, as Cinder's messages show it (bounded, see above). */
export function pyRepr(value: unknown): string {
  const text = reprAt(value, 0, { left: REPR_MAX_LENGTH });
  return text.length > REPR_MAX_LENGTH ? `${text.slice(0, REPR_MAX_LENGTH)}...` : text;
}

/** `budget.left`: characters still to print; members past it are not formatted at all. */
function reprAt(value: unknown, depth: number, budget: { left: number }): string {
  let text: string;
  if (value === null || value === undefined) text = 'None';
  else if (value === true) text = 'True';
  else if (value === false) text = 'False';
  else if (typeof value === 'string')
    text = `'${value
      .slice(0, REPR_MAX_LENGTH + 1)
      .replace(/\\/g, '\\\\')
      .replace(/'/g, "\\'")}'`;
  else if (typeof value === 'number') text = String(value);
  else if (Array.isArray(value)) text = depth >= REPR_MAX_DEPTH ? '[...]' : `[${members(value, budget, (v) => reprAt(v, depth + 1, budget))}]`;
  else if (depth >= REPR_MAX_DEPTH) text = '{...}';
  else
    text = `{${members(Object.entries(value as Record<string, unknown>), budget, ([k, v]) => `${reprAt(k, depth + 1, budget)}: ${reprAt(v, depth + 1, budget)}`)}}`;
  budget.left -= text.length;
  return text;
}

function members<T>(items: readonly T[], budget: { left: number }, show: (item: T) => string): string {
  const out: string[] = [];
  for (const item of items) {
    if (budget.left <= 0) {
      out.push('...');
      break;
    }
    out.push(show(item));
  }
  return out.join(', ');
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
