/*
 * Request ids as oslo's request_id middleware makes them: a fresh `req-<uuid4>` for every request, sent
 * back in x-openstack-request-id (x-compute-request-id is added with response bodies, by the formatter).
 * An inbound X-OpenStack-Request-ID of the right form is kept as the global id for the logs.
 */
import { randomUUID } from 'node:crypto';
import type { Request, Response, Next } from 'restify';

const GLOBAL_ID_RE = /^req-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$/;

export function requestId() {
  return function assignRequestId(req: Request, res: Response, next: Next): void {
    const id = `req-${randomUUID()}`;
    (req as unknown as { id(id: string): string }).id(id);
    const inbound = req.header('x-openstack-request-id');
    if (inbound && GLOBAL_ID_RE.test(inbound)) req.globalRequestId = inbound;
    req.log = req.log.child({ req_id: id, ...(req.globalRequestId ? { global_req_id: req.globalRequestId } : {}) }, true);
    res.setHeader('x-openstack-request-id', id);
    next();
  };
}
