/*
 * A second API on a test server's services whose every caller is a non-admin member of `projectId`
 * (noauth makes everyone admin), for the 403s of admin-only routes without a Keystone.
 *
 *   const member = await startMemberApi(s);
 *   expect((await member.request('GET', '/v3/os-quota-class-sets/default')).status).to.equal(403);
 *   await member.close();
 */
import { createApp } from '../../src/api/app';
import type { AuthStrategy } from '../../src/api/middleware/auth';
import { closeServer, listen } from '../../src/lifecycle';
import type { Reply, TestServer } from './server';

export interface MemberApi {
  request(method: string, urlPath: string, opts?: { body?: unknown; mv?: string }): Promise<Reply>;
  close(): Promise<void>;
}

export async function startMemberApi(s: TestServer, projectId = s.projectId): Promise<MemberApi> {
  const member: AuthStrategy = {
    name: 'test-member',
    async authenticate() {
      return { kind: 'authenticated', context: { userId: 'member-user', projectId, isAdmin: false, roles: ['member'] } };
    },
  };
  const app = createApp({ ...s.services, auth: member });
  const address = await listen(app, s.config);
  const url = `http://127.0.0.1:${address.port}`;
  return {
    async request(method, urlPath, opts = {}) {
      const headers: Record<string, string> = { Accept: 'application/json', 'X-Auth-Token': 'member' };
      if (opts.mv) headers['OpenStack-API-Version'] = `volume ${opts.mv}`;
      if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
      const res = await fetch(url + urlPath, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
      const text = await res.text();
      const body: unknown = text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : undefined;
      return { status: res.status, headers: res.headers, text, body };
    },
    async close() {
      await closeServer(app, { drainDelayMs: 0, forceAfterMs: 1000 });
    },
  };
}
