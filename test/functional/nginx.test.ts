/*
 * The generated Nginx vhost in the real nginx (a private instance per suite: test/lib/nginx.ts) in front
 * of the real API (test/lib/server.ts), all on 127.0.0.1 with ephemeral ports: validation, proxying,
 * links through TLS, request ids in the access log, nginx's own 413/502/504, upstream keepalive, and
 * failover between two API servers with passive health checks. Skipped without nginx, except under
 * CI=true where that fails.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { DEFAULT_ECOSYSTEM, loadEcosystem } from '../../deploy/lib/ecosystem';
import { LAYOUTS } from '../../deploy/lib/layouts';
import { nginx } from '../../deploy/lib/nginx';
import { defaultVhostOptions, HSTS_MAX_AGE_SECONDS } from '../../deploy/lib/webserver';
import { freePort, makeSelfSignedCert, nginxOrSkip, startNginxFor, type NginxProxy } from '../lib/nginx';
import { PROJECT_ID, startServer, type TestServer } from '../lib/server';

const TOKEN = `admin:${PROJECT_ID}`;
const TRUST_LOCAL = { trusted_proxies: ['127.0.0.1'] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
  socket: net.Socket;
}

interface SendOptions {
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the body with Transfer-Encoding: chunked (no Content-Length). */
  chunked?: boolean;
  /** Host header (and TLS server name); default: the URL's host. */
  host?: string;
}

/** One request on a fresh connection (no agent), http or https (self-signed certificates accepted). */
function send(base: string, method: string, urlPath: string, o: SendOptions = {}): Promise<Answer> {
  const url = new URL(urlPath, base);
  const headers: Record<string, string> = { Accept: 'application/json', 'X-Auth-Token': TOKEN, ...(o.headers ?? {}) };
  if (o.host) headers.Host = o.host;
  if (o.body !== undefined) {
    headers['Content-Type'] ??= 'application/json';
    if (!o.chunked) headers['Content-Length'] = String(Buffer.byteLength(o.body));
  }
  const options: https.RequestOptions = { method, headers, agent: false, host: url.hostname, port: url.port, path: url.pathname + url.search };
  if (url.protocol === 'https:') Object.assign(options, { rejectUnauthorized: false, servername: o.host?.replace(/:\d+$/, '') });
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).request(options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        let json: unknown;
        if ((res.headers['content-type'] ?? '').includes('json') && text) json = JSON.parse(text);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, socket: res.socket });
      });
    });
    req.on('error', reject);
    req.setTimeout(20000, () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    if (o.body !== undefined) {
      if (o.chunked) {
        // Several chunks: nginx must count the total, not a declared length.
        const buf = Buffer.from(o.body);
        for (let i = 0; i < buf.length; i += 16384) req.write(buf.subarray(i, i + 16384));
      } else {
        req.write(o.body);
      }
    }
    req.end();
  });
}

const volumeBody = (name: string, description = '') => JSON.stringify({ volume: { size: 1, name, description } });

