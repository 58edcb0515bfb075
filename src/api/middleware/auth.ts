/*
 * Authentication as a strategy behind one interface: the strategy turns a request into a caller
 * (RequestContext) or into a response of its own (noauth's fake login, Keystone's 401). Controllers only
 * ever see the context. Select with config `auth.strategy`: `noauth` here, `keystone` in keystone.ts.
 */
import type { Request, Response, Next } from 'restify';
import type { Config } from '../../config';
import type { RequestContext } from '../../context';
import type { Logger } from '../../log';
import { KeystoneStrategy } from './keystone';

export type AuthOutcome =
  | { kind: 'authenticated'; context: Omit<RequestContext, 'requestId' | 'globalRequestId'> }
  | { kind: 'respond'; status: number; headers: Record<string, string>; body?: unknown };

export interface AuthStrategy {
  readonly name: string;
  authenticate(req: Request): Promise<AuthOutcome>;
}

/**
 * Cinder's noauth (cinder/api/middleware/auth.py): `X-Auth-Token: user:project`, the caller is always
 * admin; without a token, a 204 "fake login" that hands out such a token.
 */
export class NoAuthStrategy implements AuthStrategy {
  readonly name = 'noauth';

  async authenticate(req: Request): Promise<AuthOutcome> {
    const token = req.header('x-auth-token');
    if (!token) {
      const user = req.header('x-auth-user') || 'admin';
      const project = req.header('x-auth-project-id') || 'admin';
      const host = req.header('host') ?? 'localhost';
      return {
        kind: 'respond',
        status: 204,
        headers: { 'X-Auth-Token': `${user}:${project}`, 'X-Server-Management-Url': `${req.baseUrl ?? `http://${host}`}${req.url}` },
      };
    }
    const colon = token.indexOf(':');
    const userId = colon < 0 ? token : token.slice(0, colon);
    const projectId = colon < 0 ? token : token.slice(colon + 1);
    return { kind: 'authenticated', context: { userId, projectId, isAdmin: true, roles: ['admin'] } };
  }
}

export function createAuthStrategy(config: Pick<Config, 'auth'>, log?: Logger): AuthStrategy {
  switch (config.auth.strategy) {
    case 'noauth':
      return new NoAuthStrategy();
    case 'keystone':
      return new KeystoneStrategy(config.auth.keystone, log?.child({ component: 'keystone' }, true));
  }
}

/** Route step: authenticate, or answer with the strategy's own response and end the chain. */
export function authenticate(strategy: AuthStrategy) {
  return function authenticateCaller(req: Request, res: Response, next: Next): void {
    strategy.authenticate(req).then((outcome) => {
      if (outcome.kind === 'respond') {
        for (const [k, v] of Object.entries(outcome.headers)) res.setHeader(k, v);
        if (outcome.status === 204) {
          // Cinder's fake login carries no version headers.
          res.removeHeader('OpenStack-API-Version');
          res.removeHeader('Vary');
        }
        res.send(outcome.status, outcome.body);
        next(false);
        return;
      }
      req.context = { ...outcome.context, requestId: req.getId(), globalRequestId: req.globalRequestId };
      req.log = req.log.child({ user_id: req.context.userId, project_id: req.context.projectId }, true);
      next();
    }, next);
  };
}
