/*
 * The generated Apache vhost in the real Apache (a private apache2 on 127.0.0.1, test/lib/apache.ts)
 * in front of the real API (startServer, in-process, trusting 127.0.0.1 as its proxy): validate() on
 * good and broken text, requests and links through the proxy, HTTPS with the port-80 redirect, the
 * request id in Apache's access log, the service's 413 through the proxy, and failover between two
 * API hosts with the health check taking a stopped one out and a restarted one back in.
 * Without apache2 the suite is skipped, or fails under CI=true.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { apache } from '../../deploy/lib/apache';
import { loadEcosystem } from '../../deploy/lib/ecosystem';
import { LAYOUTS } from '../../deploy/lib/layouts';
import { defaultVhostOptions, HSTS_MAX_AGE_SECONDS, type VhostOptions } from '../../deploy/lib/webserver';
import { freePort, requireApache, startApacheProxy, type ApacheProxy } from '../lib/apache';
import { PROJECT_ID, startServer, tmpDir, type TestServer } from '../lib/server';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const debian = LAYOUTS.debian;
const eco = loadEcosystem(undefined, { VOLUME_API_PORT: '8776' });

interface RawReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  body: any;
}

/** One request with full control of Host (fetch cannot set it), over HTTP or HTTPS (self-signed accepted). */
function send(url: string, o: { method?: string; host?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<RawReply> {
  const u = new URL(url);
  const lib = u.protocol === 'https:' ? https : http;
  const headers: Record<string, string | number> = { Accept: 'application/json', 'X-Auth-Token': `admin:${PROJECT_ID}`, ...(o.headers ?? {}) };
  if (o.host) headers.Host = o.host;
  if (o.body !== undefined) {
    headers['Content-Type'] ??= 'application/json';
    headers['Content-Length'] = Buffer.byteLength(o.body);
  }
  return new Promise((resolve, reject) => {
    const req = lib.request(
      {
        host: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        method: o.method ?? 'GET',
        headers,
        agent: false,
        rejectUnauthorized: false,
        servername: o.host?.split(':')[0],
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          if ((res.headers['content-type'] ?? '').includes('json') && text) body = JSON.parse(text);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
        });
      },
    );
    req.on('error', reject);
    req.setTimeout(30000, () => req.destroy(new Error(`timeout: ${o.method ?? 'GET'} ${url}`)));
    if (o.body !== undefined) req.write(o.body);
    req.end();
  });
}

/** The access-log fields after the combined ones: %D, request id, balancer member. */
function parseAccessLine(line: string): { request: string; status: number; micros: number; requestId: string; member: string } {
  const m = /^\S+ \S+ \S+ \[[^\]]+\] "([^"]*)" (\d{3}) \S+ "[^"]*" "[^"]*" (\d+) "([^"]*)" "([^"]*)"$/.exec(line);
  if (!m) throw new Error(`access-log line not in the volume_api format: ${line}`);
  return { request: m[1], status: Number(m[2]), micros: Number(m[3]), requestId: m[4], member: m[5] };
}

async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 10000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function selfSignedCert(dir: string, cn: string): { cert: string; key: string } {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-days', '1', '-keyout', key, '-out', cert], {
    stdio: 'pipe',
  });
  return { cert, key };
}

