/*
 * Our additions to Restify's request, and the small accessors controllers use. Restify's own typings
 * (written for restify 8) stay behind this module.
 */
import type { Request, Response } from 'restify';
import type { RequestContext } from '../context';
import { BadRequestError } from '../errors';
import type { ApiVersion } from './microversions';
import type { ViewContext } from './views/view-context';

declare module 'restify' {
  interface Request {
    /** Negotiated microversion (3.0 when the header is absent). */
    apiVersion?: ApiVersion;
    /** The authenticated caller; set by the auth step of /v3 routes. */
    context?: RequestContext;
    /** Our route name (CamelCase), for audit records and metrics. */
    routeName?: string;
    /** An inbound X-OpenStack-Request-ID kept as the global id. */
    globalRequestId?: string;
    /** Public base URL of this request, without trailing slash. */
    baseUrl?: string;
  }
}

export function ctxOf(req: Request): RequestContext {
  if (!req.context) throw new Error('route reached without authentication');
  return req.context;
}

export function viewOf(req: Request): ViewContext {
  const ctx = ctxOf(req);
  const pathProjectId = (req.params as Record<string, string | undefined>).project_id;
  return { version: req.apiVersion!, isAdmin: ctx.isAdmin, projectId: ctx.projectId, baseUrl: req.baseUrl!, pathProjectId };
}

/** Query parameters as Cinder sees them (repeated keys keep their last value, like webob's GET dict). */
export function queryOf(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  const search = new URL(req.url ?? '/', 'http://localhost').searchParams;
  for (const [k, v] of search) out[k] = v;
  return out;
}

/** Cinder's utils.get_bool_param for a query value: absent is false, a boolean word its value, else 400. */
export function boolQueryParam(raw: string | undefined, name: string): boolean {
  if (raw === undefined) return false;
  const v = raw.trim().toLowerCase();
  if (['true', '1', 't', 'yes', 'y', 'on'].includes(v)) return true;
  if (['false', '0', 'f', 'no', 'n', 'off'].includes(v)) return false;
  throw new BadRequestError(`Value '${raw}' for '${name}' is not a boolean.`);
}

export function param(req: Request, name: string): string {
  return (req.params as Record<string, string>)[name];
}

/** An empty success response as Cinder sends it (202 from DELETE and actions, 200 from metadata DELETE). */
export function sendEmpty(res: Response, status: number): void {
  if (status !== 204) res.setHeader('Content-Length', '0');
  res.send(status);
}

/** Cinder trims leading and trailing spaces of names and descriptions. */
export function trimmed(value: string | null | undefined): string | null | undefined {
  return typeof value === 'string' ? value.trim() : value;
}

/** The single key of an action body; 400 as Cinder's action_peek when the body is not exactly one key. */
export function actionName(body: unknown): string {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || Object.keys(body).length !== 1) throw new BadRequestError('Malformed request body');
  return Object.keys(body)[0];
}

/** 400 for an action key the resource does not have, in Cinder's words. */
export function noSuchAction(name: string): BadRequestError {
  return new BadRequestError(`There is no such action: ${name}. Verify the request body and Content-Type header and try again.`);
}

/** One action of a resource's POST .../action: it validates its own body, then calls and answers. */
export type ActionHandler = (req: Request, res: Response, id: string) => Promise<void>;

/** POST <resource>/{id}/action: the body's single key picks one of `actions`; another key is a 400. */
export function actionRoute(idParam: string, actions: Record<string, ActionHandler>): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    const name = actionName(req.body);
    const handler = Object.hasOwn(actions, name) ? actions[name] : undefined;
    if (!handler) throw noSuchAction(name);
    await handler(req, res, param(req, idParam));
  };
}

/** An action whose body carries nothing the service needs: validate it, run it, 202 with no body. */
export function withoutArguments(validate: (body: unknown) => unknown, run: (ctx: RequestContext, id: string) => Promise<void>): ActionHandler {
  return async (req, res, id) => {
    validate(req.body);
    await run(ctxOf(req), id);
    sendEmpty(res, 202);
  };
}
