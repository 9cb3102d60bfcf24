import type { RequestHandler } from 'express';
import type { Logger } from '../logger.js';

/**
 * One JSON line per request, written when the response finishes. Adapters add
 * context through `res.locals.log` (e.g. the webhook's event type and `pk_<id>`).
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.locals.log = {} as Record<string, unknown>;
    res.on('finish', () => {
      const latencyMs = Number(process.hrtime.bigint() - started) / 1e6;
      const fields = { method: req.method, path: req.baseUrl + req.path, status: res.statusCode, latencyMs: Math.round(latencyMs * 10) / 10, ...res.locals.log };
      if (req.path === '/healthz' || req.path === '/readyz' || req.path === '/metrics') logger.debug(fields, 'request');
      else logger.info(fields, 'request');
    });
    next();
  };
}
