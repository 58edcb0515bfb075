/*
 * The Nginx generator: the vhost text for volume-api from (ecosystem, options, layout), the real
 * `nginx -t` on a throwaway main configuration that includes it, and where the file goes on Debian
 * and RHEL.
 *
 * Theory. The text comes from deploy/templates/nginx-vhost.conf, an nginx file with `{{name}}`
 * placeholders and `{{#section}}`/`{{/section}}` lines (repeated for a list, kept or dropped for a
 * flag). Every value is checked here before it is written: a path or name that could end a directive
 * (`;`, `{`, quotes, spaces, `$`) is refused rather than escaped, so the output is always the template
 * with plain values in it.
 *
 * Choices, each measured on nginx 1.22 (docs/deploy-nginx.md):
 * - one `upstream` with `max_fails`/`fail_timeout`: open-source nginx has no active health checks, so a
 *   failing server is skipped for `fail_timeout` seconds (the options' healthCheckIntervalSeconds),
 *   then tried again with a real request;
 * - upstream keepalive (`keepalive`, HTTP/1.1, empty Connection) with `keepalive_timeout` below the
 *   service's own keep-alive timeout, so nginx never writes on a socket the API is closing;
 * - `proxy_next_upstream error timeout http_502 http_503` without `non_idempotent`: GET/PUT/DELETE/HEAD
 *   go to the next server after a failure, a POST or PATCH that reached a server is never sent twice
 *   (a retried create would create two volumes);
 * - nginx's own 413/502/504 are Cinder faults (JSON, request id header) so clients parse them as they
 *   parse the API's.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appSettings, type Ecosystem } from './ecosystem';
import type { Layout } from './layouts';
import { checkPathPrefix, SERVICE_KEEP_ALIVE_SECONDS, type InstallFacts, type ValidationResult, type VhostOptions, type WebServer } from './webserver';

export const NGINX_TEMPLATE = path.resolve(__dirname, '..', 'templates', 'nginx-vhost.conf');
/** Idle upstream connections per nginx worker: at or above the expected concurrency (deploy notes §8). */
export const NGINX_UPSTREAM_KEEPALIVE = 64;
/** Failed attempts within fail_timeout before an upstream is left out. */
export const NGINX_MAX_FAILS = 2;
/** The name of the generated file (sites-available/volume-api, conf.d/volume-api.conf). */
export const NGINX_SITE_NAME = 'volume-api';
/** The access and error logs' file names in opts.logDir. */
export const NGINX_ACCESS_LOG = 'volume-api.access.log';
export const NGINX_ERROR_LOG = 'volume-api.error.log';

/** Generator settings that are not vhost options: for tests that cannot bind port 80. */
export interface NginxExtras {
  /** Port of the plain-HTTP server that redirects to HTTPS (with opts.tls); default 80. */
  httpRedirectPort?: number;
}

// ---- the template renderer ------------------------------------------------------------------

type Scope = Record<string, unknown>;

