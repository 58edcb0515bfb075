import { expect } from 'chai';
import net from 'node:net';
import { startServer, sample, type TestServer } from '../lib/server';

const REQ_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('API: versions, microversions, request ids, noauth, healthcheck', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(async () => {
    await s.close();
  });

  it('GET / answers 300 with the versions document, without auth', async () => {
    const r = await s.request('GET', '/', { token: null });
    expect(r.status).to.equal(300);
    const expected = sample('versions/versions-response.json') as { versions: Record<string, unknown>[] };
    expect(Object.keys(r.body.versions[0]).sort()).to.deep.equal(Object.keys(expected.versions[0]).sort());
    expect(r.body.versions[0]).to.include({ id: 'v3.0', status: 'CURRENT', version: '3.70', min_version: '3.0' });
    expect(r.body.versions[0].links[1]).to.deep.equal({ rel: 'self', href: `${s.url}/v3/` });
    expect(r.headers.get('openstack-api-version')).to.equal('volume 3.0');
    expect(r.headers.get('vary')).to.equal('OpenStack-API-Version');
  });

  it('GET /v3 redirects to /v3/, which answers 200 with the same list shape', async () => {
    const redirect = await s.request('GET', '/v3');
    expect(redirect.status).to.equal(302);
    expect(redirect.headers.get('location')).to.equal(`${s.url}/v3/`);
    const r = await s.request('GET', '/v3/');
    expect(r.status).to.equal(200);
    expect(r.body.versions).to.have.length(1);
  });

  it('uses the public endpoint in links when configured', async () => {
    const p = await startServer({ public_endpoint: 'https://volume.example.com/' });
    try {
      const r = await p.request('GET', '/');
      expect(r.body.versions[0].links[1].href).to.equal('https://volume.example.com/v3/');
    } finally {
      await p.close();
    }
  });

  it('believes X-Forwarded-Host/Proto from a trusted proxy only', async () => {
    const trusted = await s.request('GET', '/', { headers: { 'X-Forwarded-Host': 'api.example.com', 'X-Forwarded-Proto': 'https' } });
    expect(trusted.body.versions[0].links[1].href).to.equal('https://api.example.com/v3/');
    const p = await startServer({ trusted_proxies: ['10.9.9.9'] });
    try {
      const r = await p.request('GET', '/', { headers: { 'X-Forwarded-Host': 'evil.example.com' } });
      expect(r.body.versions[0].links[1].href).to.equal(`${p.url}/v3/`);
    } finally {
      await p.close();
    }
  });

  it('echoes the negotiated microversion, latest included', async () => {
    expect((await s.request('GET', '/v3/volumes', { mv: '3.45' })).headers.get('openstack-api-version')).to.equal('volume 3.45');
    expect((await s.request('GET', '/v3/volumes', { mv: 'latest' })).headers.get('openstack-api-version')).to.equal('volume 3.70');
  });

  it('answers a malformed microversion with 400 and an out-of-range one with 406 computeFault', async () => {
    const bad = await s.request('GET', '/v3/volumes', { mv: '3.x' });
    expect(bad.status).to.equal(400);
    expect(bad.body.badRequest.message).to.equal('API Version String 3.x is of invalid format. Must be of format MajorNum.MinorNum.');
    const far = await s.request('GET', '/v3/volumes', { mv: '3.99' });
    expect(far.status).to.equal(406);
    expect(far.body).to.deep.equal({ computeFault: { code: 406, message: 'Version 3.99 is not supported by the API. Minimum is 3.0 and maximum is 3.70.' } });
    expect(far.headers.get('openstack-api-version')).to.equal('volume 3.99');
  });

  it('sends request ids as Cinder does, keeping a valid inbound id only as the global id', async () => {
    const inbound = 'req-11111111-2222-4333-8444-555555555555';
    const r = await s.request('GET', '/v3/volumes', { headers: { 'X-OpenStack-Request-ID': inbound } });
    const id = r.headers.get('x-openstack-request-id')!;
    expect(id).to.match(REQ_ID);
    expect(id).not.to.equal(inbound);
    expect(r.headers.get('x-compute-request-id')).to.equal(id);
    const other = await s.request('GET', '/v3/volumes');
    expect(other.headers.get('x-openstack-request-id')).not.to.equal(id);
  });

  it('noauth: no token gives the 204 fake login with a token to use', async () => {
    const r = await s.request('GET', '/v3/volumes', { token: null, headers: { 'X-Auth-User': 'joe', 'X-Auth-Project-Id': 'abc' } });
    expect(r.status).to.equal(204);
    expect(r.headers.get('x-auth-token')).to.equal('joe:abc');
    expect(r.headers.get('x-server-management-url')).to.equal(`${s.url}/v3/volumes`);
    expect(r.headers.get('openstack-api-version')).to.equal(null);
  });

  it('noauth: the token names user and project; the path project must be that project', async () => {
    const own = await s.request('GET', '/v3/abc123/volumes', { token: 'joe:abc123' });
    expect(own.status).to.equal(200);
    const other = await s.request('GET', '/v3/abc123/volumes', { token: 'joe:def456' });
    expect(other.status).to.equal(400);
    expect(other.body.badRequest.message).to.equal('Malformed request url');
    const notHex = await s.request('GET', '/v3/admin/volumes', { token: 'joe:admin' });
    expect(notHex.status).to.equal(404);
  });

  it('healthcheck answers OK without auth, in text or JSON, and HEAD with 204', async () => {
    const r = await s.request('GET', '/healthcheck', { token: null, headers: { Accept: '*/*' } });
    expect(r.status).to.equal(200);
    expect(r.text).to.equal('OK');
    expect(r.headers.get('content-type')).to.match(/^text\/plain/);
    const json = await s.request('GET', '/healthcheck', { token: null });
    expect(json.body).to.include({ detailed: true });
    expect(json.body.reasons.map((r: { reason: string }) => r.reason)).to.deep.equal(['OK', 'OK', 'OK', 'OK']);
    const head = await s.request('HEAD', '/healthcheck', { token: null });
    expect(head.status).to.equal(204);
  });

  it('healthcheck answers 503 when the store does not answer', async () => {
    const p = await startServer();
    try {
      await p.services.store.db.destroy();
      const r = await p.request('GET', '/healthcheck', { token: null, headers: { Accept: 'text/plain' } });
      expect(r.status).to.equal(503);
    } finally {
      await p.close().catch(() => undefined);
    }
  });

  it('keeps connections alive longer than Python clients reuse them', async () => {
    const r = await s.request('GET', '/');
    const keepAlive = r.headers.get('keep-alive') ?? '';
    const timeout = Number(/timeout=(\d+)/.exec(keepAlive)?.[1]);
    expect(timeout).to.be.greaterThan(60);
  });

  /** Writes raw HTTP/1.1 requests on one socket; resolves with everything read until the server closes. */
  function rawExchange(requests: string[]): Promise<{ text: string; closedByServer: boolean }> {
    return new Promise((resolve, reject) => {
      const port = Number(new URL(s.url).port);
      const socket = net.connect(port, '127.0.0.1', () => socket.write(requests.join('')));
      let text = '';
      const timer = setTimeout(() => {
        socket.destroy();
        resolve({ text, closedByServer: false });
      }, 1500);
      socket.on('data', (d) => (text += d.toString()));
      socket.on('end', () => {
        clearTimeout(timer);
        resolve({ text, closedByServer: true });
      });
      socket.on('error', reject);
    });
  }

  it('answers several requests on one kept-alive connection, and closes it when asked (Connection: close)', async () => {
    const get = (extra = '') => `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`;
    const reused = await rawExchange([get(), get()]);
    expect(reused.text.match(/HTTP\/1\.1 300/g)).to.have.length(2);
    expect(reused.closedByServer).to.equal(false);
    const closing = await rawExchange([get('Connection: close\r\n')]);
    expect(closing.text).to.match(/^HTTP\/1\.1 300/);
    expect(closing.text.toLowerCase()).to.contain('connection: close');
    expect(closing.closedByServer).to.equal(true);
  });

  it('lists availability zones', async () => {
    const r = await s.request('GET', '/v3/os-availability-zone');
    expect(r.body).to.deep.equal({ availabilityZoneInfo: [{ zoneName: 'nova', zoneState: { available: true } }] });
  });
});
