/*
 * Issue 19: a seeded corpus of malformed requests from a member of one project, as an attacker would
 * send them. Framing faults go over raw sockets (one connection each: bad request lines, bad headers,
 * Content-Length with Transfer-Encoding, bad chunks, oversized headers, bodies that never arrive);
 * bad JSON, wrong types, huge and deeply nested values, odd query strings and headers go over HTTP with
 * keep-alive. Every request must get a reply (no dropped connection), none a 5xx, every 4xx a JSON body,
 * and another project's volume must be unchanged.
 */
import { expect } from 'chai';
import http from 'node:http';
import net from 'node:net';
import { PROJECT_ID, startServer, type TestServer } from '../lib/server';

/** mulberry32: the same corpus on every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ATTACKER = 'e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0';
const TOKEN = `member:${ATTACKER}`;

interface Outcome {
  status: number;
  contentType: string;
  body: string;
}

/** Sends raw bytes on a fresh connection and reads until the server closes it. */
function rawExchange(port: number, bytes: Buffer, halfClose = true): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3}) [^\r]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(text);
      if (!m) return reject(new Error(`no reply to ${JSON.stringify(bytes.toString('latin1').slice(0, 120))}: ${JSON.stringify(text.slice(0, 200))}`));
      const contentType = /content-type: ([^\r]*)/i.exec(m[2])?.[1] ?? '';
      resolve({ status: Number(m[1]), contentType, body: m[3] });
    });
    // Without the half-close the server waits for the rest (a slow client) until request_timeout_ms.
    socket.write(bytes, () => halfClose && socket.end());
  });
}

function pick<T>(r: () => number, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)];
}

const REQUEST_LINE = 'POST /v3/volumes HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ' + TOKEN + '\r\n';

/** One framing fault: bytes Node's HTTP parser refuses (or, for `slow`, a body that never comes). */
function framingFault(r: () => number): Buffer {
  const junk = () => Buffer.from(Array.from({ length: 1 + Math.floor(r() * 64) }, () => Math.floor(r() * 256)));
  const cases: (() => string | Buffer)[] = [
    () => `GET /v3/volumes HTTP/9.9\r\nHost: x\r\n\r\n`,
    () => `G@T /v3/volumes HTTP/1.1\r\nHost: x\r\n\r\n`,
    () => `GET /v3/vol umes x HTTP/1.1\r\nHost: x\r\n\r\n`,
    () => `GET /v3/volumes HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n`,
    () => `GET /v3/volumes HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n`,
    () => `${REQUEST_LINE}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    () => `${REQUEST_LINE}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!`,
    () => `${REQUEST_LINE}Content-Length: -1\r\n\r\n`,
    () => `${REQUEST_LINE}Content-Length: 1x\r\n\r\n`,
    () => `${REQUEST_LINE}Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
    () => `${REQUEST_LINE}Transfer-Encoding: gzip, chunked, identity\r\n\r\n0\r\n\r\n`,
    () => `GET /v3/volumes HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17000 + Math.floor(r() * 4000))}\r\n\r\n`,
    () => `GET /v3/volumes HTTP/1.1\r\n${Array.from({ length: 3000 }, (_, i) => `X-${i}: v`).join('\r\n')}\r\n\r\n`,
    () => 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
    () => `GET /v3/volumes HTTP/1.1\r\n\r\n`,
    () => Buffer.concat([Buffer.from('GET /'), junk(), Buffer.from(' HTTP/1.1\r\n\r\n')]),
    () => Buffer.concat([junk(), Buffer.from('\r\n\r\n')]),
    () => `GET /v3/volumes HTTP/1.1\r\nHost: x\r\n${'\x00'.repeat(8)}\r\n\r\n`,
  ];
  const made = pick(r, cases)();
  return typeof made === 'string' ? Buffer.from(made, 'latin1') : made;
}

