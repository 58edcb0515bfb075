/*
 * Issue 19: what the HTTP server does before a request reaches Restify, so no input gets a bare answer
 * or holds a connection for long.
 *
 * - Malformed HTTP (bad framing, Content-Length with Transfer-Encoding, oversized headers, a request that
 *   took too long to arrive) is answered here, because Node's parser fails before any route: with a
 *   Cinder fault body in JSON (400, 431, 408), `Connection: close`, and then the socket is closed.
 * - Slow clients: `headers_timeout_ms` bounds the headers, `request_timeout_ms` the whole request; both
 *   are checked every second (Node's default check runs every 30 s, so a 10 s timeout could last 40 s).
 *   Idle keep-alive connections are `keep_alive_timeout_ms`'s business; Node keeps these apart.
 * - `max_connections_per_client` open connections per remote address; requests on one more are answered
 *   with a 429 fault and the connection closed. The web servers in front (`trusted_proxies`) carry many
 *   clients' requests and are not capped.
 * - An HTTP/1.1 request without Host gets a 400 fault (Node's own answer has no body).
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Config } from './config';
import { faultName } from './errors';
import { normalizeAddress } from './api/middleware/base-url';

export type HttpGuardConfig = Pick<Config, 'headers_timeout_ms' | 'request_timeout_ms' | 'max_connections_per_client' | 'trusted_proxies'>;

/** Node parser error codes and timeouts, as the status and the message the client gets. */
function statusFor(code: string | undefined): { status: number; message: string } {
  if (code === 'HPE_HEADER_OVERFLOW') return { status: 431, message: 'Request header fields too large.' };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, message: 'The request took too long to arrive.' };
  return { status: 400, message: 'Malformed HTTP request.' };
}

/** A complete response written on the raw socket (no request object exists), then the socket ends. */
function endWithFault(socket: Socket, status: number, message: string): void {
  const body = JSON.stringify({ [faultName(status)]: { code: status, message } });
  const id = `req-${randomUUID()}`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `x-openstack-request-id: ${id}\r\nx-compute-request-id: ${id}\r\nConnection: close\r\n\r\n${body}`,
  );
  // A client that never reads must not keep the socket: give the answer a moment, then cut.
  setTimeout(() => socket.destroy(), 1000).unref();
}

export function guardHttpServer(http: Server, config: HttpGuardConfig): void {
  http.requestTimeout = config.request_timeout_ms;
  http.headersTimeout = Math.min(config.headers_timeout_ms, config.request_timeout_ms);
  // Not in @types/node 20's Server type; read by Node when the server starts listening.
  (http as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = 1000;

  http.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // Nothing to answer on a reset socket, nor once a response has started on it.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const { status, message } = statusFor(err.code);
    endWithFault(socket, status, message);
  });

  if (config.max_connections_per_client > 0) countConnectionsPerClient(http, config.max_connections_per_client, config.trusted_proxies);
  // Node answers a missing Host itself, with an empty 400: let it through to refuse it below.
  (http as Server & { requireHostHeader: boolean }).requireHostHeader = false;
  refuseBeforeTheApp(http);
}

const OVER_CAP = Symbol('overCap');
type CountedSocket = Socket & { [OVER_CAP]?: boolean };

/** Counts open connections per remote address and marks those past the cap; trusted proxies are not capped. */
function countConnectionsPerClient(http: Server, cap: number, trustedProxies: readonly string[]): void {
  const open = new Map<string, number>();
  http.on('connection', (socket: CountedSocket) => {
    const client = normalizeAddress(socket.remoteAddress);
    if (trustedProxies.includes(client)) return;
    const count = (open.get(client) ?? 0) + 1;
    open.set(client, count);
    if (count > cap) socket[OVER_CAP] = true;
    socket.once('close', () => {
      const left = (open.get(client) ?? 1) - 1;
      if (left > 0) open.set(client, left);
      else open.delete(client);
    });
  });
}

/**
 * Requests on a connection past the cap (429) and HTTP/1.1 requests without Host (400) are answered and
 * the connection closed without reaching the app: Restify's request listener is wrapped for that.
 */
function refuseBeforeTheApp(http: Server): void {
  const appListeners = http.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  http.removeAllListeners('request');
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const refusal = (req.socket as CountedSocket)[OVER_CAP]
      ? { status: 429, message: 'Too many open connections from this client.' }
      : req.httpVersion === '1.1' && req.headers.host === undefined
        ? { status: 400, message: 'Missing Host header.' }
        : undefined;
    if (!refusal) {
      for (const listener of appListeners) listener.call(http, req, res);
      return;
    }
    const body = JSON.stringify({ [faultName(refusal.status)]: { code: refusal.status, message: refusal.message } });
    res.writeHead(refusal.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
    res.end(body);
  });
}
