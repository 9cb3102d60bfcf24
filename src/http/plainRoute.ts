/**
 * One route served ahead of Express, on Node's own request and response: the phone webhook,
 * nearly every request a fleet makes. Express's router walks every layer of the app for each
 * request (logging, health, the shutdown gate, metrics, mounts) and allocates as it goes; under
 * load that was a sixth of the receiver's CPU per heartbeat (README: Performance). This path
 * keeps what those layers gave it: the request's log line, the shutdown refusal, the client
 * address through the proxies `TRUST_PROXY` trusts (Express's own compiled rule), and Express's
 * matching of the path (any case, an optional trailing slash, any query string).
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Express } from 'express';
import proxyAddr from 'proxy-addr';
import { normalizeIp } from '../domain/ipLock.js';
import type { Logger } from '../logger.js';
import { pathOf, type RequestRecord, watchRequest } from './requestLog.js';

/** What a plain handler is told about its request beside Node's request and response. */
export interface Exchange {
  /** The client's address, normalized, as Express's `req.ip` would give it ('' if none). */
  ip: string;
  /** The request's log line: its fields, and its level. */
  record: RequestRecord;
  /** True once the server is shutting down: an answer then closes its connection. */
  draining(): boolean;
}

export type PlainHandler = (req: IncomingMessage, res: ServerResponse, exchange: Exchange) => void;

export interface PlainRouteOptions {
  /** Everything else. Its `trust proxy` setting is read here once: set it before. */
  express: Express;
  logger: Logger;
  /** The route's path, lower case, without a trailing slash. */
  path: string;
  handler: PlainHandler;
  draining(): boolean;
}

/** The HTTP server's request listener: `path` to `handler`, anything else to Express. */
export function plainRoute({ express, logger, path, handler, draining }: PlainRouteOptions): RequestListener {
  const trust = express.get('trust proxy fn') as Parameters<typeof proxyAddr>[1];
  const matches = (requested: string) =>
    requested === path || (requested.length - path.length <= 1 && requested.toLowerCase().replace(/\/$/, '') === path);
  return (req, res) => {
    const requested = pathOf(req.url ?? '/');
    if (!matches(requested)) return express(req, res);
    const record: RequestRecord = { fields: {} };
    watchRequest(logger, req, res, requested, record);
    if (draining()) {
      // A request on a kept-alive connection after shutdown began: refused so the client retries elsewhere.
      res.setHeader('Connection', 'close');
      return sendJson(res, 503, { error: 'server is shutting down; retry' });
    }
    const address = proxyAddr(req, trust);
    handler(req, res, { ip: normalizeIp(address) || address, record, draining });
  };
}

/** A JSON answer, as Express's `res.json` without its ETag (these answers are never cached). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