describe('nginx in front of the API (real nginx)', function () {
  this.timeout(120000);

  describe('validate()', () => {
    let tmp: string;
    before(function () {
      nginxOrSkip(this);
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'volume-api-nginx-validate-test-'));
    });
    after(() => {
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it('passes for the generated configuration: default, several upstreams, TLS, both layouts', async () => {
      const eco = loadEcosystem(DEFAULT_ECOSYSTEM, {});
      const tls = makeSelfSignedCert(tmp, 'volume.example.com');
      // A log directory that does not exist: nginx -t would fail to open the logs there, so passing
      // shows validate() moved them to its throwaway directory (and never touches the real ones).
      const missingLogDir = path.join(tmp, 'no-such-dir');
      const variants = [
        defaultVhostOptions(eco, LAYOUTS.debian, 'nginx', { logDir: missingLogDir }),
        defaultVhostOptions(eco, LAYOUTS.debian, 'nginx', {
          upstreams: [
            { host: '10.0.0.1', port: 8776 },
            { host: '[::1]', port: 8777 },
          ],
          maxBodyBytes: 10485760,
        }),
        defaultVhostOptions(eco, LAYOUTS.rhel, 'nginx', { serverName: 'volume.example.com', tls }),
      ];
      for (const opts of variants) {
        const text = nginx.generate(eco, opts, LAYOUTS.debian);
        const result = await nginx.validate(text, LAYOUTS.debian);
        expect(result.ok, result.output).to.equal(true);
        expect(result.output).to.match(/syntax is ok/);
        expect(result.output).to.match(/test is successful/);
      }
      expect(fs.existsSync(missingLogDir)).to.equal(false);
    });

    it("fails for a broken configuration, with nginx's own output", async () => {
      const eco = loadEcosystem(DEFAULT_ECOSYSTEM, {});
      const text = nginx.generate(eco, defaultVhostOptions(eco, LAYOUTS.debian, 'nginx'), LAYOUTS.debian);
      const lineNo = text.split('\n').findIndex((l) => l.includes('proxy_http_version')) + 1;
      const typo = await nginx.validate(text.replace('proxy_http_version', 'proxy_http_versoin'), LAYOUTS.debian);
      expect(typo.ok).to.equal(false);
      expect(typo.output).to.contain('unknown directive "proxy_http_versoin"');
      expect(typo.output).to.contain(`volume-api.conf:${lineNo}`);
      expect(typo.output).to.match(/test failed/);

      const unbalanced = await nginx.validate(text.replace(/\}\s*$/, ''), LAYOUTS.debian);
      expect(unbalanced.ok).to.equal(false);
      expect(unbalanced.output).to.match(/unexpected end of file/);

      const missingCert = nginx.generate(
        eco,
        defaultVhostOptions(eco, LAYOUTS.debian, 'nginx', { tls: { cert: path.join(tmp, 'none.pem'), key: path.join(tmp, 'none.key') } }),
        LAYOUTS.debian,
      );
      const cert = await nginx.validate(missingCert, LAYOUTS.debian);
      expect(cert.ok).to.equal(false);
      expect(cert.output).to.contain('none.pem');
    });
  });

  describe('one API server behind nginx', () => {
    let api: TestServer | undefined;
    let proxy: NginxProxy | undefined;
    let connections = 0;

    before(async function () {
      nginxOrSkip(this);
      api = await startServer(TRUST_LOCAL);
      api.app.server.server.on('connection', () => connections++);
      proxy = await startNginxFor([api.url], { serverName: 'volume.test' });
    });
    after(async () => {
      await proxy?.stop();
      await api?.close();
    });

    it('requests reach the API, and links name the host and port the client used', async () => {
      const created = await send(proxy!.url, 'POST', '/v3/volumes', { body: volumeBody('via-nginx') });
      expect(created.status, created.text).to.equal(202);
      const id = created.json.volume.id;
      const self = created.json.volume.links.find((l: { rel: string }) => l.rel === 'self').href;
      expect(self).to.match(new RegExp(`^${proxy!.url}/v3/(${PROJECT_ID}/)?volumes/${id}$`));
      const shown = await send(proxy!.url, 'GET', `/v3/volumes/${id}`);
      expect(shown.status).to.equal(200);
      expect(shown.json.volume.name).to.equal('via-nginx');
      // The API itself has it: the proxy did not answer on its own.
      expect((await api!.request('GET', `/v3/volumes/${id}`)).status).to.equal(200);
    });

    it("the access log records the response's x-openstack-request-id and the upstream timing", async () => {
      const r = await send(proxy!.url, 'GET', '/v3/volumes/detail');
      expect(r.status).to.equal(200);
      const id = r.headers['x-openstack-request-id'];
      expect(id).to.match(/^req-[0-9a-f-]{36}$/);
      const entry = await proxy!.waitForAccess((e) => e.request_id === id);
      expect(entry.uri).to.equal('/v3/volumes/detail');
      expect(entry.status).to.equal('200');
      expect(entry.upstream_addr).to.equal(new URL(api!.url).host);
      expect(entry.upstream_response_time).to.match(/^\d+\.\d{3}$/);
      expect(entry.request_time).to.match(/^\d+\.\d{3}$/);
    });

    it('a body over the limit gets a clean 413 from nginx: a Cinder fault with a request id', async () => {
      const big = volumeBody('too-big', 'x'.repeat(200000));
      for (const chunked of [false, true]) {
        const r = await send(proxy!.url, 'POST', '/v3/volumes', { body: big, chunked });
        expect(r.status, `chunked=${chunked}`).to.equal(413);
        expect(r.headers['content-type']).to.equal('application/json');
        expect(r.json).to.deep.equal({ overLimit: { code: 413, message: 'Request is too large.' } });
        const id = r.headers['x-openstack-request-id'] as string;
        expect(id).to.match(/^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        expect(r.headers['x-compute-request-id']).to.equal(id);
        const entry = await proxy!.waitForAccess((e) => e.request_id === id);
        expect(entry.status).to.equal('413');
        expect(entry.upstream_addr, 'nginx answered, the API never saw it').to.equal('');
      }
      // A body under the limit still goes through.
      const ok = await send(proxy!.url, 'POST', '/v3/volumes', { body: volumeBody('small', 'x'.repeat(200)), chunked: true });
      expect(ok.status, ok.text).to.equal(202);
    });

    it('reuses upstream connections (keepalive) across client connections', async () => {
      await send(proxy!.url, 'GET', '/v3/volumes');
      const before = connections;
      for (let i = 0; i < 20; i++) expect((await send(proxy!.url, 'GET', '/v3/volumes')).status).to.equal(200);
      expect(connections - before, 'new API connections for 20 proxied requests').to.be.at.most(1);
    });
  });

  describe('TLS', () => {
    let api: TestServer | undefined;
    let proxy: NginxProxy | undefined;

    before(async function () {
      nginxOrSkip(this);
      api = await startServer(TRUST_LOCAL);
      proxy = await startNginxFor([api.url], { serverName: 'volume.test', tls: true, hstsMaxAgeSeconds: HSTS_MAX_AGE_SECONDS });
    });
    after(async () => {
      await proxy?.stop();
      await api?.close();
    });

    it('GET / over HTTPS shows https://<server name> links, with the certificate for that name', async () => {
      const r = await send(proxy!.url, 'GET', '/', { host: 'volume.test' });
      expect(r.status).to.equal(300);
      const hrefs: string[] = r.json.versions.flatMap((v: { links: { rel: string; href: string }[] }) =>
        v.links.filter((l) => l.rel === 'self').map((l) => l.href),
      );
      expect(hrefs).to.deep.equal(['https://volume.test/v3/']);
      expect((r.socket as TLSSocket).getPeerCertificate().subject.CN).to.equal('volume.test');
      const listed = await send(proxy!.url, 'GET', '/v3/volumes?limit=1', { host: 'volume.test' });
      expect(listed.status).to.equal(200);
      // --hsts (issue 18)
      expect(listed.headers['strict-transport-security']).to.equal('max-age=31536000');
    });

    it('plain HTTP redirects to HTTPS, keeping path, query and method (308)', async () => {
      const r = await send(`http://127.0.0.1:${proxy!.ports[1]}`, 'POST', '/v3/volumes?x=1', { host: 'volume.test', body: volumeBody('redirected') });
      expect(r.status).to.equal(308);
      expect(r.headers.location).to.equal(`https://volume.test:${proxy!.port}/v3/volumes?x=1`);
    });
  });

  describe("nginx's own gateway errors", () => {
    const cleanups: (() => Promise<void>)[] = [];
    before(function () {
      nginxOrSkip(this);
    });
    afterEach(async () => {
      while (cleanups.length) await cleanups.pop()!();
    });

    it('no API server listening → 502 as a Cinder fault', async () => {
      const dead = await freePort();
      const proxy = await startNginxFor([`http://127.0.0.1:${dead}`]);
      cleanups.push(() => proxy.stop());
      const r = await send(proxy.url, 'GET', '/v3/volumes');
      expect(r.status).to.equal(502);
      expect(r.json.computeFault.code).to.equal(502);
      expect(r.headers['x-openstack-request-id']).to.match(/^req-/);
    });

    it('an API server that never answers → 504 after the proxy timeout, as a Cinder fault', async () => {
      const sockets = new Set<net.Socket>();
      const silent = net.createServer((s) => sockets.add(s));
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      cleanups.push(async () => {
        for (const s of sockets) s.destroy();
        await new Promise((r) => silent.close(r));
      });
      const port = (silent.address() as net.AddressInfo).port;
      const proxy = await startNginxFor([`http://127.0.0.1:${port}`], { proxyTimeoutSeconds: 1 });
      cleanups.push(() => proxy.stop());
      const started = Date.now();
      const r = await send(proxy.url, 'GET', '/v3/volumes');
      expect(r.status).to.equal(504);
      expect(Date.now() - started).to.be.within(900, 10000);
      expect(r.json.computeFault.code).to.equal(504);
    });
  });

  describe('failover between two API servers (passive health checks)', () => {
    let a: TestServer | undefined;
    let b: TestServer | undefined;
    let proxy: NginxProxy | undefined;
    const FAIL_TIMEOUT_S = 2;

    before(async function () {
      nginxOrSkip(this);
      a = await startServer(TRUST_LOCAL);
      b = await startServer(TRUST_LOCAL);
      proxy = await startNginxFor([a.url, b.url], { healthCheckIntervalSeconds: FAIL_TIMEOUT_S });
    });
    after(async () => {
      await proxy?.stop();
      await a?.close();
      await b?.close();
    });

    it('one server stopped: every request succeeds; started again: it gets traffic after fail_timeout', async () => {
      const aHost = new URL(a!.url).host;
      const bHost = new URL(b!.url).host;
      const bPort = Number(new URL(b!.url).port);
      // The server that answered: the last one nginx tried ("B, A" when B failed and A answered).
      const servedBy = async (ids: string[]) => {
        const out: string[] = [];
        for (const id of ids) out.push((await proxy!.waitForAccess((e) => e.request_id === id)).upstream_addr.split(', ').pop()!);
        return out;
      };

      // Both serve.
      const warm: string[] = [];
      for (let i = 0; i < 6; i++) {
        const r = await send(proxy!.url, 'GET', '/v3/volumes');
        expect(r.status).to.equal(200);
        warm.push(r.headers['x-openstack-request-id'] as string);
      }
      expect(new Set(await servedBy(warm))).to.deep.equal(new Set([aHost, bHost]));

      // B stops: GETs fail over to A; POSTs too, since a refused connection sent nothing.
      await b!.close();
      b = undefined;
      await sleep(50);
      const volumesOnA = (await a!.request('GET', '/v3/volumes')).body.volumes.length;
      const down: string[] = [];
      for (let i = 0; i < 20; i++) {
        const r = await send(proxy!.url, 'GET', '/v3/volumes');
        expect(r.status, `GET ${i} with B down: ${r.text}`).to.equal(200);
        down.push(r.headers['x-openstack-request-id'] as string);
      }
      for (let i = 0; i < 4; i++) {
        const r = await send(proxy!.url, 'POST', '/v3/volumes', { body: volumeBody(`while-b-down-${i}`) });
        expect(r.status, `POST ${i} with B down: ${r.text}`).to.equal(202);
      }
      expect(new Set(await servedBy(down))).to.deep.equal(new Set([aHost]));
      // Each create ran exactly once, on A.
      expect((await a!.request('GET', '/v3/volumes')).body.volumes.length).to.equal(volumesOnA + 4);
      // The attempts on B are in the log: tried, failed, passed on to A.
      const retried = proxy!.accessEntries().filter((e) => e.upstream_addr === `${bHost}, ${aHost}`);
      expect(retried.length).to.be.at.least(1);
      expect(retried[0].upstream_status).to.equal('502, 200');

      // B back on the same port: after fail_timeout, requests reach it again.
      b = await startServer({ ...TRUST_LOCAL, port: bPort });
      const restarted = Date.now();
      let firstOnB: number | undefined;
      while (Date.now() - restarted < (FAIL_TIMEOUT_S + 8) * 1000) {
        const r = await send(proxy!.url, 'GET', '/v3/volumes');
        expect(r.status).to.equal(200);
        const [addr] = await servedBy([r.headers['x-openstack-request-id'] as string]);
        if (addr === bHost) {
          firstOnB = Date.now() - restarted;
          break;
        }
        await sleep(100);
      }
      expect(firstOnB, 'B got no request within fail_timeout + 8 s').to.be.a('number');
      // Round robin again: both take requests.
      const again: string[] = [];
      for (let i = 0; i < 6; i++) again.push((await send(proxy!.url, 'GET', '/v3/volumes')).headers['x-openstack-request-id'] as string);
      expect(new Set(await servedBy(again))).to.deep.equal(new Set([aHost, bHost]));
    });
  });
});
