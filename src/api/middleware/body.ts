/*
 * Request bodies: JSON only (application/json or application/vnd.openstack.volume+json); anything else
 * with a body is 415 before a byte is read. Size limit and parsing are Restify's bodyReader and
 * jsonBodyParser (413 over config max_body_size, 400 "Malformed request body" for bad JSON).
 */
import type { Request, Response, Next, plugins } from 'restify';
import restify from '../restify';
import { ApiError } from '../../errors';

const JSON_TYPES = new Set(['application/json', 'application/vnd.openstack.volume+json']);

function hasBody(req: Request): boolean {
  const length = req.header('content-length');
  return (length !== undefined && length !== '0') || req.header('transfer-encoding') !== undefined;
}

export function requireJsonContentType() {
  return function checkContentType(req: Request, _res: Response, next: Next): void {
    if (!hasBody(req)) return next();
    const type = (req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (!JSON_TYPES.has(type)) return next(new ApiError(415, 'Unsupported Content-Type'));
    next();
  };
}

export function jsonBody(maxBodySize: number) {
  return restify.plugins.jsonBodyParser({ mapParams: false, maxBodySize } as plugins.BodyParserOptions);
}
