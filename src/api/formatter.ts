/*
 * The JSON formatter: every response body, and every error from anywhere (our ApiErrors, Restify's own
 * 404/405/413/415/400, unexpected exceptions), is written here. Errors become Cinder fault bodies through
 * the one mapping in errors.ts; an unexpected error is logged in full and answered with the generic 500.
 * Responses with a body also carry x-compute-request-id, which python-cinderclient prints.
 */
import type { Request, Response } from 'restify';
import { PreconditionFailedError, toFault } from '../errors';

export function formatJson(req: Request, res: Response, body: unknown): string {
  let payload: unknown = body;
  if (body instanceof Error) {
    const fault = toFault(body);
    if (fault.statusCode >= 500) req.log.error({ err: body }, 'unexpected error');
    res.statusCode = fault.statusCode;
    for (const [k, v] of Object.entries(fault.headers)) res.setHeader(k, v);
    // Cinder answers a failed If-Match with an empty 412.
    payload = body instanceof PreconditionFailedError ? undefined : fault.body;
  }
  res.setHeader('x-compute-request-id', req.getId());
  const text = payload === undefined ? '' : JSON.stringify(payload);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  return text;
}

export function formatText(req: Request, res: Response, body: unknown): string {
  const text = body instanceof Error ? body.message : body === undefined ? '' : String(body);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  return text;
}
