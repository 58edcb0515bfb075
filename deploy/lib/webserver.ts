/*
 * What the deploy CLI needs from a web server (Apache, Nginx): a pure generator from (ecosystem,
 * options, layout) to the vhost text, a validation that runs the real server's config test on a
 * throwaway configuration including that text, and the install facts (file name, enable and reload
 * commands). Options and their defaults live here, once for both servers.
 */
import fs from 'node:fs';
import type { Ecosystem } from './ecosystem';
import type { Layout } from './layouts';

export interface Upstream {
  host: string;
  port: number;
}

export interface VhostOptions {
  serverName: string;
  /** Address and port the vhost listens on (`*:80`, `*:443` with TLS, `127.0.0.1:8080`). */
  listen: { host: string; port: number };
  /** With both: an HTTPS vhost, plus an HTTP vhost on port 80 that redirects to it. */
  tls?: { cert: string; key: string };
  /** API hosts; default: the ecosystem's port on 127.0.0.1. */
  upstreams: Upstream[];
  /** Largest request body in bytes; the service's own limit (max_body_size) by default. */
  maxBodyBytes: number;
  /** Seconds to wait for an API response. */
  proxyTimeoutSeconds: number;
  connectTimeoutSeconds: number;
  /** Idle seconds a pooled backend connection is kept: always below the service's keep-alive timeout. */
  backendKeepAliveSeconds: number;
  /** Seconds between health checks of each upstream (`GET /healthcheck`). */
  healthCheckIntervalSeconds: number;
  /** Directory of the vhost's access and error logs. */
  logDir: string;
  // --- issue 18 ---
  /** Serve the API under this path (`/volume`: `http://host/volume/v3`), '' for the root. */
  pathPrefix: string;
  /** With TLS: send Strict-Transport-Security with this max-age; absent: no HSTS. */
  hstsMaxAgeSeconds?: number;
  /** Nginx: also listen on IPv6 (`[::]:PORT`) when listening on every address (`*`). */
  ipv6: boolean;
}

/** One year: the HSTS max-age of `--hsts`. */
export const HSTS_MAX_AGE_SECONDS = 31536000;

/** Whether this host has IPv6 (any address in /proc/net/if_inet6, loopback included). */
export function hostHasIpv6(file = '/proc/net/if_inet6'): boolean {
  try {
    return fs.readFileSync(file, 'utf8').trim().length > 0;
  } catch {
    return false;
  }
}

/** A path prefix both generators accept: `/seg[/seg...]` of plain characters, no trailing slash. */
export function checkPathPrefix(prefix: string): string {
  if (prefix === '' || /^(\/[A-Za-z0-9._~-]+)+$/.test(prefix)) return prefix;
  throw new Error(`path prefix ${JSON.stringify(prefix)} must be like /volume: "/" and letters, digits, ".", "_", "~" or "-", no trailing "/"`);
}

export interface ValidationResult {
  ok: boolean;
  /** What the server's config test printed. */
  output: string;
}

export interface InstallFacts {
  /** The vhost file, relative to the install root. */
  file: string;
  /** Debian: the sites-enabled link, relative to the root. */
  enabledLink?: string;
  /** Commands run before reload on a real host (a2enmod ...); not run with --root. */
  prepare: string[][];
  /** Graceful reload on a real host. */
  reload: string[];
  /** Config test of the whole installed configuration on a real host. */
  test: string[];
}

export type ServerName = 'apache' | 'nginx';
/** The web servers' names, without loading their generators (deploy/lib/servers.ts has those). */
export const SERVER_NAMES: readonly ServerName[] = ['apache', 'nginx'];

export interface WebServer {
  readonly name: ServerName;
  generate(eco: Ecosystem, opts: VhostOptions, layout: Layout): string;
  validate(vhost: string, layout: Layout): Promise<ValidationResult>;
  installFacts(layout: Layout): InstallFacts;
}

/** The service's keep-alive timeout default (config keep_alive_timeout_ms = 75 s); proxies stay below. */
export const SERVICE_KEEP_ALIVE_SECONDS = 75;
/** The service's body limit default (config max_body_size). */
export const SERVICE_MAX_BODY_BYTES = 114688;

export function parseHostPort(text: string, what: string): Upstream {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(text.trim());
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new Error(`${what} ${JSON.stringify(text)} must be HOST:PORT`);
  return { host: m[1], port: Number(m[2]) };
}

export function defaultVhostOptions(eco: Ecosystem, layout: Layout, server: ServerName, partial: Partial<VhostOptions> = {}): VhostOptions {
  const tls = partial.tls;
  const opts: VhostOptions = {
    serverName: partial.serverName ?? 'localhost',
    listen: partial.listen ?? { host: '*', port: tls ? 443 : 80 },
    tls,
    upstreams: partial.upstreams && partial.upstreams.length > 0 ? partial.upstreams : [{ host: '127.0.0.1', port: eco.port }],
    maxBodyBytes: partial.maxBodyBytes ?? SERVICE_MAX_BODY_BYTES,
    proxyTimeoutSeconds: partial.proxyTimeoutSeconds ?? 60,
    connectTimeoutSeconds: partial.connectTimeoutSeconds ?? 5,
    backendKeepAliveSeconds: partial.backendKeepAliveSeconds ?? 30,
    healthCheckIntervalSeconds: partial.healthCheckIntervalSeconds ?? 5,
    logDir: partial.logDir ?? layout[server].logDir,
    pathPrefix: checkPathPrefix((partial.pathPrefix ?? '').replace(/\/+$/, '')),
    hstsMaxAgeSeconds: partial.hstsMaxAgeSeconds,
    ipv6: partial.ipv6 ?? hostHasIpv6(),
  };
  if (opts.hstsMaxAgeSeconds !== undefined && !tls) throw new Error('HSTS needs TLS (--tls-cert and --tls-key)');
  if (opts.backendKeepAliveSeconds >= SERVICE_KEEP_ALIVE_SECONDS) {
    throw new Error(`backend keep-alive ${opts.backendKeepAliveSeconds}s must stay below the service's ${SERVICE_KEEP_ALIVE_SECONDS}s`);
  }
  if (!/^[A-Za-z0-9.-]+$/.test(opts.serverName)) throw new Error(`--server-name ${JSON.stringify(opts.serverName)} is not a host name`);
  return opts;
}
