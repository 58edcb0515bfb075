/*
 * An auth strategy for API tests that need callers other than admins (noauth makes every caller one):
 * noauth's `user:project` tokens, the role read from the user name. `admin...` is an admin (with member
 * and reader, as Keystone's implied roles give), `reader...` a reader only, anyone else a member.
 */
import type { Request } from 'restify';
import type { AuthOutcome, AuthStrategy } from '../../src/api/middleware/auth';

export class RoleTokenStrategy implements AuthStrategy {
  readonly name = 'test-role-tokens';

  async authenticate(req: Request): Promise<AuthOutcome> {
    const token = req.header('x-auth-token');
    if (!token) return { kind: 'respond', status: 401, headers: {}, body: { error: { code: 401, title: 'Unauthorized', message: 'no token' } } };
    const colon = token.indexOf(':');
    const userId = colon < 0 ? token : token.slice(0, colon);
    const projectId = colon < 0 ? token : token.slice(colon + 1);
    const roles = userId.startsWith('admin') ? ['admin', 'member', 'reader'] : userId.startsWith('reader') ? ['reader'] : ['member', 'reader'];
    return { kind: 'authenticated', context: { userId, projectId, isAdmin: roles.includes('admin'), roles } };
  }
}
