/**
 * Load phases with autocannon: every connection is one phone (its own key and number) that
 * sends heartbeats back to back, each with a fresh webhook-id, timestamp and signature, made
 * exactly as a phone makes them (src/webhooks/signing.ts). With fewer connections than phones,
 * each connection takes turns among its share of the phones.
 */
import autocannon, { type Client } from 'autocannon';
import { signWebhook } from '../src/webhooks/signing.js';

export interface BenchPhone {
  /** The whole key, pk_<id>_<secret>: only ever used to sign, never printed. */
  key: string;
  number: string;
}

export const WEBHOOK_PATH = '/webhooks/phone';

/** A phone's heartbeat body, as its app sends it. */
export function heartbeatBody(phone: BenchPhone, at = new Date()): string {
  return JSON.stringify({
    type: 'phone.heartbeat',
    timestamp: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    data: { phone_numbers: [phone.number], charging: true, battery: 80 },
  });
}

export interface LoadOptions {
  /** e.g. http://127.0.0.1:PORT */
  baseUrl: string;
  phones: BenchPhone[];
  connections: number;
  /** Either a number of requests (all of them answered before the phase ends) … */
  amount?: number;
  /** … or seconds. */
  seconds?: number;
  /** Requests per second over all connections (BENCH_RATE); unset: each connection sends as soon as it is answered. */
  rate?: number;
  /** Called once every request of an `amount` phase is answered (before autocannon's own end-of-run tick). */
  onAllAnswered?: () => Promise<void> | void;
}

export interface LoadResult {
  responses: number;
  /** Responses by HTTP status. */
  statuses: Record<string, number>;
  /** Connection errors and timeouts (requests that got no response). */
  errors: number;
  timeouts: number;
  /** From the first request to the last response. */
  seconds: number;
  /** Time to response of every answered request, ms, by status. */
  latencies: Record<string, number[]>;
  /** When the last response came (performance.now()). */
  endedAt: number;
}

/**
 * Paced phases (BENCH_RATE) are sent by this many autocannon instances, started evenly across a
 * second. autocannon paces each connection by a budget of requests per second, renewed for all
 * of them at the same moment, so one instance sends its whole second's worth in one burst; the
 * server's CPU per request then depends on how tightly the bursts happen to line up (a bare
 * Express handler: 195–349 µs per request between phases of one run). Staggered instances give
 * arrivals spread over the second, as a fleet of phones on their own clocks sends them.
 */
const PACED_GROUPS = 20;

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const groups = options.rate && options.amount ? Math.min(PACED_GROUPS, options.connections) : 1;
  if (groups === 1) return runCannon(options);
  const amount = options.amount!;
  let answered = 0;
  let allAnswered: Promise<void> | undefined;
  const onAnswered = () => {
    if (++answered === amount) allAnswered = Promise.resolve(options.onAllAnswered?.());
  };
  const share = (total: number, group: number) => Math.floor(total / groups) + (group < total % groups ? 1 : 0);
  const startedAt = performance.now();
  const results = await Promise.all(
    Array.from({ length: groups }, async (_, group) => {
      await new Promise((resolve) => setTimeout(resolve, (group * 1000) / groups));
      return runCannon({
        ...options,
        phones: options.phones.filter((_, i) => i % groups === group),
        connections: share(options.connections, group),
        amount: share(amount, group),
        rate: options.rate! / groups,
        onAllAnswered: undefined,
        onResponse: onAnswered,
      });
    }),
  );
  await allAnswered;
  const latencies: Record<string, number[]> = {};
  const statuses: Record<string, number> = {};
  for (const result of results) {
    for (const [status, values] of Object.entries(result.latencies)) (latencies[status] ??= []).push(...values);
    for (const [status, count] of Object.entries(result.statuses)) statuses[status] = (statuses[status] ?? 0) + count;
  }
  const lastResponseAt = Math.max(...results.map((r) => r.endedAt));
  return {
    responses: results.reduce((sum, r) => sum + r.responses, 0),
    statuses,
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    timeouts: results.reduce((sum, r) => sum + r.timeouts, 0),
    seconds: (lastResponseAt - startedAt) / 1000,
    latencies,
    endedAt: lastResponseAt,
  };
}

async function runCannon(options: LoadOptions & { onResponse?: () => void }): Promise<LoadResult> {
  let nextClient = 0;
  const setupClient = (client: Client) => {
    const index = nextClient++;
    const own = options.phones.filter((_, i) => i % options.connections === index % options.phones.length);
    let turn = 0;
    client.setRequests([
      {
        method: 'POST',
        path: WEBHOOK_PATH,
        setupRequest: (request) => {
          const phone = own[turn++ % own.length]!;
          const body = heartbeatBody(phone);
          return { ...request, headers: signWebhook({ key: phone.key, body }), body };
        },
      },
    ]);
  };

  let responses = 0;
  let lastResponseAt = 0;
  let allAnswered: Promise<void> | undefined;
  const startedAt = performance.now();
  const instance = autocannon({
    url: options.baseUrl,
    connections: options.connections,
    ...(options.amount ? { amount: options.amount } : { duration: options.seconds ?? 10 }),
    timeout: 30,
    ...(options.rate ? { overallRate: options.rate } : {}),
    setupClient,
  });
  const latencies: Record<string, number[]> = {};
  instance.on('response', (_client: unknown, status: number, _bytes: number, responseTime: number) => {
    (latencies[status] ??= []).push(responseTime);
    responses++;
    lastResponseAt = performance.now();
    options.onResponse?.();
    if (options.amount && responses === options.amount) allAnswered = Promise.resolve(options.onAllAnswered?.());
  });
  const result = await instance;
  if (!allAnswered && options.onAllAnswered) allAnswered = Promise.resolve(options.onAllAnswered());
  await allAnswered;

  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats).map(([status, { count }]) => [status, count]));
  return {
    responses,
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    seconds: (lastResponseAt - startedAt) / 1000,
    latencies,
    endedAt: lastResponseAt,
  };
}
