import type { Request, RequestHandler, Response } from 'express';
import type { ApiTokenService, ApiTokenView } from '../domain/apiTokens.js';
import type { Clock } from '../domain/clock.js';
import { normalizeIp } from '../domain/ipLock.js';
import type { ApiAuthFailureModel } from '../models/index.js';
import { ApiProblem } from './problems.js';

/** More failed authentications than this from one IP within a minute, and the IP gets 429 until the minute ends. */
export const FAILED_AUTH_LIMIT = 20;
const WINDOW_MS = 60_000;

const REALM = 'Bearer realm="phonekeys"';

/**
 * Counts failed authentications per client IP and clock minute in MongoDB, so the limit holds
 * across instances: every instance reads the shared count before authenticating (one indexed
 * read), and remembers an IP it found over the limit until the minute ends (no read at all then).
 */
export class FailedAuthLimiter {
  private readonly blocked = new Map<string, number>();

  constructor(
    private readonly model: ApiAuthFailureModel,
    private readonly clock: Clock,
  ) {}

  /** Seconds until the IP may try again, or undefined when it may now. */
  async retryAfter(ip: string): Promise<number | undefined> {
    const now = this.clock().getTime();
    const until = this.blocked.get(ip);
    if (until !== undefined) {
      if (until > now) return secondsUntil(until, now);
      this.blocked.delete(ip);
    }
    const windowStart = windowOf(now);
    const count = await this.model.findOne({ ip, windowStart: new Date(windowStart) }, { count: 1 }).lean();
    return (count?.count ?? 0) > FAILED_AUTH_LIMIT ? this.block(ip, windowStart, now) : undefined;
  }

  /** Counts one failure; returns seconds to wait when it took the IP over the limit. */
  async recordFailure(ip: string): Promise<number | undefined> {
    const now = this.clock().getTime();
    const windowStart = windowOf(now);
    const filter = { ip, windowStart: new Date(windowStart) };
    const update = { $inc: { count: 1 } };
    let counted: { count?: number | null } | null;
    try {
      counted = await this.model
        .findOneAndUpdate(filter, update, { upsert: true, returnDocument: 'after', projection: { count: 1 } })
        .lean();
    } catch (error) {
      // Two first failures at once: one insert wins the unique index, the other increments it.
      if ((error as { code?: number }).code !== 11000) throw error;
      counted = await this.model.findOneAndUpdate(filter, update, { returnDocument: 'after', projection: { count: 1 } }).lean();
    }
    return (counted?.count ?? 0) > FAILED_AUTH_LIMIT ? this.block(ip, windowStart, now) : undefined;
  }

  private block(ip: string, windowStart: number, now: number): number {
    const until = windowStart + WINDOW_MS;
    // Bounded: an IP is forgotten once its minute is over (swept here rather than by a timer).
    if (this.blocked.size > 10_000) for (const [key, end] of this.blocked) if (end <= now) this.blocked.delete(key);
    this.blocked.set(ip, until);
    return secondsUntil(until, now);
  }
}

const windowOf = (ms: number): number => Math.floor(ms / WINDOW_MS) * WINDOW_MS;
const secondsUntil = (until: number, now: number): number => Math.max(1, Math.ceil((until - now) / 1000));

export const clientIp = (req: Request): string => normalizeIp(req.ip ?? '') || req.ip || 'unknown';

/** The token a request was authenticated with (set by `authenticate`). */
export const tokenOf = (res: Response): ApiTokenView => res.locals.apiToken as ApiTokenView;

/**
 * `Authorization: Bearer mk_…` → `res.locals.apiToken`. Missing, malformed, unknown or revoked:
 * 401 with `WWW-Authenticate: Bearer`; an IP over the failure limit: 429 with `Retry-After`.
 * The token never reaches a log line or an error message (only its `mk_<id>` once known).
 */
export function authenticate(tokens: ApiTokenService, limiter: FailedAuthLimiter): RequestHandler {
  return async (req, res, next) => {
    try {
      const ip = clientIp(req);
      const wait = await limiter.retryAfter(ip);
      if (wait !== undefined) throw tooManyFailures(wait);
      const presented = bearerToken(req.headers.authorization);
      const result = presented.token ? await tokens.authenticate(presented.token) : undefined;
      if (result?.ok) {
        res.locals.apiToken = result.token;
        (res.locals.log as Record<string, unknown>).tokenId = result.token.publicId;
        return next();
      }
      const failedWait = await limiter.recordFailure(ip);
      if (failedWait !== undefined) throw tooManyFailures(failedWait);
      if (result) throw unauthorized(`${capitalize(result.message)}.`, true);
      throw unauthorized(
        presented.problem ?? 'Send an API token: Authorization: Bearer mk_<id>_<secret>.',
        presented.problem !== undefined,
      );
    } catch (error) {
      next(error);
    }
  };
}

/** A read token on a changing endpoint. */
export const requireWrite: RequestHandler = (_req, res, next) => {
  const token = tokenOf(res);
  if (token.scope === 'write') return next();
  next(
    new ApiProblem(403, `The API token ${token.publicId} (${token.name}) is read-only; this request needs a write token.`, undefined, {
      'WWW-Authenticate': `${REALM}, error="insufficient_scope", scope="write"`,
    }),
  );
};

function bearerToken(header: string | undefined): { token?: string; problem?: string } {
  if (!header) return {};
  const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header);
  if (!match) return { problem: 'The Authorization header must be "Bearer mk_<id>_<secret>".' };
  const token = match[1]!;
  // Told apart without echoing it: a phone key here is a mistake worth naming.
  if (token.startsWith('pk_'))
    return { problem: 'That is a phone key, not an API token (mk_<id>_<secret>, made with /keys token create).' };
  return { token };
}

/** RFC 6750: no error code when no credentials were sent; `invalid_token` when they were bad. */
function unauthorized(detail: string, credentialsSent: boolean): ApiProblem {
  return new ApiProblem(401, detail, undefined, {
    'WWW-Authenticate': credentialsSent ? `${REALM}, error="invalid_token"` : REALM,
  });
}

function tooManyFailures(seconds: number): ApiProblem {
  return new ApiProblem(
    429,
    `More than ${FAILED_AUTH_LIMIT} failed authentications from this IP within a minute; retry in ${seconds} s with a valid token.`,
    undefined,
    { 'Retry-After': String(seconds) },
  );
}

const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);
