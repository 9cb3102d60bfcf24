import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppContext } from '../context.js';
import { firstIpTaken, judgeEvent } from '../domain/keyCheck.js';
import { publicIdOf } from '../domain/keyMaterial.js';
import { type Exchange, type PlainHandler, sendJson } from '../http/plainRoute.js';
import { parseWebhookEvent, phoneNumbersOf } from './events.js';
import { type IngestOptions, type IngestStats, IngestUnavailableError, PhoneEventIngest } from './ingest.js';
import { KeyCache, type KeyCacheOptions, type KeyCacheStats } from './keyCache.js';
import { RefusalRecorder } from './refusals.js';
import { closeAfterAnswer, framingRefusal, readBody, sinceFirstByte } from './request.js';
import { checkSignature, checkTimestamp, type Refusal, readSignedHeaders, signedHeaderLines } from './verify.js';

export { MAX_BODY_BYTES } from './request.js';

export interface PhoneWebhookReceiver {
  /** Serves PHONE_WEBHOOK_PATH, ahead of Express (src/http/plainRoute.ts); reads its own body. */
  handle: PlainHandler;
  /** Flushes anything buffered (accepted events, refusal counts) before shutdown. */
  close(): Promise<void>;
  /** Counters for benchmarks and diagnostics. */
  stats(): { keyCache: KeyCacheStats; ingest: IngestStats };
}

export interface PhoneWebhookReceiverOptions {
  /** Batching of accepted events (default: a 5 ms window, 200 per batch). */
  ingest?: IngestOptions;
  keyCache?: KeyCacheOptions;
  /** How often refusal counts are written (default 1 s). */
  refusalFlushMs?: number;
  /**
   * A request not answered within this long of its first byte is answered at once, whatever it
   * waits for: 408 (and the connection closed) while its body is still arriving, 503 (the phone
   * retries) once it is read — a database that stopped answering must not hold phones' requests
   * for the driver's timeouts. Its work may still finish (then the retry is answered 200, a
   * duplicate). Default 4 s.
   */
  deadlineMs?: number;
}

/** The 503 of the README's answers: the phone retries. */
const DEFAULT_DEADLINE_MS = 4_000;

/** One request on its way: Node's request and response, and what the HTTP layer said of it. */
interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  exchange: Exchange;
}

/** Strict UTF-8 (invalid bytes throw); stateless between calls, so one serves every request. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * POST /webhooks/phone (README: How a phone signs a request). The checks, in order, each refusing with its status:
 * content type (415) → body size (413) → the four headers (401) → timestamp (401) →
 * key id known (401) → signature (401) → key revoked / past its grace (401) → IP lock (403)
 * → JSON (400) → event schema (400) → `first` IP lock claimed (403) → numbers linked to the
 * key (403) → stored (202) or a duplicate webhook-id (200); the database failing is 503.
 * Everything about a key is only said to a request signed with it, except "unknown".
 */
