/*
 * `auth.strategy = keystone` (issue 9): the caller's `X-Auth-Token` is validated by Keystone v3 and
 * becomes the request context, as keystonemiddleware's auth_token + Cinder's keystonecontext do.
 *
 * Design
 * - Identity: user id, project id and role names from Keystone's token document. Role `admin`
 *   (compared case-insensitively, as oslo.policy does) makes the caller admin: Cinder's default
 *   `context_is_admin`. The `{project_id}` of the path is checked against the token's project later in
 *   the chain, by project-path.ts (400 "Malformed request url"), the same step noauth uses. A token
 *   without a project scope (unscoped, domain or system) cannot own volumes and is refused with 401.
 * - Answers: no token, or one Keystone does not know (invalid, expired, revoked) -> 401 with
 *   `WWW-Authenticate: Keystone uri="<auth.keystone.url>"` and Keystone's error body, as auth_token sends
 *   it. Keystone unreachable, slow, 5xx, or refusing our service user -> 503 serviceUnavailable; never a
 *   pass, never a 401 (the caller's token may be fine).
 * - Cache: results are kept per process, keyed by the SHA-256 of the token (a heap dump or a debug
 *   print of the cache holds no usable token), until min(expires_at, now + cache_ttl). cache_ttl is
 *   therefore the bound on how long a revoked token keeps working here. "Not valid" answers are kept for
 *   cache_ttl too, so a client repeating a bad token does not hammer Keystone. The cache is an LRU of
 *   MAX_ENTRIES, so a flood of distinct tokens costs bounded memory. Concurrent requests with the same
 *   token share one validation. Under PM2 cluster mode each process has its own cache: no secret
 *   crosses process boundaries, at the cost of one validation per token per process (docs/keystone.md).
 *   Outages are not cached: the next request asks Keystone again.
 */
import crypto from 'node:crypto';
import type { Request } from 'restify';
import type { Config } from '../../config';
import { ServiceUnavailableError } from '../../errors';
import type { Logger } from '../../log';
import type { AuthOutcome, AuthStrategy } from './auth';
import { KeystoneClient, KeystoneUnavailableError, type Validation } from './keystone-client';

/** Tokens remembered per process; about 300 bytes each. */
export const MAX_ENTRIES = 10_000;

/** Fernet tokens are about 200 characters, JWS tokens under 1,000. */
const MAX_TOKEN_LENGTH = 8192;
const TOKEN_RE = /^[\x21-\x7e]+$/;

export const UNAUTHORIZED_BODY = {
  error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
};

/** keystonemiddleware's text when it cannot reach Keystone. */
export const KEYSTONE_UNAVAILABLE_MESSAGE = 'The Keystone service is temporarily unavailable.';

/** Whatever answers "is this token valid?"; the KeystoneClient in production. */
export interface TokenValidator {
  validate(token: string): Promise<Validation>;
}

interface Entry {
  result: Validation;
  /** Epoch ms after which the entry is not used. */
  until: number;
}

/**
 * Validation results by token hash: LRU with a per-entry deadline, plus the validations in flight so
 * that concurrent requests with one token cause one Keystone call.
 */
export class TokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #inFlight = new Map<string, Promise<Validation>>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number = MAX_ENTRIES,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  async resolve(token: string, validate: (token: string) => Promise<Validation>): Promise<Validation> {
    const key = crypto.createHash('sha256').update(token).digest('base64url');
    const hit = this.#entries.get(key);
    if (hit) {
      this.#entries.delete(key);
      if (hit.until > this.now()) {
        this.#entries.set(key, hit); // most recently used goes last
        return hit.result;
      }
    }
    let pending = this.#inFlight.get(key);
    if (!pending) {
      pending = validate(token)
        .then((result) => {
          this.#remember(key, result);
          return result;
        })
        .finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, pending);
    }
    return pending;
  }

  #remember(key: string, result: Validation): void {
    if (this.ttlMs <= 0) return;
    const now = this.now();
    const until = result.valid ? Math.min(result.token.expiresAt, now + this.ttlMs) : now + this.ttlMs;
    if (until <= now) return;
    this.#entries.set(key, { result, until });
    while (this.#entries.size > this.maxEntries) {
      // Map iterates in insertion order: the first key is the least recently used.
      this.#entries.delete(this.#entries.keys().next().value as string);
    }
  }
}

export class KeystoneStrategy implements AuthStrategy {
  readonly name = 'keystone';
  readonly #cache: TokenCache;
  readonly #challenge: string;

  constructor(
    config: Config['auth']['keystone'],
    private readonly log?: Logger,
    private readonly validator: TokenValidator = new KeystoneClient(config),
    private readonly now: () => number = Date.now,
  ) {
    this.#cache = new TokenCache(config.cache_ttl * 1000, MAX_ENTRIES, now);
    this.#challenge = `Keystone uri="${config.url.replace(/\/+$/, '')}"`;
  }

  async authenticate(req: Request): Promise<AuthOutcome> {
    const token = req.header('x-auth-token');
    // Keystone's tokens (fernet, JWS, UUID) are printable ASCII; anything else is refused here rather
    // than forwarded, where Node would reject it as a header value.
    if (!token || token.length > MAX_TOKEN_LENGTH || !TOKEN_RE.test(token)) return this.#unauthorized();
    let result: Validation;
    try {
      result = await this.#cache.resolve(token, (t) => this.validator.validate(t));
    } catch (err) {
      if (!(err instanceof KeystoneUnavailableError)) throw err;
      (req.log ?? this.log)?.error({ err }, 'keystone: cannot validate token');
      throw new ServiceUnavailableError(KEYSTONE_UNAVAILABLE_MESSAGE);
    }
    // A cached result may outlive the token only if the clocks disagree; check anyway.
    if (!result.valid || result.token.expiresAt <= this.now() || result.token.projectId === null) return this.#unauthorized();
    const { userId, projectId, roles } = result.token;
    return { kind: 'authenticated', context: { userId, projectId, roles, isAdmin: roles.some((r) => r.toLowerCase() === 'admin') } };
  }

  #unauthorized(): AuthOutcome {
    return { kind: 'respond', status: 401, headers: { 'WWW-Authenticate': this.#challenge }, body: UNAUTHORIZED_BODY };
  }
}
