import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config';
import { TokenCache } from '../../src/api/middleware/keystone';
import { KeystoneClient, KeystoneUnavailableError, parseToken, type Validation } from '../../src/api/middleware/keystone-client';

/** A validator that answers from a table and counts its calls (what Keystone would see). */
function validator(answers: Record<string, Validation | Error>) {
  const calls: string[] = [];
  const fn = async (token: string): Promise<Validation> => {
    calls.push(token);
    await new Promise((r) => setImmediate(r));
    const a = answers[token] ?? { valid: false };
    if (a instanceof Error) throw a;
    return a;
  };
  return { fn, calls };
}

const valid = (expiresAt: number): Validation => ({ valid: true, token: { userId: 'u', projectId: 'p', roles: ['member'], expiresAt } });

describe('keystone token cache', () => {
  let now = 1_000_000;
  const clock = () => now;
  beforeEach(() => {
    now = 1_000_000;
  });

  it('asks once per token within cache_ttl, then again', async () => {
    const v = validator({ a: valid(now + 3_600_000) });
    const cache = new TokenCache(300_000, 10, clock);
    await cache.resolve('a', v.fn);
    await cache.resolve('a', v.fn);
    expect(v.calls).to.have.length(1);
    now += 300_001;
    await cache.resolve('a', v.fn);
    expect(v.calls).to.have.length(2);
  });

  it('never trusts a token past its expires_at, even within cache_ttl', async () => {
    const v = validator({ a: valid(now + 1000) });
    const cache = new TokenCache(300_000, 10, clock);
    await cache.resolve('a', v.fn);
    now += 1001;
    await cache.resolve('a', v.fn);
    expect(v.calls).to.have.length(2);
  });

  it('shares one validation between concurrent requests with the same token', async () => {
    const v = validator({ a: valid(now + 3_600_000), b: valid(now + 3_600_000) });
    const cache = new TokenCache(300_000, 10, clock);
    const results = await Promise.all([cache.resolve('a', v.fn), cache.resolve('a', v.fn), cache.resolve('b', v.fn), cache.resolve('a', v.fn)]);
    expect(v.calls).to.deep.equal(['a', 'b']);
    expect(results.every((r) => r.valid)).to.equal(true);
  });

  it('remembers "not valid" for cache_ttl too', async () => {
    const v = validator({});
    const cache = new TokenCache(1000, 10, clock);
    expect((await cache.resolve('junk', v.fn)).valid).to.equal(false);
    expect((await cache.resolve('junk', v.fn)).valid).to.equal(false);
    expect(v.calls).to.have.length(1);
  });

  it('does not remember an outage: the next request asks again', async () => {
    const answers: Record<string, Validation | Error> = { a: new KeystoneUnavailableError('down') };
    const v = validator(answers);
    const cache = new TokenCache(300_000, 10, clock);
    let failure: unknown;
    await cache.resolve('a', v.fn).catch((e) => (failure = e));
    expect(failure).to.be.instanceOf(KeystoneUnavailableError);
    answers.a = valid(now + 3_600_000);
    expect((await cache.resolve('a', v.fn)).valid).to.equal(true);
    expect(v.calls).to.have.length(2);
  });

  it('keeps at most maxEntries tokens, dropping the least recently used', async () => {
    const v = validator({ a: valid(now + 3_600_000), b: valid(now + 3_600_000), c: valid(now + 3_600_000) });
    const cache = new TokenCache(300_000, 2, clock);
    await cache.resolve('a', v.fn);
    await cache.resolve('b', v.fn);
    await cache.resolve('a', v.fn); // a is now the most recent
    await cache.resolve('c', v.fn); // evicts b
    expect(cache.size).to.equal(2);
    await cache.resolve('a', v.fn);
    await cache.resolve('b', v.fn);
    expect(v.calls).to.deep.equal(['a', 'b', 'c', 'b']);
  });

  it('with cache_ttl 0 validates every time', async () => {
    const v = validator({ a: valid(now + 3_600_000) });
    const cache = new TokenCache(0, 10, clock);
    await cache.resolve('a', v.fn);
    await cache.resolve('a', v.fn);
    expect(v.calls).to.have.length(2);
  });
});

describe('keystone token documents', () => {
  it('reads user, project, role names and expiry', () => {
    const t = parseToken(
      JSON.stringify({
        token: {
          user: { id: 'u1', name: 'alice' },
          project: { id: 'p1' },
          roles: [
            { id: 'r', name: 'member' },
            { id: 's', name: 'reader' },
          ],
          expires_at: '2030-01-01T00:00:00.000000Z',
        },
      }),
    );
    expect(t).to.deep.equal({ userId: 'u1', projectId: 'p1', roles: ['member', 'reader'], expiresAt: Date.UTC(2030, 0, 1) });
  });

  it('has no project for an unscoped token, and refuses a document without user or expiry', () => {
    expect(parseToken(JSON.stringify({ token: { user: { id: 'u1' }, expires_at: '2030-01-01T00:00:00Z' } })).projectId).to.equal(null);
    expect(() => parseToken('{"token": {"user": {}}}')).to.throw(KeystoneUnavailableError);
    expect(() => parseToken('<html>')).to.throw(KeystoneUnavailableError);
  });
});

