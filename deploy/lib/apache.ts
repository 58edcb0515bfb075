/*
 * Apache httpd 2.4 in front of the API: the vhost generator, its validation with the real `apache2 -t`
 * (or `httpd -t`), and the install facts for Debian and RHEL layouts.
 *
 * Design. The vhost is a reverse proxy to a mod_proxy_balancer group with one member per API host (a
 * single member for one host: PM2's cluster mode already spreads that host's requests over its
 * instances). mod_proxy_hcheck polls each member's GET /healthcheck so a dead host leaves the group
 * before a client finds out, and returns when it answers again. Pooled backend connections are dropped
 * after `backendKeepAliveSeconds` idle, always below the service's keep-alive timeout: the other order
 * lets Apache send a request on a socket Node is closing, which the client sees as a 502.
 *
 * The text comes from deploy/templates/apache-vhost.conf, a readable Apache file with a few
 * placeholders. generate() is a pure function of its arguments: it validates every option first (the
 * template inserts values without quoting rules, so anything that could break out of a directive is
 * refused) and then fills the template. validate() never touches the installed configuration: it
 * writes a throwaway main configuration (temporary ServerRoot, LoadModule lines for the modules the
 * vhost needs, the vhost included) and runs the real config test on it. The same main configuration,
 * with a Listen line and a pid file, runs a private Apache for the functional tests (test/lib/apache.ts).
 *
 * What the vhost cannot do, measured on Apache 2.4.71: LimitRequestBody does not apply to requests
 * handed to mod_proxy, so the body limit that holds is the service's own (max_body_size, a 413 Cinder
 * fault). The directive is still written, with that said next to it (docs/deploy-apache.md).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appSettings, type Ecosystem } from './ecosystem';
import type { Layout } from './layouts';
import {
  checkPathPrefix,
  SERVICE_KEEP_ALIVE_SECONDS,
  type InstallFacts,
  type Upstream,
  type ValidationResult,
  type VhostOptions,
  type WebServer,
} from './webserver';

export const TEMPLATE_FILE = path.resolve(__dirname, '..', 'templates', 'apache-vhost.conf');

/** The vhost's file name (without directory) in sites-available or conf.d, and the a2ensite name. */
export const SITE_NAME = 'volume-api';

/** a2enmod names, in the order they are enabled; their `# Depends:` lines add slotmem_shm, alias, socache_shmcb. */
export const A2ENMOD_MODULES = ['proxy', 'proxy_http', 'proxy_balancer', 'lbmethod_byrequests', 'proxy_hcheck', 'headers', 'ssl', 'remoteip'];

/**
 * Modules that Debian's apache2 has built in but RHEL's httpd loads from files (00-base.conf): loaded
 * by a private configuration only when the file exists.
 */
export const PRIVATE_MODULES_IF_PRESENT: ReadonlyArray<readonly [string, string]> = [
  ['unixd_module', 'mod_unixd.so'],
  ['log_config_module', 'mod_log_config.so'],
  ['watchdog_module', 'mod_watchdog.so'],
];

/** The modules a private or throwaway main configuration loads for the vhost: [module id, file]. */
export const PRIVATE_MODULES: ReadonlyArray<readonly [string, string]> = [
  ['mpm_event_module', 'mod_mpm_event.so'],
  ['authz_core_module', 'mod_authz_core.so'],
  ['alias_module', 'mod_alias.so'],
  ['headers_module', 'mod_headers.so'],
  ['proxy_module', 'mod_proxy.so'],
  ['proxy_http_module', 'mod_proxy_http.so'],
  ['slotmem_shm_module', 'mod_slotmem_shm.so'],
  ['proxy_balancer_module', 'mod_proxy_balancer.so'],
  ['lbmethod_byrequests_module', 'mod_lbmethod_byrequests.so'],
  ['proxy_hcheck_module', 'mod_proxy_hcheck.so'],
  ['socache_shmcb_module', 'mod_socache_shmcb.so'],
  ['ssl_module', 'mod_ssl.so'],
  ['remoteip_module', 'mod_remoteip.so'],
];

export const ACCESS_LOG_NAME = 'volume-api_access.log';
export const ERROR_LOG_NAME = 'volume-api_error.log';

/** Upper bounds that catch typos (a timeout in milliseconds, a size in kilobytes). */
const MAX_SECONDS = 86400;
/** LimitRequestBody's own maximum (2 GiB). */
const MAX_BODY_BYTES = 2147483647;

