/*
 * The volume API's client of Keystone v3 (issue 9): it validates callers' tokens with
 * `GET /v3/auth/tokens?nocatalog` + `X-Subject-Token`, authenticated by the service user's own token,
 * which it obtains with a password (project scope) and renews before it expires, and once more when
 * Keystone answers a validation with 401 (the service token was revoked or Keystone's keys rotated).
 *
 * Only three answers are trusted: 200 (a valid token, parsed), 404 (Keystone does not know the token, or
 * it expired or was revoked) and, from the token request, 201. Everything else (no connection, timeout,
 * 5xx, a service token Keystone keeps refusing, a body we cannot read) is KeystoneUnavailableError, which
 * the strategy turns into 503: an outage must never let a request through, nor be reported to a caller
 * as "your token is bad".
 *
 * Plain node:http(s) rather than fetch: one keep-alive agent per client, a per-request deadline and a
 * private CA bundle (`ca_file`) without another dependency.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { ConfigError } from '../../config';

export interface KeystoneClientOptions {
  /** Base URL of Keystone, with or without a trailing `/v3`. */
  url: string;
  username: string;
  password: string;
  project_name: string;
  user_domain_name: string;
  project_domain_name: string;
  /** Seconds for one request, connect to last byte. */
  timeout: number;
  /** PEM CA file for https; '' for the system CAs. */
  ca_file: string;
}

/** What a valid token says about its bearer. */
export interface TokenInfo {
  userId: string;
  /** null for a token not scoped to a project (unscoped, domain or system scope). */
  projectId: string | null;
  roles: string[];
  /** Epoch milliseconds. */
  expiresAt: number;
}

export type Validation = { valid: true; token: TokenInfo } | { valid: false };

/** Keystone could not give a trustworthy answer. The message is for the log, never for the caller. */
export class KeystoneUnavailableError extends Error {
  override name = 'KeystoneUnavailableError';
}

/** A reused keep-alive connection was closed by the server under us (retried once). */
class StaleConnectionError extends Error {}

interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Renew the service token once this fraction of its lifetime has passed. */
const RENEW_AT_FRACTION = 0.9;
/** Idle keep-alive sockets to Keystone are closed after this long. */
const IDLE_SOCKET_MS = 4000;
/** Keystone's answers are small (a token without catalog is about 1 KiB); refuse anything absurd. */
const MAX_REPLY_BYTES = 1024 * 1024;

export class KeystoneClient {
  readonly #base: URL;
  readonly #opts: KeystoneClientOptions;
  readonly #agent: http.Agent;
  #service: { token: string; renewAt: number } | null = null;
  /** A service-token request in flight, shared by every validation that needs it. */
  #serviceInFlight: Promise<string> | null = null;

  constructor(opts: KeystoneClientOptions) {
    this.#opts = { ...opts };
    // Callers configure either `http://host:5000` or `http://host:5000/v3`; both mean the same.
    this.#base = new URL(opts.url.replace(/\/+$/, '').replace(/\/v3$/, '') + '/');
    let ca: Buffer | undefined;
    if (opts.ca_file) {
      try {
        ca = fs.readFileSync(opts.ca_file);
      } catch (err) {
        throw new ConfigError(`auth.keystone.ca_file = ${JSON.stringify(opts.ca_file)}: ${(err as Error).message}`);
      }
    }
    // Idle connections are dropped before a typical server's keep-alive timeout (Apache: 5 s), so we
    // rarely reuse one the server is closing; #request retries once when that happens anyway.
    const agentOptions = { keepAlive: true, timeout: IDLE_SOCKET_MS };
    this.#agent = this.#base.protocol === 'https:' ? new https.Agent({ ...agentOptions, ca }) : new http.Agent(agentOptions);
  }

  /** Validates a caller's token. Resolves `{valid: false}` only when Keystone says so. */
  async validate(subjectToken: string): Promise<Validation> {
    let reply = await this.#validateWith(await this.#serviceToken(), subjectToken);
    if (reply.status === 401) {
      // Our own token is no longer accepted: get a new one, once.
      this.#service = null;
      reply = await this.#validateWith(await this.#serviceToken(), subjectToken);
    }
    if (reply.status === 404) return { valid: false };
    if (reply.status === 200) return { valid: true, token: parseToken(reply.body) };
    // 401 again, or 403 (the service user may not validate tokens): a deployment problem, not the caller's.
    throw new KeystoneUnavailableError(`token validation answered ${reply.status}: ${reply.body.slice(0, 200)}`);
  }