/** Requests that parse as HTTP but whose body, path, query or headers are wrong. */
function badRequest(r: () => number, own: string): { method: string; path: string; headers: Record<string, string>; body?: string } {
  const huge = () => 'x'.repeat(Math.floor(r() * 120000));
  const deep = () => '['.repeat(10000 + Math.floor(r() * 20000)) + ']'.repeat(10000 + Math.floor(r() * 20000));
  const values: (() => unknown)[] = [
    () => null,
    () => -1,
    () => 1e308,
    () => 2 ** 63,
    () => '',
    () => '\u0000',
    () => 'é\ud800',
    () => huge(),
    () => [],
    () => ({}),
    () => [[[[[{ a: [1] }]]]]],
    () => Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, i])),
    () => true,
    () => '../../etc/passwd',
    () => "' or 1=1 --",
  ];
  const value = () => pick(r, values)();
  const bodies: (() => string)[] = [
    () => JSON.stringify({ volume: { size: value(), name: value(), metadata: value() } }),
    () => JSON.stringify({ volume: { size: 1, metadata: { [String(value()).slice(0, 300)]: value() } } }),
    () => JSON.stringify({ snapshot: { volume_id: value(), force: value() } }),
    () => JSON.stringify({ metadata: value() }),
    () => JSON.stringify({ 'os-extend': { new_size: value() } }),
    () => JSON.stringify({ 'os-reset_status': { status: value() } }),
    () => JSON.stringify({ [String(value()).slice(0, 50)]: value() }),
    () => JSON.stringify(value()) ?? 'null',
    () => `{"volume": {"size": 1, "name": ${deep()}}}`,
    () => '{"volume": {"size": 1',
    () => '{"a":' + '1'.repeat(5000) + '}',
    () => '\ufeff{}',
    () => 'null',
  ];
  const paths = [
    '/v3/volumes',
    `/v3/${ATTACKER}/volumes`,
    `/v3/volumes/${own}`,
    `/v3/volumes/${own}/action`,
    `/v3/volumes/${own}/metadata`,
    `/v3/volumes/${own}/metadata/${encodeURIComponent('k/..%00')}`,
    '/v3/snapshots',
    '/v3/backups',
    '/v3/types',
    '/v3/qos-specs',
    `/v3/os-quota-sets/${ATTACKER}`,
    `/v3/${PROJECT_ID}/volumes`,
    '/v3/volumes/detail',
    '/v3/os-volume-transfer',
    '/v3/attachments',
  ];
  const queries = [
    '',
    '?limit=-1',
    '?limit=abc',
    '?marker=nope',
    '?sort=%00:desc',
    '?sort_key=../id',
    '?metadata=%7B%27a',
    '?all_tenants=1',
    '?offset=1e400',
    '?name~=%25%25',
    `?x=${'y'.repeat(5000)}`,
  ];
  const method = pick(r, ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']);
  const headers: Record<string, string> = { 'X-Auth-Token': r() < 0.05 ? 'garbage' : TOKEN };
  if (r() < 0.3)
    headers['OpenStack-API-Version'] = pick(r, ['volume 3.70', 'volume 9.99', 'volume latest', 'volume 3.x', 'compute 2.1', 'volume 3.0, volume 3.5']);
  if (r() < 0.1) headers['Content-Type'] = pick(r, ['text/plain', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x', 'application/jsonx']);
  const hasBody = method === 'POST' || method === 'PUT' || method === 'PATCH' || (method === 'DELETE' && r() < 0.2);
  if (hasBody && !headers['Content-Type']) headers['Content-Type'] = 'application/json';
  return { method, path: pick(r, paths) + pick(r, queries), headers, body: hasBody ? pick(r, bodies)() : undefined };
}

function httpExchange(agent: http.Agent, port: number, req: ReturnType<typeof badRequest>): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const body = req.body === undefined ? undefined : Buffer.from(req.body);
    const headers = { ...req.headers, ...(body ? { 'Content-Length': String(body.length) } : {}) };
    const out = http.request({ host: '127.0.0.1', port, method: req.method, path: req.path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString() }),
      );
      res.on('error', reject);
    });
    out.on('error', (err) => reject(new Error(`${req.method} ${req.path.slice(0, 100)}: ${err.message}`)));
    out.end(body);
  });
}

