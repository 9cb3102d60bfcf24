import type { RequestHandler } from 'express';
import { type Logger, scrubSecrets } from '../logger.js';

/** Probes and scrapes come every few seconds: logged at debug level only. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** The level of a request's line: an adapter may say (`res.locals.logLevel`); a 5xx is a warning. */
export type RequestLogLevel = 'debug' | 'info' | 'warn';

/**
 * One JSON line per request, written once it is over: `method`, `path`, `status`, `latencyMs`,
 * plus what adapters add through `res.locals.log` (a webhook's `eventType`, `webhookId`,
 * `pk_<id>` as `keyId`, a refusal's `reason`). A request whose client went away before the
 * answer was sent is logged too, with `aborted: true`. Routine lines (probes, scrapes, accepted
 * heartbeats, as adapters mark them in `res.locals.logLevel`) are at debug; answers of 500 and
 * above at warn; everything else at info.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.locals.log = {} as Record<string, unknown>;
    res.once('close', () => {
      const aborted = !res.writableFinished;
      const status = res.headersSent ? res.statusCode : null;
      // The path as requested (routers rewrite req.path on the way), without the query string.
      const rawPath = req.originalUrl.split('?')[0]!;
      const level: RequestLogLevel =
        status !== null && status >= 500
          ? 'warn'
          : aborted
            ? 'info'
            : QUIET_PATHS.has(rawPath)
              ? 'debug'
              : ((res.locals.logLevel as RequestLogLevel | undefined) ?? 'info');
      // Accepted heartbeats are debug lines, off in production: a line not written costs nothing more.
      if (!logger.isLevelEnabled(level)) return;
      const latencyMs = Number(process.hrtime.bigint() - started) / 1e6;
      logger[level](
        {
          method: req.method,
          // Without a key or token someone put in it by mistake (the API refuses those, but logs the request).
          path: scrubSecrets(rawPath.slice(0, 200)),
          status,
          latencyMs: Math.round(latencyMs * 10) / 10,
          ...(aborted ? { aborted } : {}),
          ...res.locals.log,
        },
        'request',
      );
    });
    next();
  };
}
