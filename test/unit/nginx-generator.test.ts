/*
 * The Nginx vhost generator as a pure function: (ecosystem, options, layout) → text. No nginx here;
 * test/functional/nginx.test.ts runs the text in the real one.
 */
import { expect } from 'chai';
import { DEFAULT_ECOSYSTEM, loadEcosystem, type Ecosystem } from '../../deploy/lib/ecosystem';
import { LAYOUTS } from '../../deploy/lib/layouts';
import { generateNginx, nginx, NGINX_TEMPLATE, redirectLogs, renderTemplate } from '../../deploy/lib/nginx';
import { defaultVhostOptions, type VhostOptions } from '../../deploy/lib/webserver';

const debian = LAYOUTS.debian;

function lines(text: string): string[] {
  return text.split('\n').map((l) => l.trim());
}

/** The lines of the block that starts with `head` (e.g. `upstream volume_api {`), up to its `}`. */
function block(text: string, head: string, nth = 0): string[] {
  const all = text.split('\n');
  let seen = -1;
  for (let i = 0; i < all.length; i++) {
    if (all[i].trim() === head && ++seen === nth) {
      const indent = all[i].length - all[i].trimStart().length;
      const out: string[] = [];
      for (let j = i + 1; j < all.length; j++) {
        if (all[j].trim() === '}' && all[j].length - all[j].trimStart().length === indent) return out;
        out.push(all[j].trim());
      }
    }
  }
  throw new Error(`no block ${head} #${nth}`);
}