/** A 4xx carries a JSON object body (HEAD and 412 aside: no body by definition). */
function expectJsonFault(o: Outcome, what: string, method = 'GET'): void {
  expect(o.status, `${what}: ${o.body.slice(0, 200)}`).to.be.within(200, 499);
  if (o.status < 400 || method === 'HEAD' || o.status === 412) return;
  expect(o.contentType, what).to.match(/json/);
  const parsed = JSON.parse(o.body);
  expect(parsed, what).to.be.an('object');
}

/** Runs `jobs` with at most `width` in flight. */
async function pool<T>(width: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]();
      }
    }),
  );
  return out;
}

describe('API: a seeded corpus of malformed requests (issue 19)', function () {
  this.timeout(30000);
  let s: TestServer;
  let port: number;
  let victim: string;
  let own: string;

  before(async () => {
    s = await startServer({ headers_timeout_ms: 1000, request_timeout_ms: 1500 }, { roleTokens: true });
    port = Number(new URL(s.url).port);
    const v = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, name: 'victim', metadata: { a: 'b' } } } });
    victim = v.body.volume.id;
    const o = await s.request('POST', `/v3/${ATTACKER}/volumes`, { body: { volume: { size: 1, name: 'own' } }, token: TOKEN });
    own = o.body.volume.id;
    await s.waitForVolume(victim, ['available']);
  });
  after(async () => {
    await s?.close();
  });

  it('2200 requests: every one answered, no 5xx, JSON on every 4xx, the other project untouched', async () => {
    const before = await s.request('GET', `/v3/volumes/${victim}`);
    const r = rng(19);
    const framing = Array.from({ length: 500 }, () => framingFault(r));
    const slow: Buffer[] = Array.from({ length: 4 }, () => Buffer.from(`${REQUEST_LINE}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"vol`));
    const requests = Array.from({ length: 1700 }, () => badRequest(r, own));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const statuses = new Map<number, number>();
    const count = (o: Outcome) => statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
    await Promise.all([
      pool(
        16,
        [...framing, ...slow].map((bytes) => async () => {
          const o = await rawExchange(port, bytes, !slow.includes(bytes));
          count(o);
          expectJsonFault(o, JSON.stringify(bytes.toString('latin1').slice(0, 80)));
        }),
      ),
      pool(
        8,
        requests.map((req) => async () => {
          const o = await httpExchange(agent, port, req);
          count(o);
          expectJsonFault(o, `${req.method} ${req.path.slice(0, 80)} ${String(req.body).slice(0, 80)}`, req.method);
        }),
      ),
    ]);
    agent.destroy();
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    expect(total).to.equal(2204);
    expect([...statuses.keys()].filter((c) => c >= 500)).to.deep.equal([]);
    // The corpus does reach the parser's faults, not only the app's.
    expect(statuses.get(431) ?? 0).to.be.above(0);
    expect(statuses.get(408) ?? 0).to.be.above(0);
    const after = await s.request('GET', `/v3/volumes/${victim}`);
    expect(after.body).to.deep.equal(before.body);
    const meta = await s.request('GET', `/v3/volumes/${victim}/metadata`);
    expect(meta.body.metadata).to.deep.equal({ a: 'b' });
  });

  it('a connection past max_connections_per_client gets a JSON 429, the others keep working', async () => {
    // Loopback is a trusted proxy by default, and proxies are not capped.
    const capped = await startServer({ max_connections_per_client: 2, trusted_proxies: [] });
    try {
      const cport = Number(new URL(capped.url).port);
      const sockets = await Promise.all(
        [1, 2].map(
          () =>
            new Promise<net.Socket>((res) => {
              const c = net.connect(cport, '127.0.0.1', () => res(c));
            }),
        ),
      );
      await new Promise((res) => setTimeout(res, 50));
      const third = await rawExchange(cport, Buffer.from(`GET /v3/volumes HTTP/1.1\r\nHost: x\r\nX-Auth-Token: admin:${PROJECT_ID}\r\n\r\n`));
      expect(third.status).to.equal(429);
      expect(JSON.parse(third.body)).to.deep.equal({ computeFault: { code: 429, message: 'Too many open connections from this client.' } });
      sockets.forEach((c) => c.destroy());
      await new Promise((res) => setTimeout(res, 50));
      expect((await capped.request('GET', '/v3/volumes')).status).to.equal(200);
    } finally {
      await capped.close();
    }
  });
});