const SECTION_RE = /^\s*\{\{([#/])([A-Za-z]\w*)\}\}\s*$/;
const VAR_RE = /\{\{([A-Za-z]\w*)\}\}/g;

/**
 * Renders `{{name}}` and whole-line `{{#name}}…{{/name}}` sections: a list repeats the section with
 * each item's keys in scope, an object or `true` keeps it once, anything falsy drops it. An unknown
 * name is an error, so a template typo cannot produce a half-filled file.
 */
export function renderTemplate(template: string, scope: Scope): string {
  const lines = template.split('\n');
  const out: string[] = [];
  let i = 0;
  function block(sc: Scope, closing?: string): void {
    while (i < lines.length) {
      const line = lines[i++];
      const m = SECTION_RE.exec(line);
      if (m && m[1] === '/') {
        if (m[2] !== closing) throw new Error(`template: {{/${m[2]}}} without {{#${m[2]}}}`);
        return;
      }
      if (m) {
        const name = m[2];
        if (!(name in sc)) throw new Error(`template: unknown section ${name}`);
        const start = i;
        const value = sc[name];
        const items: Scope[] = Array.isArray(value) ? (value as Scope[]) : value ? [typeof value === 'object' ? (value as Scope) : {}] : [];
        if (items.length === 0) {
          skip(name);
          continue;
        }
        for (const item of items) {
          i = start;
          block({ ...sc, ...item }, name);
        }
        continue;
      }
      out.push(
        line.replace(VAR_RE, (_all, name: string) => {
          if (!(name in sc)) throw new Error(`template: unknown value ${name}`);
          return String(sc[name]);
        }),
      );
    }
    if (closing) throw new Error(`template: {{#${closing}}} is not closed`);
  }
  function skip(name: string): void {
    let depth = 1;
    while (i < lines.length) {
      const m = SECTION_RE.exec(lines[i++]);
      if (m && m[2] === name) depth += m[1] === '#' ? 1 : -1;
      if (depth === 0) return;
    }
    throw new Error(`template: {{#${name}}} is not closed`);
  }
  block(scope);
  return out.join('\n');
}

let templateText: string | undefined;
function template(): string {
  templateText ??= fs.readFileSync(NGINX_TEMPLATE, 'utf8');
  return templateText;
}

// ---- option checks ---------------------------------------------------------------------------

/** Characters that could end or change an nginx directive; refused in paths and names. */
const UNSAFE = /[\s;{}'"\\$#]/;
const HOSTNAME_RE = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const IPV6_RE = /^\[[0-9a-fA-F:.]+\]$/;

function checkInt(value: unknown, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${what} must be an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}, not ${JSON.stringify(value)}`);
  }
  return value;
}

function checkHost(host: unknown, what: string, allowAny: boolean): string {
  if (typeof host !== 'string' || !(HOSTNAME_RE.test(host) || IPV6_RE.test(host) || (allowAny && host === '*'))) {
    throw new Error(`${what} ${JSON.stringify(host)} is not a host name or address${allowAny ? ' (or *)' : ''}`);
  }
  return host;
}

function checkPath(p: unknown, what: string): string {
  if (typeof p !== 'string' || !path.isAbsolute(p) || UNSAFE.test(p)) {
    throw new Error(`${what} ${JSON.stringify(p)} must be an absolute path without spaces, quotes, ; { } $ # or \\`);
  }
  return p;
}

/** The API's keep-alive timeout in seconds, from the ecosystem's environment when it sets one. */
export function serviceKeepAliveSeconds(eco: Ecosystem): number {
  const ms = appSettings(eco.api, 'production').keepAliveTimeoutMs;
  return ms !== undefined && Number.isFinite(ms) && ms >= 1000 ? Math.floor(ms / 1000) : SERVICE_KEEP_ALIVE_SECONDS;
}

function listenAddress(host: string, port: number): string {
  return host === '*' ? String(port) : `${host}:${port}`;
}

// ---- the generator ---------------------------------------------------------------------------

/** generate() with the extras; `nginx.generate` is this with the defaults. */
export function generateNginx(eco: Ecosystem, opts: VhostOptions, _layout: Layout, extras: NginxExtras = {}): string {
  const serverName = opts.serverName;
  if (typeof serverName !== 'string' || !HOSTNAME_RE.test(serverName)) throw new Error(`server name ${JSON.stringify(serverName)} is not a host name`);
  if (!opts.listen) throw new Error('listen address missing');
  const listenHost = checkHost(opts.listen.host, 'listen host', true);
  const listenPort = checkInt(opts.listen.port, 'listen port', 1, 65535);
  if (!Array.isArray(opts.upstreams) || opts.upstreams.length === 0) throw new Error('at least one upstream is needed');
  const seen = new Set<string>();
  const upstreams = opts.upstreams.map((u, n) => {
    const address = `${checkHost(u.host, `upstream ${n + 1} host`, false)}:${checkInt(u.port, `upstream ${n + 1} port`, 1, 65535)}`;
    if (seen.has(address)) throw new Error(`upstream ${address} is listed twice`);
    seen.add(address);
    return { address };
  });
  const maxBodyBytes = checkInt(opts.maxBodyBytes, 'max body bytes', 1);
  const proxyTimeout = checkInt(opts.proxyTimeoutSeconds, 'proxy timeout (s)', 1);
  // nginx: "the connect timeout usually cannot exceed 75 seconds".
  const connectTimeout = checkInt(opts.connectTimeoutSeconds, 'connect timeout (s)', 1, 75);
  const serviceKeepAlive = serviceKeepAliveSeconds(eco);
  const backendKeepAlive = checkInt(opts.backendKeepAliveSeconds, 'backend keep-alive (s)', 1);
  if (backendKeepAlive >= serviceKeepAlive) {
    throw new Error(`backend keep-alive ${backendKeepAlive}s must stay below the service's keep-alive timeout (${serviceKeepAlive}s)`);
  }
  const failTimeout = checkInt(opts.healthCheckIntervalSeconds, 'health check interval (s)', 1);
  const logDir = checkPath(opts.logDir, 'log directory');

  let tls: Scope | false = false;
  let httpsPortSuffix = '';
  let redirectListen = '';
  if (opts.tls) {
    const cert = checkPath(opts.tls.cert, 'TLS certificate');
    const key = checkPath(opts.tls.key, 'TLS key');
    const redirectPort = checkInt(extras.httpRedirectPort ?? 80, 'HTTP redirect port', 1, 65535);
    if (redirectPort === listenPort) throw new Error(`with TLS, the HTTPS port (${listenPort}) cannot be the redirect port ${redirectPort}`);
    httpsPortSuffix = listenPort === 443 ? '' : `:${listenPort}`;
    redirectListen = listenAddress(listenHost, redirectPort);
    tls = { cert, key };
  }

  // --- issue 18: path prefix, HSTS, IPv6 ---
  const prefix = checkPathPrefix(opts.pathPrefix ?? '');
  if (opts.hstsMaxAgeSeconds !== undefined) {
    checkInt(opts.hstsMaxAgeSeconds, 'HSTS max-age (s)', 1);
    if (!tls) throw new Error('HSTS needs TLS (--tls-cert and --tls-key)');
  }
  const ipv6 = opts.ipv6 === true && listenHost === '*';

  return renderTemplate(template(), {
    rootPath: prefix,
    prefix: prefix ? { path: prefix } : false,
    proxyPass: prefix ? 'http://volume_api$volume_api_uri' : 'http://volume_api',
    hsts: tls && opts.hstsMaxAgeSeconds !== undefined ? { maxAge: opts.hstsMaxAgeSeconds } : false,
    ipv6: ipv6 ? { ipv6Listen: `${listenPort}${tls ? ' ssl' : ''}`, redirectPort: extras.httpRedirectPort ?? 80 } : false,
    ecosystemFile: eco.file,
    serverName,
    listen: listenAddress(listenHost, listenPort) + (tls ? ' ssl' : ''),
    redirectListen,
    httpsPortSuffix,
    tls,
    upstreams,
    maxFails: NGINX_MAX_FAILS,
    failTimeout,
    keepalive: NGINX_UPSTREAM_KEEPALIVE,
    backendKeepAlive,
    serviceKeepAlive,
    maxBodyBytes,
    proxyTimeout,
    connectTimeout,
    accessLog: path.join(logDir, NGINX_ACCESS_LOG),
    errorLog: path.join(logDir, NGINX_ERROR_LOG),
  });
}

// ---- validation with the real nginx ----------------------------------------------------------

/** The nginx binary: $NGINX_BIN, else `nginx` on PATH, else /usr/sbin/nginx; null if none. */
export function findNginx(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.NGINX_BIN) return fs.existsSync(env.NGINX_BIN) ? env.NGINX_BIN : null;
  const dirs = [...(env.PATH ?? '').split(path.delimiter).filter(Boolean), '/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin'];
  for (const dir of dirs) {
    const candidate = path.join(dir, 'nginx');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export interface RunResult {
  code: number;
  output: string;
}

export function runNginx(bin: string, args: string[], timeoutMs = 30000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      const extra = err && typeof (err as { code?: unknown }).code !== 'number' ? `${err.message}\n` : '';
      resolve({ code, output: `${stdout}${stderr}${extra}` });
    });
  });
}