describe('nginx vhost generator', () => {
  let eco: Ecosystem;
  before(() => {
    eco = loadEcosystem(DEFAULT_ECOSYSTEM, {});
  });

  function gen(partial: Partial<VhostOptions> = {}): string {
    return nginx.generate(eco, defaultVhostOptions(eco, debian, 'nginx', partial), debian);
  }

  it('one upstream by default: the ecosystem port on 127.0.0.1, passive health, pooled connections', () => {
    const text = gen();
    expect(eco.port).to.equal(8776);
    const up = block(text, 'upstream volume_api {');
    expect(up.filter((l) => l.startsWith('server '))).to.deep.equal(['server 127.0.0.1:8776 max_fails=2 fail_timeout=5s;']);
    expect(up).to.include.members(['zone volume_api 64k;', 'keepalive 64;', 'keepalive_timeout 30s;']);
    const loc = block(text, 'location / {');
    expect(loc).to.include.members([
      'proxy_pass http://volume_api;',
      'proxy_http_version 1.1;',
      'proxy_set_header Connection "";',
      'proxy_set_header Host $volume_api_host;',
      'proxy_set_header X-Forwarded-Host $volume_api_host;',
      'proxy_set_header X-Forwarded-Proto $scheme;',
      'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
      'proxy_connect_timeout 5s;',
      'proxy_read_timeout 60s;',
      'proxy_send_timeout 60s;',
      'proxy_next_upstream error timeout http_502 http_503;',
    ]);
    const server = block(text, 'server {');
    expect(server).to.include.members(['listen 80;', 'server_name localhost;', 'client_max_body_size 114688;', 'error_page 413 @volume_api_413;']);
    expect(text).not.to.match(/ssl|return 30/);
    expect(text).not.to.contain('{{');
  });

  it('never resends non-idempotent requests (no non_idempotent in proxy_next_upstream)', () => {
    const directives = lines(gen()).filter((l) => l.startsWith('proxy_next_upstream'));
    expect(directives).to.deep.equal(['proxy_next_upstream error timeout http_502 http_503;']);
  });

  it('preserves the Host with its port: $http_host, or the server name when the client sent none', () => {
    const map = block(gen(), 'map $http_host $volume_api_host {');
    expect(map).to.deep.equal(['""      $host;', 'default $http_host;']);
  });

  it('several upstreams: one server line each, in order', () => {
    const text = gen({
      upstreams: [
        { host: '10.0.0.11', port: 8776 },
        { host: 'api2.internal', port: 9000 },
        { host: '[::1]', port: 8776 },
      ],
      healthCheckIntervalSeconds: 7,
    });
    expect(block(text, 'upstream volume_api {').filter((l) => l.startsWith('server '))).to.deep.equal([
      'server 10.0.0.11:8776 max_fails=2 fail_timeout=7s;',
      'server api2.internal:9000 max_fails=2 fail_timeout=7s;',
      'server [::1]:8776 max_fails=2 fail_timeout=7s;',
    ]);
  });

  it('TLS: an HTTPS server on 443 with the certificate, and port 80 redirecting to it', () => {
    const text = gen({ serverName: 'volume.example.com', tls: { cert: '/etc/ssl/certs/volume.pem', key: '/etc/ssl/private/volume.key' } });
    const redirect = block(text, 'server {', 0);
    expect(redirect).to.include.members(['listen 80;', 'server_name volume.example.com;', 'return 308 https://$host$request_uri;']);
    const https = block(text, 'server {', 1);
    expect(https).to.include.members([
      'listen 443 ssl;',
      'server_name volume.example.com;',
      'ssl_certificate /etc/ssl/certs/volume.pem;',
      'ssl_certificate_key /etc/ssl/private/volume.key;',
      'ssl_protocols TLSv1.2 TLSv1.3;',
    ]);
    expect(block(text, 'location / {')).to.include('proxy_set_header X-Forwarded-Proto $scheme;');
  });

  it('TLS on another port and address: the redirect names the port, both servers bind that address', () => {
    const text = generateNginx(
      eco,
      defaultVhostOptions(eco, debian, 'nginx', { serverName: 'v.test', listen: { host: '192.0.2.10', port: 8443 }, tls: { cert: '/c.pem', key: '/k.pem' } }),
      debian,
      { httpRedirectPort: 8080 },
    );
    expect(block(text, 'server {', 0)).to.include.members(['listen 192.0.2.10:8080;', 'return 308 https://$host:8443$request_uri;']);
    expect(block(text, 'server {', 1)).to.include('listen 192.0.2.10:8443 ssl;');
  });

  it('custom limits, timeouts, keep-alive, listen address and log directory', () => {
    const text = gen({
      serverName: 'api.example.org',
      listen: { host: '127.0.0.1', port: 8080 },
      maxBodyBytes: 1048576,
      proxyTimeoutSeconds: 300,
      connectTimeoutSeconds: 3,
      backendKeepAliveSeconds: 10,
      logDir: '/srv/logs/nginx',
    });
    expect(lines(text)).to.include.members([
      'listen 127.0.0.1:8080;',
      'server_name api.example.org;',
      'client_max_body_size 1048576;',
      'proxy_read_timeout 300s;',
      'proxy_send_timeout 300s;',
      'proxy_connect_timeout 3s;',
      'keepalive_timeout 10s;',
      'access_log /srv/logs/nginx/volume-api.access.log volume_api;',
      'error_log /srv/logs/nginx/volume-api.error.log;',
    ]);
  });

  it('the access log format records the response request id and the upstream timing', () => {
    const text = gen();
    const format = text.slice(text.indexOf('log_format volume_api'), text.indexOf(';', text.indexOf('log_format volume_api')));
    expect(format).to.contain('escape=json');
    expect(format).to.contain('"request_id":"$sent_http_x_openstack_request_id"');
    expect(format).to.contain('"upstream_response_time":"$upstream_response_time"');
    expect(format).to.contain('"upstream_addr":"$upstream_addr"');
    expect(format).to.contain('"status":"$status"');
    expect(lines(text)).to.include('access_log /var/log/nginx/volume-api.access.log volume_api;');
  });

  it("nginx's own 413 is a Cinder fault with a request id", () => {
    const loc = block(gen(), 'location @volume_api_413 {');
    expect(loc).to.include.members([
      'default_type application/json;',
      'add_header X-OpenStack-Request-ID $volume_api_request_id always;',
      `return 413 '{"overLimit":{"code":413,"message":"Request is too large."}}';`,
    ]);
    const body = /'(.*)'/.exec(loc.find((l) => l.startsWith('return'))!)![1];
    expect(JSON.parse(body)).to.deep.equal({ overLimit: { code: 413, message: 'Request is too large.' } });
  });

  it('keeps the backend keep-alive below the service keep-alive (75 s)', () => {
    expect(gen({ backendKeepAliveSeconds: 74 })).to.contain('keepalive_timeout 74s;');
    expect(() => gen({ backendKeepAliveSeconds: 75 })).to.throw(/below/);
    const opts = { ...defaultVhostOptions(eco, debian, 'nginx'), backendKeepAliveSeconds: 90 };
    expect(() => nginx.generate(eco, opts, debian)).to.throw(/must stay below the service's keep-alive timeout \(75s\)/);
  });

  it("follows a keep-alive timeout set in the ecosystem's environment", () => {
    const short = loadEcosystem(DEFAULT_ECOSYSTEM, {});
    short.api = { ...short.api, env: { ...short.api.env, VOLUME_API_KEEP_ALIVE_TIMEOUT_MS: '20000' } };
    const opts = defaultVhostOptions(short, debian, 'nginx');
    expect(() => nginx.generate(short, opts, debian)).to.throw(/30s must stay below .*\(20s\)/);
    expect(nginx.generate(short, { ...opts, backendKeepAliveSeconds: 15 }, debian)).to.contain('keepalive_timeout 15s;');
  });

  it('rejects bad options with a message naming them', () => {
    const good = defaultVhostOptions(eco, debian, 'nginx', { tls: { cert: '/c.pem', key: '/k.pem' } });
    const bad: [Partial<VhostOptions>, RegExp][] = [
      [{ serverName: 'a.test; include /etc/passwd' }, /server name/],
      [{ serverName: '' }, /server name/],
      [{ listen: { host: 'a b', port: 80 } }, /listen host/],
      [{ listen: { host: '*', port: 0 } }, /listen port/],
      [{ listen: { host: '*', port: 80 } }, /redirect port/],
      [{ upstreams: [] }, /at least one upstream/],
      [{ upstreams: [{ host: '10.0.0.1;', port: 8776 }] }, /upstream 1 host/],
      [{ upstreams: [{ host: '10.0.0.1', port: 70000 }] }, /upstream 1 port/],
      [
        {
          upstreams: [
            { host: '10.0.0.1', port: 1 },
            { host: '10.0.0.1', port: 1 },
          ],
        },
        /listed twice/,
      ],
      [{ maxBodyBytes: 0 }, /max body bytes/],
      [{ maxBodyBytes: 1.5 }, /max body bytes/],
      [{ proxyTimeoutSeconds: 0 }, /proxy timeout/],
      [{ connectTimeoutSeconds: 120 }, /connect timeout/],
      [{ backendKeepAliveSeconds: 0 }, /backend keep-alive/],
      [{ healthCheckIntervalSeconds: -1 }, /health check interval/],
      [{ logDir: 'logs' }, /log directory/],
      [{ logDir: '/var/log/my logs' }, /log directory/],
      [{ logDir: '/var/log/$host' }, /log directory/],
      [{ tls: { cert: '/c.pem;', key: '/k.pem' } }, /TLS certificate/],
      [{ tls: { cert: '/c.pem', key: 'k.pem' } }, /TLS key/],
    ];
    for (const [change, message] of bad) {
      expect(() => nginx.generate(eco, { ...good, ...change }, debian), JSON.stringify(change)).to.throw(message);
    }
    expect(() => defaultVhostOptions(eco, debian, 'nginx', { serverName: 'x y' })).to.throw(/not a host name/);
  });

  it('is pure: the same input gives the same text, and the input is not changed', () => {
    const opts = defaultVhostOptions(eco, debian, 'nginx', {
      upstreams: [
        { host: '10.0.0.1', port: 1 },
        { host: '10.0.0.2', port: 2 },
      ],
    });
    const copy = structuredClone(opts);
    expect(nginx.generate(eco, opts, debian)).to.equal(nginx.generate(eco, opts, LAYOUTS.rhel));
    expect(opts).to.deep.equal(copy);
  });

  it('the template renderer fills values and sections, and refuses unknown names', () => {
    const t = 'a {{x}}\n{{#list}}\n- {{x}}{{y}}\n{{/list}}\n{{#off}}\nno\n{{/off}}\n{{#on}}\nyes {{x}}\n{{/on}}';
    expect(renderTemplate(t, { x: 1, list: [{ y: 'a' }, { y: 'b' }], off: false, on: true })).to.equal('a 1\n- 1a\n- 1b\nyes 1');
    expect(() => renderTemplate('{{nope}}', {})).to.throw(/unknown value nope/);
    expect(() => renderTemplate('{{#s}}\nx', { s: true })).to.throw(/not closed/);
    expect(NGINX_TEMPLATE).to.match(/deploy\/templates\/nginx-vhost\.conf$/);
  });

  it("validate's log redirection keeps line numbers and moves only log paths", () => {
    const text = gen();
    const moved = redirectLogs(text, '/tmp/x');
    expect(moved.split('\n').length).to.equal(text.split('\n').length);
    expect(moved).not.to.contain('/var/log/nginx');
    expect(lines(moved)).to.include.members(['access_log /tmp/x/1-volume-api.access.log volume_api;', 'error_log /tmp/x/2-volume-api.error.log;']);
  });

  it('install facts: Debian sites-available + sites-enabled link, RHEL conf.d', () => {
    expect(nginx.installFacts(LAYOUTS.debian)).to.deep.equal({
      file: 'etc/nginx/sites-available/volume-api',
      enabledLink: 'etc/nginx/sites-enabled/volume-api',
      prepare: [],
      reload: ['nginx', '-s', 'reload'],
      test: ['nginx', '-t'],
    });
    expect(nginx.installFacts(LAYOUTS.rhel)).to.deep.equal({
      file: 'etc/nginx/conf.d/volume-api.conf',
      prepare: [],
      reload: ['nginx', '-s', 'reload'],
      test: ['nginx', '-t'],
    });
    expect(nginx.name).to.equal('nginx');
  });
});
