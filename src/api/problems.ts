import type { ErrorRequestHandler, Response } from 'express';
import { isDatabaseUnavailable } from '../db/errors.js';
import { DomainError } from '../domain/errors.js';
import type { Logger } from '../logger.js';

/**
 * Errors as RFC 9457 problem details (`application/problem+json`): `type`, `title`, `status`,
 * `detail`, and `errors` (field → message) for invalid input. Never a stack trace.
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** `type` URIs: relative references, resolved against the API's base (documented in the README). */
const TYPE_BASE = '/api/v1/problems/';

export const PROBLEM_TITLES = {
  400: 'Invalid request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Body too large',
  415: 'Unsupported media type',
  429: 'Too many failed authentications',
  500: 'Internal error',
  503: 'Service unavailable',
} as const;

export type ProblemStatus = keyof typeof PROBLEM_TITLES;

const TYPE_SLUGS: Record<ProblemStatus, string> = {
  400: 'invalid-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  409: 'conflict',
  413: 'body-too-large',
  415: 'unsupported-media-type',
  429: 'too-many-failed-authentications',
  500: 'internal-error',
  503: 'unavailable',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: Record<string, string>;
}

/** A refusal an API handler throws; the error handler turns it into its problem document. */
export class ApiProblem extends Error {
  constructor(
    readonly status: ProblemStatus,
    readonly detail: string,
    readonly errors?: Record<string, string>,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'ApiProblem';
  }
}

export function problemOf(status: ProblemStatus, detail: string, errors?: Record<string, string>): Problem {
  return { type: `${TYPE_BASE}${TYPE_SLUGS[status]}`, title: PROBLEM_TITLES[status], status, detail, ...(errors ? { errors } : {}) };
}

export function sendProblem(res: Response, problem: ApiProblem): void {
  res.locals.log ??= {};
  (res.locals.log as Record<string, unknown>).problem = TYPE_SLUGS[problem.status];
  for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
  res
    .status(problem.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problemOf(problem.status, problem.detail, problem.errors)));
}

/** The domain's field names where the API's differ (a form's `ip_list` is the API's `ip_lock.entries`). */
const API_FIELDS: Record<string, string> = { ip_list: 'ip_lock.entries' };
const apiField = (field: string): string => API_FIELDS[field] ?? field;

/** A domain refusal as its HTTP problem: invalid 400 (with every field), not_found 404, conflict 409, forbidden 403. */
export function problemFromDomain(error: DomainError): ApiProblem {
  const fields = Object.fromEntries(Object.entries(error.fields).map(([field, message]) => [apiField(field), message]));
  switch (error.code) {
    case 'invalid':
      return new ApiProblem(400, error.message, Object.keys(fields).length > 0 ? fields : undefined);
    case 'not_found':
      return new ApiProblem(404, error.message);
    case 'conflict':
      return new ApiProblem(409, error.message, error.field ? fields : undefined);
    case 'forbidden':
      return new ApiProblem(403, error.message);
  }
}

/** Body parser errors (express.json) as problems; undefined for anything else. */
function problemFromBodyParser(error: { type?: string; status?: number }): ApiProblem | undefined {
  if (error.type === 'entity.too.large') return new ApiProblem(413, 'The body is larger than 64 KiB (65536 bytes).');
  if (error.type === 'entity.parse.failed') return new ApiProblem(400, 'The body is not valid JSON.');
  if (error.type === 'encoding.unsupported' || error.type === 'charset.unsupported')
    return new ApiProblem(415, 'Send the body as uncompressed UTF-8 JSON.');
  if (error.status && error.status >= 400 && error.status < 500) return new ApiProblem(400, 'The body could not be read.');
  return undefined;
}

/** The API's last error handler: every failure leaves as a problem document, nothing else. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) return next(error);
    if (error instanceof ApiProblem) return sendProblem(res, error);
    if (error instanceof DomainError) return sendProblem(res, problemFromDomain(error));
    const fromParser = problemFromBodyParser(error as { type?: string; status?: number });
    if (fromParser) return sendProblem(res, fromParser);
    if (isDatabaseUnavailable(error)) {
      logger.warn({ err: error }, 'management API request failed: the database is unavailable');
      return sendProblem(res, new ApiProblem(503, 'The database is unavailable; retry shortly.', undefined, { 'Retry-After': '5' }));
    }
    logger.error({ err: error }, 'management API request failed');
    sendProblem(res, new ApiProblem(500, 'Something went wrong on our side; the request may be retried.'));
  };
}
