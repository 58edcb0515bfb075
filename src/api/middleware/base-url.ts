/*
 * The public base URL of a request, for links and version documents: config `public_endpoint` when set;
 * else the request's scheme and host, where X-Forwarded-Proto / X-Forwarded-Host count only when the
 * peer is a trusted proxy (config `trusted_proxies`), so a client cannot make us print its links.
 * A trusted proxy that serves the API under a path (`http://host/volume/v3`, devstack's layout) says so
 * with X-Forwarded-Prefix (`/volume`), which then starts every link (issue 18).
 */
import type { Request, Response, Next } from 'restify';
import type { Config } from '../../config';

export function normalizeAddress(address: string | undefined): string {
  return (address ?? '').replace(/^::ffff:/, '');
}

export function isTrustedPeer(req: Request, trusted: readonly string[]): boolean {
  return trusted.includes(normalizeAddress(req.socket?.remoteAddress));
}

export function baseUrl(config: Pick<Config, 'public_endpoint' | 'trusted_proxies'>) {
  return function resolveBaseUrl(req: Request, _res: Response, next: Next): void {
    if (config.public_endpoint) {
      req.baseUrl = config.public_endpoint;
      return next();
    }
    const trusted = isTrustedPeer(req, config.trusted_proxies);
    const first = (h: string | undefined) => h?.split(',')[0].trim() || undefined;
    const proto = (trusted && first(req.header('x-forwarded-proto'))) || (req.isSecure() ? 'https' : 'http');
    const host = (trusted && first(req.header('x-forwarded-host'))) || req.header('host') || 'localhost';
    // --- path prefix (issue 18) --- Only plain path segments: the value is printed into links.
    const prefix = (trusted && first(req.header('x-forwarded-prefix'))?.replace(/\/+$/, '')) || '';
    req.baseUrl = `${proto}://${host}${/^(\/[A-Za-z0-9._~-]+)*$/.test(prefix) ? prefix : ''}`;
    next();
  };
}