  /** Drops idle keep-alive connections (tests, shutdown). */
  close(): void {
    this.#agent.destroy();
  }

  #validateWith(serviceToken: string, subjectToken: string): Promise<HttpReply> {
    return this.#request('GET', 'v3/auth/tokens?nocatalog', { 'X-Auth-Token': serviceToken, 'X-Subject-Token': subjectToken });
  }

  #serviceToken(): Promise<string> {
    if (this.#service && Date.now() < this.#service.renewAt) return Promise.resolve(this.#service.token);
    if (!this.#serviceInFlight) {
      this.#serviceInFlight = this.#issueServiceToken().finally(() => {
        this.#serviceInFlight = null;
      });
    }
    return this.#serviceInFlight;
  }

  async #issueServiceToken(): Promise<string> {
    const o = this.#opts;
    const body = {
      auth: {
        identity: { methods: ['password'], password: { user: { name: o.username, domain: { name: o.user_domain_name }, password: o.password } } },
        scope: { project: { name: o.project_name, domain: { name: o.project_domain_name } } },
      },
    };
    const issuedAt = Date.now();
    const reply = await this.#request('POST', 'v3/auth/tokens?nocatalog', { 'Content-Type': 'application/json' }, JSON.stringify(body));
    const token = reply.headers['x-subject-token'];
    if (reply.status !== 201 || typeof token !== 'string') {
      // 401 here means wrong service credentials: still a 503 for callers, with the reason in our log.
      throw new KeystoneUnavailableError(`service token request for user ${o.username} answered ${reply.status}: ${reply.body.slice(0, 200)}`);
    }
    const expiresAt = parseToken(reply.body).expiresAt;
    const renewAt = issuedAt + Math.max(0, expiresAt - issuedAt) * RENEW_AT_FRACTION;
    this.#service = { token, renewAt };
    return token;
  }

  async #request(method: string, relPath: string, headers: Record<string, string>, body?: string): Promise<HttpReply> {
    const url = new URL(relPath, this.#base);
    let reply: HttpReply;
    try {
      reply = await this.#send(method, url, headers, body);
    } catch (err) {
      // A kept-alive connection the server closed just as we reused it: Node's documented case for one
      // retry. Both calls we make are safe to repeat (a validation, a token request).
      if (!(err instanceof StaleConnectionError)) throw err;
      reply = await this.#send(method, url, headers, body, false);
    }
    if (reply.status >= 500) throw new KeystoneUnavailableError(`${method} ${url.pathname} answered ${reply.status}`);
    return reply;
  }

  #send(method: string, url: URL, headers: Record<string, string>, body: string | undefined, mayRetry = true): Promise<HttpReply> {
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(
        url,
        {
          method,
          agent: this.#agent,
          headers: { Accept: 'application/json', ...headers, ...(body !== undefined ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}) },
          signal: AbortSignal.timeout(this.#opts.timeout * 1000),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_REPLY_BYTES) req.destroy(new Error('reply too large'));
            else chunks.push(c);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (err) => reject(unavailable(method, url, err)));
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        const stale = mayRetry && req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
        reject(stale ? new StaleConnectionError() : unavailable(method, url, err));
      });
      req.end(body);
    });
  }
}

function unavailable(method: string, url: URL, err: Error): KeystoneUnavailableError {
  const why = err.name === 'TimeoutError' || err.name === 'AbortError' ? 'timed out' : err.message;
  return new KeystoneUnavailableError(`${method} ${url.origin}${url.pathname}: ${why}`);
}

/** The fields we use from Keystone's token document (`{"token": {...}}`). */
export function parseToken(text: string): TokenInfo {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new KeystoneUnavailableError('token document is not JSON');
  }
  const t = (doc as { token?: Record<string, unknown> } | null)?.token;
  const user = t?.user as { id?: unknown } | undefined;
  const expiresAt = Date.parse(String(t?.expires_at));
  if (!t || typeof user?.id !== 'string' || Number.isNaN(expiresAt)) throw new KeystoneUnavailableError('token document lacks user.id or expires_at');
  const project = t.project as { id?: unknown } | undefined;
  const roles = Array.isArray(t.roles) ? t.roles.map((r: { name?: unknown }) => r?.name).filter((n): n is string => typeof n === 'string') : [];
  return { userId: user.id, projectId: typeof project?.id === 'string' ? project.id : null, roles, expiresAt };
}
