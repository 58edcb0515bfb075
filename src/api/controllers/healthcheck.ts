/*
 * GET/HEAD /healthcheck, as oslo.middleware's healthcheck answers: 200 "OK" (HEAD 204) when the store
 * answers, 503 otherwise; JSON when asked for. Never authenticated. A load balancer polls this.
 */
import type { Request, Response } from 'restify';
import type { ApiDeps } from '../deps';

export function healthcheckController(deps: ApiDeps) {
  return {
    async check(req: Request, res: Response): Promise<void> {
      let ok = true;
      let reason = 'OK';
      try {
        await deps.store.ping();
      } catch (err) {
        ok = false;
        reason = 'STORE UNAVAILABLE';
        req.log.error({ err }, 'healthcheck: store does not answer');
      }
      const status = ok ? 200 : 503;
      if (req.method === 'HEAD') {
        res.send(ok ? 204 : 503);
        return;
      }
      if ((req.header('accept') ?? '').includes('application/json')) {
        res.setHeader('Content-Type', 'application/json');
        res.send(status, { detailed: false, reasons: [reason] });
        return;
      }
      res.setHeader('Content-Type', 'text/plain; charset=UTF-8');
      res.send(status, ok ? 'OK' : reason);
    },
  };
}
