/**
 * The framing of a phone's request, before any header or key is looked at: content type,
 * content encoding, the body's size and the time it takes to arrive.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import getRawBody from 'raw-body';
import type { Refusal } from './verify.js';

/** A body is at most 64 KiB (README: How a phone signs a request). */
export const MAX_BODY_BYTES = 64 * 1024;

const tooLarge: Refusal = {
  status: 413,
  reason: 'body_too_large',
  message: `the body is larger than ${MAX_BODY_BYTES / 1024} KiB (${MAX_BODY_BYTES} bytes)`,
};

/** 415 for anything but (uncompressed) UTF-8 JSON, and 413 at once for a declared length over the limit. */
export function framingRefusal(req: IncomingMessage): Refusal | undefined {
  const contentType = req.headers['content-type'];
  if (!contentType) return unsupported('Content-Type is missing: send application/json');
  const [mediaType = '', ...params] = contentType.split(';').map((part) => part.trim().toLowerCase());
  const charset = params
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  if (mediaType !== 'application/json') {
    return unsupported(`Content-Type must be application/json, not ${JSON.stringify(contentType.slice(0, 100))}`);
  }
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    return unsupported(`Content-Type charset must be utf-8, not ${JSON.stringify(charset.slice(0, 40))}`);
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity') return unsupported('Content-Encoding is not supported: send the body uncompressed');
  // Node refuses a malformed or doubled Content-Length itself (400), so a present one is a number here.
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return tooLarge;
  return undefined;
}

const unsupported = (message: string): Refusal => ({ status: 415, reason: 'unsupported_media_type', message });

/**
 * The exact bytes (for the signature): at most MAX_BODY_BYTES, stopping as soon as more arrive.
 * When it cannot be read, `refuse` is called at once (synchronously, so a client that hung up
 * is logged with the answer it would have had) and the result is undefined.
 */
export function readBody(req: IncomingMessage, refuse: (refusal: Refusal) => void): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    getRawBody(req, { length: req.headers['content-length'], limit: MAX_BODY_BYTES }, (error, body) => {
      if (!error) return resolve(body);
      // Cut short (the client hung up) or not as long as announced: 400, which may reach no one but is logged.
      refuse(
        (error as { type?: string }).type === 'entity.too.large'
          ? tooLarge
          : { status: 400, reason: 'bad_request', message: 'the body could not be read (cut short, or not as long as its Content-Length)' },
      );
      resolve(undefined);
    });
  });
}

/**
 * Milliseconds since the first byte of this request reached the server. Node's HTTP parser
 * keeps that moment for its own `headersTimeout`/`requestTimeout`; `duration()` is not a
 * documented API, so where it is missing this counts from the end of the headers instead.
 */
export function sinceFirstByte(req: IncomingMessage): number {
  const parser = (req.socket as { parser?: { duration?: () => number } | null }).parser;
  const elapsed = typeof parser?.duration === 'function' ? parser.duration() : 0;
  return Number.isFinite(elapsed) && elapsed > 0 ? elapsed : 0;
}

/**
 * A request answered before its body was read closes its connection: the rest of the body
 * (possibly never sent, if its length was a lie) is not waited for.
 */
export function closeAfterAnswer(res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('Connection', 'close');
}
