/*
 * One audit record per request (our own `after` handler; Restify's auditLogger drops its serializers
 * under Bunyan). Fields: route name, method, path, status, latency, microversion, request ids, caller.
 */
import type { Request, Response, Route } from 'restify';

export function auditRequest(req: Request, res: Response, _route: Route | undefined, err?: Error): void {
  const latency = Date.now() - req.time();
  const record = {
    audit: true,
    route: req.routeName ?? null,
    method: req.method,
    url: req.url,
    status: res.statusCode,
    latency_ms: latency,
    microversion: req.apiVersion?.toString() ?? null,
    remote_address: req.socket?.remoteAddress,
    user_agent: req.header('user-agent'),
    ...(err && res.statusCode >= 500 ? { err } : {}),
  };
  const level = res.statusCode >= 500 ? 'error' : 'info';
  req.log[level](record, `${req.method} ${req.url} ${res.statusCode}`);
}