/** nginx's version as [major, minor, patch], from `nginx -v`; null if it cannot be read. */
export async function nginxVersion(bin: string): Promise<[number, number, number] | null> {
  const { output } = await runNginx(bin, ['-v']);
  const m = /nginx\/(\d+)\.(\d+)\.(\d+)/.exec(output);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

/** `-e FILE` (error log before the config is read) exists from nginx 1.19.5. */
export function supportsErrorLogFlag(v: [number, number, number] | null): boolean {
  if (!v) return false;
  const [a, b, c] = v;
  return a > 1 || (a === 1 && (b > 19 || (b === 19 && c >= 5)));
}

/**
 * A main configuration for a private nginx under `dir` (pid, error log and temp paths inside it) whose
 * http {} includes `include`. Shared by validate() and the test helper.
 */
export function privateMainConfig(dir: string, include: string, opts: { daemon?: boolean; workerProcesses?: number; user?: string } = {}): string {
  const p = (name: string) => path.join(dir, name);
  const lines = [
    "# Throwaway main configuration (volume-api deploy tooling); not the host's nginx.conf.",
    `daemon ${opts.daemon === false ? 'off' : 'on'};`,
    `worker_processes ${opts.workerProcesses ?? 1};`,
    `pid ${p('nginx.pid')};`,
    `error_log ${p('error.log')} info;`,
  ];
  if (opts.user) lines.push(`user ${opts.user};`);
  lines.push(
    'events { worker_connections 256; }',
    'http {',
    `    client_body_temp_path ${p('client_body_temp')};`,
    `    proxy_temp_path ${p('proxy_temp')};`,
    `    fastcgi_temp_path ${p('fastcgi_temp')};`,
    `    uwsgi_temp_path ${p('uwsgi_temp')};`,
    `    scgi_temp_path ${p('scgi_temp')};`,
    `    access_log ${p('access.log')};`,
    `    include ${include};`,
    '}',
    '',
  );
  return lines.join('\n');
}

const LOG_DIRECTIVE_RE = /^(\s*(?:access_log|error_log)\s+)(\/[^\s;]+)/;

/**
 * The vhost with each log file moved into `dir` (same file name, numbered), line for line, so nginx's
 * line numbers still point into the original text. `nginx -t` opens log files: on the real paths it
 * would create them, or fail for a user who may not write /var/log/nginx.
 */
export function redirectLogs(vhost: string, dir: string): string {
  let n = 0;
  return vhost
    .split('\n')
    .map((line) => line.replace(LOG_DIRECTIVE_RE, (_all, head: string, file: string) => `${head}${path.join(dir, `${++n}-${path.basename(file)}`)}`))
    .join('\n');
}

/**
 * Runs `nginx -t -c <throwaway main config> -p <throwaway prefix>` on a configuration whose http {}
 * includes the vhost text (its log files moved to the throwaway directory). Certificates and keys are
 * read where the text says: a missing or unreadable one fails, as it would on reload.
 */
export async function validateNginx(vhost: string, _layout: Layout, bin = findNginx()): Promise<ValidationResult> {
  if (!bin) return { ok: false, output: 'nginx not found (install it, or set NGINX_BIN)' };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'volume-api-nginx-validate-'));
  try {
    const site = path.join(dir, `${NGINX_SITE_NAME}.conf`);
    fs.writeFileSync(site, redirectLogs(vhost, dir));
    const conf = path.join(dir, 'nginx.conf');
    fs.writeFileSync(conf, privateMainConfig(dir, site));
    const args = ['-t', '-c', conf, '-p', dir + path.sep];
    if (supportsErrorLogFlag(await nginxVersion(bin))) args.push('-e', path.join(dir, 'error.log'));
    const { code, output } = await runNginx(bin, args);
    return { ok: code === 0, output };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function nginxInstallFacts(layout: Layout): InstallFacts {
  const { sitesDir, enabledDir } = layout.nginx;
  if (layout.name === 'debian') {
    return {
      file: path.posix.join(sitesDir, NGINX_SITE_NAME),
      enabledLink: path.posix.join(enabledDir ?? 'etc/nginx/sites-enabled', NGINX_SITE_NAME),
      prepare: [],
      reload: ['nginx', '-s', 'reload'],
      test: ['nginx', '-t'],
    };
  }
  return {
    file: path.posix.join(sitesDir, `${NGINX_SITE_NAME}.conf`),
    // conf.d is read as is. SELinux's httpd_can_network_connect (needed to reach the API's port) is a
    // host-setup step, not part of every install (docs/deploy-nginx.md, Troubleshooting).
    prepare: [],
    reload: ['nginx', '-s', 'reload'],
    test: ['nginx', '-t'],
  };
}

export const nginx: WebServer = {
  name: 'nginx',
  generate: (eco, opts, layout) => generateNginx(eco, opts, layout),
  validate: (vhost, layout) => validateNginx(vhost, layout),
  installFacts: nginxInstallFacts,
};
