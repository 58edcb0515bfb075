/*
 * The public base URL of a request, for links and version documents: config `public_endpoint` when set;
 * else the request's scheme and host, where X-Forwarded-Proto / X-Forwarded-Host count only when the
 * peer is a trusted proxy (config `trusted_proxies`), so a client cannot make us print its links.
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
    req.baseUrl = `${proto}://${host}`;
    next();
  };
}