export function createPhoneWebhookReceiver(context: AppContext, options: PhoneWebhookReceiverOptions = {}): PhoneWebhookReceiver {
  const { domain, models, clock } = context;
  const logger = context.logger.child({ component: 'webhooks' });
  const keyCache = new KeyCache(domain.keyCheck, models.Key, clock, logger, options.keyCache);
  // A key changed by this instance (revoked, relocked) is dropped at once; others' changes come by polling.
  const unsubscribe = domain.keyChanges.subscribe((keyId) => keyCache.invalidate(keyId));
  keyCache.start();
  const ingest = new PhoneEventIngest(models, domain.keys, logger, {
    silentAfterMs: context.config.silentAfterMs,
    eventRetentionMs: context.config.eventRetentionMs,
    batteryLowPercent: context.config.batteryLowPercent,
    ...options.ingest,
  });
  const refusals = new RefusalRecorder(models.WebhookRefusal, clock, logger, options.refusalFlushMs);

  /** Every answer: JSON, and the connection closed once the server is shutting down. */
  const answer = ({ res, exchange }: Call, status: number, body: unknown) => {
    if (exchange.draining()) res.setHeader('Connection', 'close');
    sendJson(res, status, body);
  };

  /**
   * `keyId` only once the key is known to exist: counting refusals by whatever id a request
   * names would let random ids grow the refusal records without bound.
   */
  const refuse = (call: Call, refusal: Refusal, keyId: string | null = null) => {
    // Already answered (the deadline passed): the phone was told to retry; nothing more to say or count.
    if (call.res.headersSent) return;
    const log = call.exchange.record.fields;
    log.reason = refusal.reason;
    if (keyId) log.keyId = publicIdOf(keyId);
    refusals.count({ ...refusal, keyId, ip: call.exchange.ip || null });
    answer(call, refusal.status, { error: refusal.message });
  };

  const receive = async (call: Call, body: Buffer): Promise<void> => {
    const { req, res, exchange } = call;
    const log = exchange.record.fields;
    const receivedAt = clock();
    const { ip } = exchange;

    const signed = readSignedHeaders(signedHeaderLines(req.rawHeaders));
    if ('status' in signed) return refuse(call, signed);
    const { keyId } = signed;
    log.keyId = publicIdOf(keyId);
    log.webhookId = signed.webhookId;
    const stale = checkTimestamp(signed.timestamp, receivedAt);
    if (stale) return refuse(call, stale);

    const snapshot = await keyCache.get(keyId);
    if (!snapshot) return refuse(call, { status: 401, reason: 'unknown_key', message: `unknown key id ${publicIdOf(keyId)}` });
    const badSignature = checkSignature(snapshot, signed, body);
    if (badSignature) return refuse(call, badSignature, keyId);
    // Only a request signed with the key is labelled with its environment (metrics, log line).
    log.environment = snapshot.environment;

    const decision = domain.keyCheck.judge(snapshot, ip, receivedAt);
    if (!decision.ok) {
      const status = decision.reason === 'ip_not_allowed' ? 403 : 401;
      return refuse(call, { status, reason: decision.reason, message: decision.message }, keyId);
    }

    let json: unknown;
    try {
      json = JSON.parse(UTF8.decode(body));
    } catch (error) {
      const detail = error instanceof SyntaxError ? error.message.slice(0, 200) : 'not valid UTF-8';
      return refuse(call, { status: 400, reason: 'invalid_json', message: `the body is not JSON: ${detail}` }, keyId);
    }
    const parsed = parseWebhookEvent(json);
    if (!parsed.ok) return refuse(call, { status: 400, reason: parsed.reason, message: parsed.message }, keyId);
    const { event } = parsed;
    log.eventType = event.type;
    const outOfScope = judgeEvent(snapshot, event.type);
    if (outOfScope) return refuse(call, { status: 403, reason: 'scope', message: outOfScope }, keyId);

    // `first` mode: the first IP whose request is accepted locks the key; of two at once one wins.
    // A request about to be refused as not linked must not take the lock (it is not a use).
    const phoneNumbers = phoneNumbersOf(event);
    if (decision.claimFirstIp && event.type !== 'phone.registered') {
      const unlinked = await domain.keyCheck.firstUnlinked(keyId, phoneNumbers);
      if (unlinked) return refuse(call, notLinked(unlinked, keyId), keyId);
    }
    if (decision.claimFirstIp && !(await domain.keyCheck.claimFirstIp(keyId, ip))) {
      keyCache.invalidate(keyId);
      return refuse(call, { status: 403, reason: 'ip_not_allowed', message: firstIpTaken(keyId, ip) }, keyId);
    }

    const result = await ingest.record({
      keyId,
      webhookId: signed.webhookId,
      type: event.type,
      phoneNumbers,
      data: event.data as Record<string, unknown>,
      occurredAt: new Date(event.timestamp),
      receivedAt,
      ip,
    });
    if (result.outcome === 'not_linked') {
      return refuse(call, notLinked(result.phoneNumber, keyId), keyId);
    }
    if (res.headersSent) return;
    // Hundreds of phones heartbeat every 30–60 s: their routine lines are at debug (README: Logs).
    if (event.type === 'phone.heartbeat') exchange.record.level = 'debug';
    if (result.outcome === 'duplicate') {
      log.duplicate = true;
      answer(call, 200, {
        status: 'duplicate',
        webhook_id: signed.webhookId,
        message: 'this webhook-id was already received; nothing was stored again',
      });
      return;
    }
    answer(call, 202, { status: 'accepted', webhook_id: signed.webhookId });
  };

  // Metrics: every request by event type and status; refusals by reason (also 503s).
  const countWhenAnswered = ({ res, exchange }: Call) => {
    res.once('finish', () => {
      const log = exchange.record.fields;
      context.metrics.webhookRequests.inc({
        type: typeof log.eventType === 'string' ? log.eventType : 'unknown',
        status: String(res.statusCode),
        environment: typeof log.environment === 'string' ? log.environment : 'unknown',
      });
      if (typeof log.reason === 'string') context.metrics.webhookRefusals.inc({ reason: log.reason });
    });
  };

  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const post = async (call: Call): Promise<void> => {
    const { req, res } = call;
    let bodyRead = false;
    const deadline = setTimeout(
      () => {
        if (res.headersSent) return;
        if (!bodyRead) {
          closeAfterAnswer(res);
          const seconds = deadlineMs / 1000;
          return refuse(call, { status: 408, reason: 'request_timeout', message: `the request did not arrive within ${seconds} s` });
        }
        call.exchange.record.fields.reason = 'database_timeout';
        answer(call, 503, { error: `the database did not answer within ${deadlineMs / 1000} s; retry later` });
      },
      Math.max(0, deadlineMs - sinceFirstByte(req)),
    );
    try {
      const framing = framingRefusal(req);
      if (framing) {
        closeAfterAnswer(res);
        return refuse(call, framing);
      }
      const body = await readBody(req, (refusal) => {
        closeAfterAnswer(res);
        refuse(call, refusal);
      });
      if (!body) return;
      bodyRead = true;
      if (res.headersSent) return;
      await receive(call, body);
    } catch (error) {
      if (res.headersSent) return;
      // Anything thrown here came from the database (key lookup, IP claim, ingest): the phone retries.
      call.exchange.record.fields.reason = 'database_unavailable';
      if (!(error instanceof IngestUnavailableError)) logger.warn({ err: error }, 'webhook could not be processed: the database failed');
      const why = error instanceof IngestUnavailableError ? error.message : 'the database is unavailable';
      answer(call, 503, { error: `${why}; retry later` });
    } finally {
      clearTimeout(deadline);
    }
  };

  const handle: PlainHandler = (req, res, exchange) => {
    const call: Call = { req, res, exchange };
    countWhenAnswered(call);
    if (req.method === 'POST') {
      post(call).catch((error: unknown) => logger.error({ err: error }, 'unhandled error in a phone webhook'));
      return;
    }
    res.setHeader('Allow', 'POST');
    answer(call, 405, { error: 'use POST' });
  };

  return {
    handle,
    stats: () => ({ keyCache: keyCache.stats(), ingest: ingest.stats() }),
    async close() {
      unsubscribe();
      await ingest.close();
      await Promise.all([keyCache.stop(), refusals.close()]);
    },
  };
}

const notLinked = (phoneNumber: string, keyId: string): Refusal => ({
  status: 403,
  reason: 'not_linked',
  message: `phone number ${phoneNumber} is not linked to key ${publicIdOf(keyId)}: register the phone (phone.registered) with this key first`,
});