describe('Apache in front of the API (real apache2)', function () {
  this.timeout(120000);
  const servers: TestServer[] = [];
  const proxies: ApacheProxy[] = [];
  const dirs: string[] = [];

  before(function () {
    requireApache(this);
  });

  afterEach(async () => {
    for (const p of proxies.splice(0)) await p.stop();
    for (const s of servers.splice(0)) await s.close().catch(() => undefined);
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  async function api(overrides: Record<string, unknown> = {}): Promise<TestServer> {
    const s = await startServer({ trusted_proxies: ['127.0.0.1'], ...overrides });
    servers.push(s);
    return s;
  }

  async function proxy(source: Parameters<typeof startApacheProxy>[0], o: Parameters<typeof startApacheProxy>[1] = {}): Promise<ApacheProxy> {
    const p = await startApacheProxy(source, { ecosystem: eco, ...o });
    proxies.push(p);
    return p;
  }

  function portOf(s: TestServer): number {
    return Number(new URL(s.url).port);
  }

  describe('validate()', () => {
    it('passes the generated vhost: one upstream, several, and TLS with a real certificate (Debian and RHEL text)', async () => {
      const dir = tmpDir('volume-api-apache-validate-');
      dirs.push(dir);
      const tls = selfSignedCert(dir, 'volume.test');
      const variants: Partial<VhostOptions>[] = [
        {},
        {
          serverName: 'volume.test',
          upstreams: [
            { host: '127.0.0.1', port: 8776 },
            { host: '10.0.0.2', port: 8776 },
            { host: '[::1]', port: 9000 },
          ],
        },
        { serverName: 'volume.test', tls, logDir: dir },
        { serverName: 'volume.test', tls, logDir: dir, listen: { host: '127.0.0.1', port: 8443 }, healthCheckIntervalSeconds: 1, proxyTimeoutSeconds: 300 },
      ];
      for (const layout of [LAYOUTS.debian, LAYOUTS.rhel]) {
        for (const v of variants) {
          // The layout's default log directory may not exist on this machine (no Apache run yet).
          const logDir = v.logDir ?? (fs.existsSync(layout.apache.logDir) ? layout.apache.logDir : dir);
          const text = apache.generate(eco, defaultVhostOptions(eco, layout, 'apache', { ...v, logDir }), layout);
          const r = await apache.validate(text, layout);
          expect(r.ok, `${layout.name} ${JSON.stringify(v)}:\n${r.output}`).to.equal(true);
          expect(r.output).to.include('Syntax OK');
        }
      }
    });

    it("fails on a broken vhost with Apache's own message", async () => {
      const text = apache.generate(eco, defaultVhostOptions(eco, debian, 'apache', { logDir: tmpDir() }), debian);
      dirs.push(/CustomLog "([^"]+)\/volume-api_access\.log"/.exec(text)![1]);
      const misspelled = await apache.validate(text.replace('ProxyPass        "/"', 'ProxyPas "/"'), debian);
      expect(misspelled.ok).to.equal(false);
      expect(misspelled.output).to.match(/Syntax error on line \d+ of .*volume-api\.conf/);
      expect(misspelled.output).to.include("Invalid command 'ProxyPas'");
      const badParam = await apache.validate(text.replace('hcmethod=GET', 'hcmethod=FETCH'), debian);
      expect(badParam.ok).to.equal(false);
      expect(badParam.output).to.include('BalancerMember Unknown method');
      const noCert = apache.generate(
        eco,
        defaultVhostOptions(eco, debian, 'apache', { tls: { cert: '/nonexistent/cert.pem', key: '/nonexistent/key.pem' }, logDir: tmpDir() }),
        debian,
      );
      dirs.push(/CustomLog "([^"]+)\/volume-api_access\.log"/.exec(noCert)![1]);
      const r = await apache.validate(noCert, debian);
      expect(r.ok).to.equal(false);
      expect(r.output).to.include("SSLCertificateFile: file '/nonexistent/cert.pem' does not exist or is empty");
    });
  });

  describe('through the proxy', () => {
    it("requests reach the API; links use the client's Host and http; a client X-Forwarded-Host is ignored", async () => {
      const s = await api();
      const p = await proxy({ serverName: 'volume.test', upstreams: [{ host: '127.0.0.1', port: portOf(s) }] });
      const root = await send(`${p.url}/`, { host: 'volume.test' });
      expect(root.status).to.equal(300);
      expect(root.body.versions[0].links).to.deep.include({ rel: 'self', href: 'http://volume.test/v3/' });

      const spoofed = await send(`${p.url}/`, { host: 'volume.test', headers: { 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'gopher' } });
      expect(spoofed.body.versions[0].links).to.deep.include({ rel: 'self', href: 'http://volume.test/v3/' });

      const created = await send(`${p.url}/v3/volumes`, {
        method: 'POST',
        host: 'volume.test',
        body: JSON.stringify({ volume: { size: 1, name: 'via-apache' } }),
      });
      expect(created.status, created.text).to.equal(202);
      const id = created.body.volume.id as string;
      expect(created.body.volume.links[0].href).to.equal(`http://volume.test/v3/volumes/${id}`);
      const shown = await send(`${p.url}/v3/volumes/${id}`, { host: 'volume.test' });
      expect(shown.status).to.equal(200);
      expect(shown.body.volume.name).to.equal('via-apache');
      // The same volume straight from the API: the proxy changed nothing but the links' origin.
      const direct = await s.request('GET', `/v3/volumes/${id}`);
      expect(direct.body.volume.id).to.equal(id);

      // An encoded "/" in a metadata key reaches the API as it was sent (AllowEncodedSlashes NoDecode + nocanon).
      const meta = await send(`${p.url}/v3/volumes/${id}/metadata`, {
        method: 'POST',
        host: 'volume.test',
        body: JSON.stringify({ metadata: { 'a/b': 'slash' } }),
      });
      expect(meta.status, meta.text).to.equal(200);
      const key = await send(`${p.url}/v3/volumes/${id}/metadata/a%2Fb`, { host: 'volume.test' });
      expect(key.status, key.text).to.equal(200);
      expect(key.body).to.deep.equal({ meta: { 'a/b': 'slash' } });

      const health = await send(`${p.url}/healthcheck`, { host: 'volume.test', headers: { Accept: 'text/plain' } });
      expect(health.status).to.equal(200);
      expect(health.text).to.equal('OK');
    });

    // --- issue 18 ---
    it('with the API down, Apache answers 503 as a JSON Cinder fault, and its Server header names no version', async () => {
      const p = await proxy({ serverName: 'volume.test', upstreams: [{ host: '127.0.0.1', port: await freePort() }] });
      for (const url of ['/v3/volumes', '/']) {
        const r = await send(`${p.url}${url}`, { host: 'volume.test' });
        expect(r.status, r.text).to.be.oneOf([502, 503]);
        expect(r.headers['content-type']).to.equal('application/json');
        expect(r.body).to.deep.equal({ computeFault: { code: r.status, message: r.body.computeFault.message } });
        expect(r.headers.server).to.equal('Apache');
      }
      // Prometheus is for the API hosts' own port: not served through the vhost, a JSON 403.
      const metrics = await send(`${p.url}/metrics`, { host: 'volume.test' });
      expect(metrics.status).to.equal(403);
      expect(metrics.body).to.have.property('forbidden');
    });

    it('under --path-prefix /volume: the version document and links start with /volume, the root is not the API', async () => {
      const s = await api();
      const p = await proxy({ serverName: 'volume.test', upstreams: [{ host: '127.0.0.1', port: portOf(s) }], pathPrefix: '/volume' });
      const root = await send(`${p.url}/volume/`, { host: 'volume.test' });
      expect(root.status, root.text).to.equal(300);
      expect(root.body.versions[0].links).to.deep.include({ rel: 'self', href: 'http://volume.test/volume/v3/' });
      const created = await send(`${p.url}/volume/v3/volumes`, { method: 'POST', host: 'volume.test', body: JSON.stringify({ volume: { size: 1 } }) });
      expect(created.status, created.text).to.equal(202);
      expect(created.body.volume.links[0].href).to.equal(`http://volume.test/volume/v3/volumes/${created.body.volume.id}`);
      expect(created.headers.server).to.equal('Apache');
      expect((await send(`${p.url}/v3/volumes`, { host: 'volume.test' })).status).to.equal(404);
    });

    it("Apache's access log records the response's x-openstack-request-id, the time taken and the member", async () => {
      const s = await api();
      const p = await proxy({ serverName: 'volume.test', upstreams: [{ host: '127.0.0.1', port: portOf(s) }] });
      const replies = [];
      for (let i = 0; i < 3; i++) replies.push(await send(`${p.url}/v3/types`, { host: 'volume.test' }));
      const ids = replies.map((r) => r.headers['x-openstack-request-id'] as string);
      for (const id of ids) expect(id).to.match(/^req-[0-9a-f-]{36}$/);
      const lines = await waitFor('three access-log lines', () => {
        const l = p.accessLines().filter((x) => x.includes('/v3/types'));
        return l.length >= 3 ? l : undefined;
      });
      const parsed = lines.map(parseAccessLine);
      expect(parsed.map((x) => x.requestId)).to.deep.equal(ids);
      for (const x of parsed) {
        expect(x.request).to.equal('GET /v3/types HTTP/1.1');
        expect(x.status).to.equal(200);
        expect(x.micros).to.be.greaterThan(0);
        expect(x.member).to.equal(`http://127.0.0.1:${portOf(s)}`);
      }
    });

    it("a body over the limit gets the service's 413 Cinder fault (LimitRequestBody does not stop proxied bodies)", async () => {
      const s = await api();
      expect(s.config.max_body_size).to.equal(114688);
      const p = await proxy({ upstreams: [{ host: '127.0.0.1', port: portOf(s) }] });
      expect(p.vhost).to.include('LimitRequestBody 114688');
      const big = JSON.stringify({ volume: { size: 1, description: 'x'.repeat(150000) } });
      const r = await send(`${p.url}/v3/volumes`, { method: 'POST', host: 'localhost', body: big });
      expect(r.status).to.equal(413);
      expect(r.headers['content-type']).to.match(/json/);
      expect(r.body).to.deep.equal({ overLimit: { code: 413, message: 'Request is too large.' } });
      expect(r.headers['x-openstack-request-id']).to.match(/^req-/);
      // Just under the limit still passes through.
      const ok = await send(`${p.url}/v3/volumes`, {
        method: 'POST',
        host: 'localhost',
        body: JSON.stringify({ volume: { size: 1, description: 'x'.repeat(200) } }),
      });
      expect(ok.status, ok.text).to.equal(202);
    });
  });

  describe('HTTPS', () => {
    it('serves the API over TLS with https://<server name> links and HSTS (--hsts), and port 80 redirects with 308', async () => {
      const dir = tmpDir('volume-api-apache-tls-');
      dirs.push(dir);
      const tls = selfSignedCert(dir, 'volume.test');
      const s = await api();
      // The redirect vhost listens on port 80 of the same address; here it gets an ephemeral port instead.
      const redirectPort = await freePort();
      const p = await proxy(
        ({ port, logDir }) =>
          apache
            .generate(
              eco,
              defaultVhostOptions(eco, debian, 'apache', {
                serverName: 'volume.test',
                tls,
                hstsMaxAgeSeconds: HSTS_MAX_AGE_SECONDS,
                listen: { host: '127.0.0.1', port },
                logDir,
                upstreams: [{ host: '127.0.0.1', port: portOf(s) }],
              }),
              debian,
            )
            .replace('<VirtualHost 127.0.0.1:80>', `<VirtualHost 127.0.0.1:${redirectPort}>`),
        { extraListen: [`127.0.0.1:${redirectPort}`] },
      );
      expect(p.url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
      const root = await send(`${p.url}/`, { host: 'volume.test' });
      expect(root.status).to.equal(300);
      const self = root.body.versions[0].links.find((l: { rel: string }) => l.rel === 'self');
      expect(self.href).to.equal('https://volume.test/v3/');
      const created = await send(`${p.url}/v3/volumes`, { method: 'POST', host: 'volume.test', body: JSON.stringify({ volume: { size: 1 } }) });
      expect(created.status).to.equal(202);
      expect(created.body.volume.links[0].href).to.match(/^https:\/\/volume\.test\/v3\//);
      expect(created.headers['strict-transport-security']).to.equal('max-age=31536000');

      const redirected = await send(`http://127.0.0.1:${redirectPort}/v3/volumes?limit=1`, { host: 'volume.test' });
      expect(redirected.status).to.equal(308);
      expect(redirected.headers.location).to.equal(`https://volume.test:${p.port}/v3/volumes?limit=1`);
    });
  });

  describe('two API hosts', () => {
    it('a stopped host leaves the group after the health check, and a restarted one gets traffic again', async () => {
      const a = await api();
      const b = await api();
      const portA = portOf(a);
      const portB = portOf(b);
      const p = await proxy({
        upstreams: [
          { host: '127.0.0.1', port: portA },
          { host: '127.0.0.1', port: portB },
        ],
        healthCheckIntervalSeconds: 1,
      });
      const memberA = `http://127.0.0.1:${portA}`;
      const memberB = `http://127.0.0.1:${portB}`;
      const members = (from: number) =>
        p
          .accessLines()
          .slice(from)
          .map((l) => parseAccessLine(l).member);
      const burst = async (n: number) => {
        const statuses: number[] = [];
        for (let i = 0; i < n; i++) statuses.push((await send(`${p.url}/v3/types`, { host: 'localhost' })).status);
        return statuses;
      };

      // Both serve.
      expect(await burst(10)).to.deep.equal(Array(10).fill(200));
      let seen = members(0);
      expect(seen.filter((m) => m === memberA).length).to.be.greaterThan(0);
      expect(seen.filter((m) => m === memberB).length).to.be.greaterThan(0);

      // A stops. Right away, a request that finds A refused is retried on B inside Apache.
      servers.splice(servers.indexOf(a), 1);
      await a.close();
      expect(await burst(10)).to.deep.equal(Array(10).fill(200));
      // After the health check's interval × failures, A is out: every request goes to B.
      await sleep(3000);
      let from = p.accessLines().length;
      expect(await burst(20)).to.deep.equal(Array(20).fill(200));
      seen = await waitFor('20 log lines', () => (members(from).length >= 20 ? members(from) : undefined));
      expect(seen).to.deep.equal(Array(20).fill(memberB));
      // The health check (HCOH in Apache's messages) is what found it down.
      expect(fs.readFileSync(p.errorLog, 'utf8')).to.include(`HCOH: attempt to connect to 127.0.0.1:${portA}`);

      // A comes back on the same port (a new process, its own data): the health check brings it back.
      const a2 = await api({ port: portA });
      expect(portOf(a2)).to.equal(portA);
      await sleep(3000);
      from = p.accessLines().length;
      expect(await burst(20)).to.deep.equal(Array(20).fill(200));
      seen = await waitFor('20 log lines', () => (members(from).length >= 20 ? members(from) : undefined));
      expect(fs.readFileSync(p.errorLog, 'utf8')).to.include(`Health check ENABLING ${memberA}`);
      const toA = seen.filter((m) => m === memberA).length;
      expect(toA, `members after A restarted: ${seen.join(' ')}\n${p.diagnostics()}`).to.be.at.least(5);
      // The new A's own audit records agree: it answered the requests the log gives it.
      const audited = await waitFor('audit records on the new A', () => {
        const n = fs
          .readFileSync(path.join(a2.dataDir, 'test.log'), 'utf8')
          .split('\n')
          .filter((l) => l.includes('"audit":true') && l.includes('/v3/types')).length;
        return n >= toA ? n : undefined;
      });
      expect(audited).to.equal(toA);
    });
  });
});