const HOST_RE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])$/;
const SERVER_NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;
/** Absolute paths that need no escaping inside double quotes (and no ${VAR} expansion by Apache). */
// Control characters are exactly what this refuses.
// eslint-disable-next-line no-control-regex
const SAFE_PATH_RE = /^\/[^"\\$\x00-\x1f\x7f]*$/;

// ---------------------------------------------------------------------------------------------------
// The template renderer

type Value = string | number | boolean | null | undefined | Context | Context[];
interface Context {
  [key: string]: Value;
}

/**
 * Fills the template: `{{name}}` inserts a value; lines holding only `{{#name}}` .. `{{/name}}` keep
 * what is between them when the value is set (once per item for a list, whose fields then resolve
 * first), `{{^name}}` when it is not; lines starting with `{{!` are dropped. An unknown name throws, so
 * a template edit cannot silently print nothing.
 */
export function renderTemplate(template: string, ctx: Context): string {
  const lines = template.split('\n').filter((l) => !l.startsWith('{{!'));
  const out = renderLines(lines, [ctx]);
  return out.join('\n');
}

function lookup(stack: Context[], name: string): Value {
  for (let i = stack.length - 1; i >= 0; i--) if (name in stack[i]) return stack[i][name];
  throw new Error(`apache template: unknown name {{${name}}}`);
}

function renderLines(lines: string[], stack: Context[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^\{\{([#^])(\w+)\}\}$/.exec(lines[i].trim());
    if (!open) {
      out.push(
        lines[i].replace(/\{\{(\w+)\}\}/g, (_m, name: string) => {
          const v = lookup(stack, name);
          if (v === null || v === undefined || typeof v === 'object') throw new Error(`apache template: {{${name}}} is not a printable value`);
          return String(v);
        }),
      );
      continue;
    }
    const [, kind, name] = open;
    // Find the matching close, allowing nested sections of the same name.
    let depth = 1;
    let j = i + 1;
    for (; j < lines.length; j++) {
      const t = lines[j].trim();
      if (t === `{{#${name}}}` || t === `{{^${name}}}`) depth++;
      else if (t === `{{/${name}}}` && --depth === 0) break;
    }
    if (j >= lines.length) throw new Error(`apache template: {{${kind}${name}}} is never closed`);
    const body = lines.slice(i + 1, j);
    const v = lookup(stack, name);
    const set = Array.isArray(v) ? v.length > 0 : v !== null && v !== undefined && v !== false && v !== '';
    if (kind === '^') {
      if (!set) out.push(...renderLines(body, stack));
    } else if (Array.isArray(v)) {
      for (const item of v) out.push(...renderLines(body, [...stack, item]));
    } else if (set) {
      out.push(...renderLines(body, typeof v === 'object' ? [...stack, v as Context] : stack));
    }
    i = j;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Options

function checkInteger(what: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new Error(`${what} must be an integer from ${min} to ${max}, not ${JSON.stringify(v)}`);
  }
  return v;
}

function checkPath(what: string, v: unknown): string {
  if (typeof v !== 'string' || !SAFE_PATH_RE.test(v) || v.length < 2) {
    throw new Error(`${what} must be an absolute path without quotes, backslashes, "$" or control characters, not ${JSON.stringify(v)}`);
  }
  return v.replace(/\/+$/, '');
}

function checkHost(what: string, v: unknown, allowAny: boolean): string {
  if (typeof v === 'string' && ((allowAny && v === '*') || HOST_RE.test(v))) return v;
  throw new Error(`${what} must be an IP address${allowAny ? ', "*"' : ''} or a host name (IPv6 in brackets), not ${JSON.stringify(v)}`);
}

/**
 * The service's keep-alive timeout in whole seconds as the ecosystem runs it (VOLUME_API_KEEP_ALIVE_TIMEOUT_MS
 * in the API app's production env, else its env), else the config default.
 */
export function serviceKeepAliveSeconds(eco: Ecosystem): number {
  const ms = appSettings(eco.api, 'production').keepAliveTimeoutMs;
  return ms !== undefined && Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : SERVICE_KEEP_ALIVE_SECONDS;
}

/** Checks every option the template uses; throws an Error naming the option. */
export function checkOptions(eco: Ecosystem, opts: VhostOptions): void {
  if (typeof opts.serverName !== 'string' || !SERVER_NAME_RE.test(opts.serverName) || opts.serverName.length > 253) {
    throw new Error(`serverName ${JSON.stringify(opts.serverName)} is not a host name`);
  }
  if (!opts.listen || typeof opts.listen !== 'object') throw new Error('listen must be { host, port }');
  checkHost('listen host', opts.listen.host, true);
  checkInteger('listen port', opts.listen.port, 1, 65535);
  if (opts.tls) {
    checkPath('tls.cert', opts.tls.cert);
    checkPath('tls.key', opts.tls.key);
    if (opts.listen.port === 80) throw new Error('with TLS the vhost cannot listen on port 80: that port redirects to HTTPS');
  }
  if (!Array.isArray(opts.upstreams) || opts.upstreams.length === 0) throw new Error('upstreams must name at least one API host HOST:PORT');
  const seen = new Set<string>();
  for (const u of opts.upstreams) {
    checkHost('upstream host', u?.host, false);
    checkInteger(`upstream ${u.host} port`, u.port, 1, 65535);
    const key = `${u.host.toLowerCase()}:${u.port}`;
    if (seen.has(key)) throw new Error(`upstream ${key} is listed twice`);
    seen.add(key);
  }
  checkInteger('maxBodyBytes', opts.maxBodyBytes, 1, MAX_BODY_BYTES);
  checkInteger('proxyTimeoutSeconds', opts.proxyTimeoutSeconds, 1, MAX_SECONDS);
  checkInteger('connectTimeoutSeconds', opts.connectTimeoutSeconds, 1, MAX_SECONDS);
  if (opts.connectTimeoutSeconds > opts.proxyTimeoutSeconds) {
    throw new Error(`connectTimeoutSeconds ${opts.connectTimeoutSeconds} must not exceed proxyTimeoutSeconds ${opts.proxyTimeoutSeconds}`);
  }
  const serviceKeepAlive = serviceKeepAliveSeconds(eco);
  checkInteger('backendKeepAliveSeconds', opts.backendKeepAliveSeconds, 1, MAX_SECONDS);
  if (opts.backendKeepAliveSeconds >= serviceKeepAlive) {
    throw new Error(`backendKeepAliveSeconds ${opts.backendKeepAliveSeconds} must stay below the service's keep-alive timeout (${serviceKeepAlive} s)`);
  }
  checkInteger('healthCheckIntervalSeconds', opts.healthCheckIntervalSeconds, 1, 3600);
  checkPath('logDir', opts.logDir);
  // --- issue 18 ---
  checkPathPrefix(opts.pathPrefix ?? '');
  if (opts.hstsMaxAgeSeconds !== undefined) {
    checkInteger('hstsMaxAgeSeconds', opts.hstsMaxAgeSeconds, 1, 2 ** 31 - 1);
    if (!opts.tls) throw new Error('HSTS needs TLS (--tls-cert and --tls-key)');
  }
}

function address(host: string, port: number): string {
  return `${host}:${port}`;
}

/** The vhost text. Pure: the same arguments give the same text; bad options throw. */
export function generateApacheVhost(eco: Ecosystem, opts: VhostOptions, _layout: Layout, template = readTemplate()): string {
  checkOptions(eco, opts);
  const logDir = opts.logDir.replace(/\/+$/, '') || '/';
  const { host, port } = opts.listen;
  const tls = opts.tls ? { cert: opts.tls.cert, key: opts.tls.key } : null;
  // Ports 80 and 443 are the distributions' own Listen lines (ports.conf, httpd.conf, ssl.conf): a
  // second Listen for them stops Apache. Any other port needs its own.
  const listenDirective = port === 80 || port === 443 ? null : `${host === '*' ? '' : `${host}:`}${port}${tls ? ' https' : ''}`;
  const ctx: Context = {
    ecosystemFile: eco.file.replace(/[\r\n]/g, ' '),
    appPort: eco.port,
    modules: ['proxy', 'proxy_http', 'proxy_balancer', 'slotmem_shm', 'lbmethod_byrequests', 'proxy_hcheck', 'headers', ...(tls ? ['ssl', 'alias'] : [])].join(
      ' ',
    ),
    listenDirective,
    vhostAddress: address(host, port),
    serverName: opts.serverName,
    tls,
    errorLog: path.posix.join(logDir, ERROR_LOG_NAME),
    accessLog: path.posix.join(logDir, ACCESS_LOG_NAME),
    maxBodyBytes: opts.maxBodyBytes,
    proxyTimeoutSeconds: opts.proxyTimeoutSeconds,
    connectTimeoutSeconds: opts.connectTimeoutSeconds,
    backendKeepAliveSeconds: opts.backendKeepAliveSeconds,
    healthCheckIntervalSeconds: opts.healthCheckIntervalSeconds,
    serviceKeepAliveSeconds: serviceKeepAliveSeconds(eco),
    scheme: tls ? 'https' : 'http',
    upstreams: opts.upstreams.map((u: Upstream) => ({ address: address(u.host, u.port) })),
    // --- issue 18 ---
    rootPath: opts.pathPrefix,
    prefix: opts.pathPrefix ? { path: opts.pathPrefix } : null,
    hsts: tls && opts.hstsMaxAgeSeconds !== undefined ? { maxAge: opts.hstsMaxAgeSeconds } : null,
    redirectAddress: address(host, 80),
    httpsBase: `https://${opts.serverName}${port === 443 ? '' : `:${port}`}`,
  };
  const text = renderTemplate(template, ctx);
  return text.endsWith('\n') ? text : `${text}\n`;
}

let cachedTemplate: string | undefined;
function readTemplate(): string {
  cachedTemplate ??= fs.readFileSync(TEMPLATE_FILE, 'utf8');
  return cachedTemplate;
}

// ---------------------------------------------------------------------------------------------------
// The Apache binary and a private main configuration

export interface ApacheBinary {
  /** apache2 (Debian) or httpd (RHEL), absolute. */
  bin: string;
  modulesDir: string;
  /** Set when the binary is not the layout's own (httpd missing, apache2 used for the syntax check). */
  note?: string;
}

function which(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/sbin', '/usr/local/sbin', '/sbin']);
  for (const d of dirs) {
    if (!d) continue;
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

function firstDir(dirs: string[]): string | undefined {
  return dirs.find((d) => fs.existsSync(path.join(d, 'mod_proxy.so')));
}

const DEBIAN_MODULE_DIRS = ['/usr/lib/apache2/modules'];
const RHEL_MODULE_DIRS = ['/usr/lib64/httpd/modules', '/usr/lib/httpd/modules', '/etc/httpd/modules'];

/**
 * The Apache binary to run for `layout`, with its modules directory; or a sentence saying why there is
 * none. For RHEL without httpd on this machine, Debian's apache2 checks the same 2.4 syntax (said in
 * `note`).
 */
export function findApache(layout: Layout): ApacheBinary | string {
  const debian = (): ApacheBinary | undefined => {
    const bin = which('apache2');
    const modulesDir = firstDir(DEBIAN_MODULE_DIRS);
    return bin && modulesDir ? { bin, modulesDir } : undefined;
  };
  const rhel = (): ApacheBinary | undefined => {
    const bin = which('httpd');
    const modulesDir = firstDir(RHEL_MODULE_DIRS);
    return bin && modulesDir ? { bin, modulesDir } : undefined;
  };
  if (layout.name === 'rhel') {
    const own = rhel();
    if (own) return own;
    const other = debian();
    if (other) return { ...other, note: `httpd is not installed here; checked with ${other.bin} (Apache 2.4, the same syntax) instead` };
    return 'neither httpd (with its modules in /usr/lib64/httpd/modules) nor apache2 is installed here: install httpd and mod_ssl (dnf install httpd mod_ssl), or run validate on the target host';
  }
  return debian() ?? 'apache2 is not installed here (no apache2 binary or no /usr/lib/apache2/modules): apt-get install apache2';
}

export interface PrivateConfigOptions {
  /** ServerRoot: the pid file, runtime files and the main error log go under it. */
  dir: string;
  modulesDir: string;
  /** Files to Include (the vhost). */
  includes: string[];
  /** Extra Listen arguments (`127.0.0.1:8080`); the vhost usually brings its own. */
  listen?: string[];
  logLevel?: string;
}

/**
 * A complete main configuration that loads only what the vhost needs and keeps everything under
 * `dir`. Running as root, children run as nobody (Apache refuses to serve as root).
 */
export function privateMainConfig(o: PrivateConfigOptions): string {
  const runDir = path.join(o.dir, 'run');
  const lines = [
    '# Throwaway Apache main configuration written by volume-api deploy tooling; not the installed one.',
    `ServerRoot "${o.dir}"`,
    `DefaultRuntimeDir "${runDir}"`,
    `PidFile "${path.join(runDir, 'httpd.pid')}"`,
    `Mutex file:${runDir} default`,
    `ErrorLog "${path.join(o.dir, 'error.log')}"`,
    `LogLevel ${o.logLevel ?? 'warn'}`,
    'ServerName localhost',
    ...PRIVATE_MODULES_IF_PRESENT.filter(([, file]) => fs.existsSync(path.join(o.modulesDir, file))).map(
      ([id, file]) => `LoadModule ${id} "${path.join(o.modulesDir, file)}"`,
    ),
    ...PRIVATE_MODULES.map(([id, file]) => `LoadModule ${id} "${path.join(o.modulesDir, file)}"`),
  ];
  if (typeof process.getuid === 'function' && process.getuid() === 0) {
    const group = fs.existsSync('/etc/group') && /^nogroup:/m.test(fs.readFileSync('/etc/group', 'utf8')) ? 'nogroup' : 'nobody';
    lines.push('User nobody', `Group ${group}`);
  }
  // What Debian's ssl.conf or RHEL's ssl.conf would set; without it mod_ssl warns at every start.
  lines.push(`SSLSessionCache "shmcb:${path.join(runDir, 'ssl_scache')}(512000)"`);
  for (const l of o.listen ?? []) lines.push(`Listen ${l}`);
  for (const f of o.includes) lines.push(`Include "${f}"`);
  return `${lines.join('\n')}\n`;
}

/** Writes `dir/httpd.conf` (and `dir/run`) for privateMainConfig; returns the config path. */
export function writePrivateConfig(o: PrivateConfigOptions): string {
  fs.mkdirSync(path.join(o.dir, 'run'), { recursive: true });
  const conf = path.join(o.dir, 'httpd.conf');
  fs.writeFileSync(conf, privateMainConfig(o));
  return conf;
}

function runConfigTest(bin: string, conf: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(bin, ['-t', '-f', conf], { timeout: 60000, env: { ...process.env, LANG: 'C' } }, (err, stdout, stderr) => {
      const output = `${stdout}${stderr}`.trim();
      if (!err) return resolve({ code: 0, output });
      const code = typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? Number((err as { code: number }).code) : 1;
      resolve({ code: code || 1, output: output || err.message });
    });
  });
}

/** Runs the real config test on a throwaway main configuration that includes `vhost`. */
export async function validateApacheVhost(vhost: string, layout: Layout): Promise<ValidationResult> {
  const found = findApache(layout);
  if (typeof found === 'string') return { ok: false, output: found };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'volume-api-apache-check-'));
  try {
    const vhostPath = path.join(dir, `${SITE_NAME}.conf`);
    let text = vhost;
    const notes = found.note ? [found.note] : [];
    if (found.note) {
      // Checking another family's text here (RHEL's /var/log/httpd on a Debian machine): log
      // directories that only exist on the target host are mapped into the throwaway tree.
      const missing = new Set<string>();
      for (const m of vhost.matchAll(/^\s*(?:ErrorLog|CustomLog)\s+"?(\/[^"\s]*)/gm)) {
        if (!fs.existsSync(path.dirname(m[1]))) missing.add(path.dirname(m[1]));
      }
      for (const d of missing) {
        const local = path.join(dir, 'logs', d);
        fs.mkdirSync(local, { recursive: true });
        text = text.split(`"${d}/`).join(`"${local}/`);
        notes.push(`log directory ${d} does not exist here; checked with ${local} in its place`);
      }
    }
    fs.writeFileSync(vhostPath, text);
    const conf = writePrivateConfig({ dir, modulesDir: found.modulesDir, includes: [vhostPath] });
    const { code, output } = await runConfigTest(found.bin, conf);
    return { ok: code === 0, output: [...notes, `${found.bin} -t -f ${conf}:`, output].join('\n') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function apacheInstallFacts(layout: Layout): InstallFacts {
  const file = path.posix.join(layout.apache.sitesDir, `${SITE_NAME}.conf`);
  if (layout.name === 'debian') {
    return {
      file,
      enabledLink: path.posix.join(layout.apache.enabledDir ?? 'etc/apache2/sites-enabled', `${SITE_NAME}.conf`),
      prepare: [
        ['a2enmod', ...A2ENMOD_MODULES],
        ['a2ensite', SITE_NAME],
      ],
      reload: ['apache2ctl', 'graceful'],
      test: ['apache2ctl', '-t'],
    };
  }
  // RHEL: conf.d is read as is and conf.modules.d loads mod_proxy*, mod_headers and mod_remoteip by
  // default; mod_ssl is the package of the same name (docs/deploy-apache.md).
  return {
    file,
    prepare: [],
    reload: [layout.apache.ctl, '-k', 'graceful'],
    test: [layout.apache.ctl, '-t'],
  };
}

export const apache: WebServer = {
  name: 'apache',
  generate: (eco, opts, layout) => generateApacheVhost(eco, opts, layout),
  validate: validateApacheVhost,
  installFacts: apacheInstallFacts,
};
