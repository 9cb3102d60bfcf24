import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { type Logger, scrubSecrets } from '../logger.js';

/** Probes and scrapes come every few seconds: logged at debug level only. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** The level of a request's line: an adapter may say; a 5xx is a warning. */
export type RequestLogLevel = 'debug' | 'info' | 'warn';

/** What a request's line will carry beyond method, path, status and latency, filled in by its handler. */
export interface RequestRecord {
  /** Extra fields: a webhook's `eventType`, `webhookId`, `pk_<id>` as `keyId`, a refusal's `reason`… */
  fields: Record<string, unknown>;
  /** The line's level when answered below 500 (default info; accepted heartbeats say debug). */
  level?: RequestLogLevel;
}

/**
 * One JSON line per request, written once it is over: `method`, `path`, `status`, `latencyMs`,
 * plus the record's fields. A request whose client went away before the answer was sent is
 * logged too, with `aborted: true`. Routine lines (probes, scrapes, what a handler marks debug)
 * are at debug; answers of 500 and above at warn; everything else at info.
 * `path` is the path as requested, without the query string.
 */
export function watchRequest(logger: Logger, req: IncomingMessage, res: ServerResponse, path: string, record: RequestRecord): void {
  const started = process.hrtime.bigint();
  // 'finish': the whole answer was handed to the connection. (`writableFinished` is not a sure
  // sign: an answer written to a connection already closed can count as finished.)
  let finished = false;
  res.once('finish', () => {
    finished = true;
  });
  res.once('close', () => {
    const aborted = !finished;
    const status = res.headersSent ? res.statusCode : null;
    const level: RequestLogLevel =
      status !== null && status >= 500 ? 'warn' : aborted ? 'info' : QUIET_PATHS.has(path) ? 'debug' : (record.level ?? 'info');
    // Accepted heartbeats are debug lines, off in production: a line not written costs nothing more.
    if (!logger.isLevelEnabled(level)) return;
    const latencyMs = Number(process.hrtime.bigint() - started) / 1e6;
    logger[level](
      {
        method: req.method,
        // Without a key or token someone put in it by mistake (the API refuses those, but logs the request).
        path: scrubSecrets(path.slice(0, 200)),
        status,
        latencyMs: Math.round(latencyMs * 10) / 10,
        ...(aborted ? { aborted } : {}),
        ...record.fields,
      },
      'request',
    );
  });
}

/** The path of a request URL, without its query string. */
export const pathOf = (url: string): string => {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
};

/** Express's side: adapters add fields through `res.locals.log`. */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const record: RequestRecord = { fields: {} };
    res.locals.log = record.fields;
    // The path as requested (routers rewrite req.path on the way).
    watchRequest(logger, req, res, pathOf(req.originalUrl), record);
    next();
  };
}