describe('keystone client', () => {
  it('refuses to start with an unreadable ca_file, naming the key', () => {
    const opts = {
      url: 'https://k:5000',
      username: 'u',
      password: 'p',
      project_name: 's',
      user_domain_name: 'Default',
      project_domain_name: 'Default',
      timeout: 5,
    };
    expect(() => new KeystoneClient({ ...opts, ca_file: '/nonexistent/ca.pem' })).to.throw(
      ConfigError,
      /auth\.keystone\.ca_file = "\/nonexistent\/ca\.pem": ENOENT/,
    );
    new KeystoneClient({ ...opts, ca_file: '' }).close();
  });
});

describe('keystone configuration', () => {
  it('defaults: noauth; keystone settings with Default domains, project service, 300 s cache, 5 s timeout', () => {
    const c = loadConfig({ argv: [], env: {} });
    expect(c.auth.strategy).to.equal('noauth');
    expect(c.auth.keystone).to.include({
      project_name: 'service',
      user_domain_name: 'Default',
      project_domain_name: 'Default',
      cache_ttl: 300,
      timeout: 5,
      ca_file: '',
    });
  });

  it('reads every key from VOLUME_API_AUTH_KEYSTONE_*', () => {
    const c = loadConfig({
      argv: [],
      env: {
        VOLUME_API_AUTH_STRATEGY: 'keystone',
        VOLUME_API_AUTH_KEYSTONE_URL: 'https://keystone.example.com:5000/v3',
        VOLUME_API_AUTH_KEYSTONE_USERNAME: 'cinder',
        VOLUME_API_AUTH_KEYSTONE_PASSWORD: 's3cret',
        VOLUME_API_AUTH_KEYSTONE_PROJECT_NAME: 'services',
        VOLUME_API_AUTH_KEYSTONE_USER_DOMAIN_NAME: 'svc',
        VOLUME_API_AUTH_KEYSTONE_PROJECT_DOMAIN_NAME: 'svc2',
        VOLUME_API_AUTH_KEYSTONE_CACHE_TTL: '60',
        VOLUME_API_AUTH_KEYSTONE_TIMEOUT: '2.5',
        VOLUME_API_AUTH_KEYSTONE_CA_FILE: '/etc/ssl/keystone-ca.pem',
      },
    });
    expect(c.auth).to.deep.equal({
      strategy: 'keystone',
      keystone: {
        url: 'https://keystone.example.com:5000/v3',
        username: 'cinder',
        password: 's3cret',
        project_name: 'services',
        user_domain_name: 'svc',
        project_domain_name: 'svc2',
        cache_ttl: 60,
        timeout: 2.5,
        ca_file: '/etc/ssl/keystone-ca.pem',
      },
    });
  });

  it('with strategy keystone, refuses to start without url, username or password, naming each key', () => {
    expect(() => loadConfig({ argv: [], env: { VOLUME_API_AUTH_STRATEGY: 'keystone' } })).to.throw(
      ConfigError,
      'auth.strategy is "keystone" but auth.keystone.url (env VOLUME_API_AUTH_KEYSTONE_URL), auth.keystone.username (env VOLUME_API_AUTH_KEYSTONE_USERNAME), auth.keystone.password (env VOLUME_API_AUTH_KEYSTONE_PASSWORD) are not set',
    );
    expect(() =>
      loadConfig({
        argv: [],
        env: { VOLUME_API_AUTH_STRATEGY: 'keystone', VOLUME_API_AUTH_KEYSTONE_URL: 'http://k:5000', VOLUME_API_AUTH_KEYSTONE_USERNAME: 'cinder' },
      }),
    ).to.throw(ConfigError, /auth\.keystone\.password \(env VOLUME_API_AUTH_KEYSTONE_PASSWORD\) is not set/);
    expect(() =>
      loadConfig({
        argv: [],
        env: {
          VOLUME_API_AUTH_STRATEGY: 'keystone',
          VOLUME_API_AUTH_KEYSTONE_URL: 'keystone:5000',
          VOLUME_API_AUTH_KEYSTONE_USERNAME: 'c',
          VOLUME_API_AUTH_KEYSTONE_PASSWORD: 'p',
        },
      }),
    ).to.throw(ConfigError, /auth\.keystone\.url .*"keystone:5000": must be an http or https URL/);
    expect(() => loadConfig({ argv: [], env: { VOLUME_API_AUTH_KEYSTONE_TIMEOUT: '0' } })).to.throw(ConfigError, /auth\.keystone\.timeout/);
  });
});
