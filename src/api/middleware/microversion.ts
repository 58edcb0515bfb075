/*
 * Microversion negotiation for `/` and `/v3...`: sets req.apiVersion and the response headers
 * `OpenStack-API-Version` and `Vary`. A malformed header is a 400 without those headers; an out-of-range
 * one is a 406 whose header echoes the request, as Cinder does. /healthcheck is left alone.
 */
import type { Request, Response, Next } from 'restify';
import { NotAcceptableVersionError, NotFoundError } from '../../errors';
import { negotiateVersion, type ApiVersion } from '../microversions';

export const VERSION_HEADER = 'OpenStack-API-Version';

export function setVersionHeaders(res: Response, text: string): void {
  res.setHeader(VERSION_HEADER, `volume ${text}`);
  res.setHeader('Vary', VERSION_HEADER);
}

export function microversion() {
  return function negotiateMicroversion(req: Request, res: Response, next: Next): void {
    const path = req.getPath();
    if (path !== '/' && path !== '/v3' && !path.startsWith('/v3/')) return next();
    const header = req.header(VERSION_HEADER);
    let version: ApiVersion;
    try {
      version = negotiateVersion(header);
    } catch (err) {
      if (err instanceof NotAcceptableVersionError) {
        setVersionHeaders(
          res,
          header!
            .replace(/^.*volume\s*/i, '')
            .split(',')[0]
            .trim(),
        );
      }
      return next(err as Error);
    }
    req.apiVersion = version;
    setVersionHeaders(res, version.toString());
    next();
  };
}

/** Route step: the route exists only from `min` on; below it Cinder answers 404. */
export function requireVersion(min: ApiVersion) {
  return function versionGate(req: Request, _res: Response, next: Next): void {
    if (!req.apiVersion!.atLeast(min)) {
      next(new NotFoundError());
      return;
    }
    next();
  };
}
