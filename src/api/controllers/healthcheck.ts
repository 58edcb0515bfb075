/*
 * GET/HEAD /healthcheck, as oslo.middleware's healthcheck answers: 200 (HEAD 204) when every check passes,
 * 503 otherwise. Never authenticated. Checks (services/health-service.ts): the store, every cinder-volume
 * worker's heartbeat, the backend's free space, the age of the oldest queued operation.
 *
 * Bodies: text `OK`, or the failing reasons one per line; with `Accept: application/json` or `?detailed`,
 * oslo's detailed JSON (`detailed`, `now`, `platform`, `reasons` as {reason, details, class}, ...).
 * `?scope=instance` runs only the store check: what a load balancer needs to know about this member
 * (taking every member out because the one worker is down would make reads fail too; docs/operations.md).
 */
import os from 'node:os';
import type { Request, Response } from 'restify';
import type { ApiDeps } from '../deps';

export function healthcheckController(deps: ApiDeps) {
  return {
    async check(req: Request, res: Response): Promise<void> {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const all = await deps.health.check();
      const results = url.searchParams.get('scope') === 'instance' ? all.filter((r) => r.check === 'StoreCheck') : all;
      const failing = results.filter((r) => !r.available);
      for (const r of failing) req.log.warn({ check: r.check, reason: r.reason, details: r.details }, 'healthcheck failing');
      const ok = failing.length === 0;
      if (req.method === 'HEAD') {
        res.setHeader('Content-Type', 'text/plain; charset=UTF-8');
        res.send(ok ? 204 : 503);
        return;
      }
      const status = ok ? 200 : 503;
      if (url.searchParams.has('detailed') || (req.header('accept') ?? '').includes('application/json')) {
        res.setHeader('Content-Type', 'application/json');
        res.send(status, {
          detailed: true,
          now: new Date().toISOString().replace('T', ' ').replace('Z', ''),
          platform: `${os.type()}-${os.arch()}`,
          node_version: process.version,
          reasons: results.map((r) => ({ reason: r.reason, details: r.details, class: r.check })),
        });
        return;
      }
      res.setHeader('Content-Type', 'text/plain; charset=UTF-8');
      res.send(status, ok ? 'OK' : failing.map((r) => r.reason).join('\n'));
    },
  };
}
