/**
 * The phone simulator: `npm run simulate -- --help`.
 * Signs every request exactly as a phone must (src/webhooks/signing.ts), prints each
 * response's status and body, and exits non-zero when a request fails.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { PHONE_WEBHOOK_PATH } from '../config.js';
import { KEY_PATTERN } from '../domain/keyMaterial.js';
import { isE164 } from '../domain/phoneNumbers.js';
import { signWebhook } from '../webhooks/signing.js';

export const USAGE = `phone simulator: signed webhooks to phonekeys, as an SMS-gateway phone sends them

usage: npm run simulate -- [--url URL] [--key KEY] <command> [options]

  register  --numbers +2348012345678[,+2348012345679]
            link the numbers (1 or 2) to the key (phone.registered)
  heartbeat [--phones N] [--base +2348000000000] [--interval 30s] [--count K]
            register N phones (numbers base, base+1, …), then send K rounds of heartbeats,
            one round every interval (K = 0: until interrupted)
  event     --type message.phone.received --data '{"phone_number":"+2348012345678","from":"+15550100","content":"hi"}'
            post any event (the data object as JSON)

options
  --url URL        the server (default http://127.0.0.1:3000, or PHONEKEYS_URL)
  --key KEY        the whole phone key pk_<id>_<secret> (default: PHONEKEYS_KEY; prefer that,
                   it keeps the key out of your shell history)
  --id ID          the webhook-id to send (register/event; reuse one to see a duplicate answered 200)
  --quiet          heartbeat: print only failures and the summary
  -h, --help       this text

Each response is printed as "<status> <body>". Exit status 1 if any request failed.`;

export interface Output {
  log(line: string): void;
  error(line: string): void;
}

interface Context {
  url: URL;
  key: string;
  out: Output;
}

/** Runs the simulator; resolves with the process exit status. */
export async function simulate(argv: string[], out: Output = console, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed: ReturnType<typeof parseSimulatorArgs>;
  try {
    parsed = parseSimulatorArgs(argv);
  } catch (error) {
    return usageError(out, (error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    out.log(USAGE);
    return values.help ? 0 : 2;
  }
  const [command, ...extra] = positionals;
  if (extra.length > 0) return usageError(out, `unexpected argument: ${extra[0]}`);

  const key = values.key ?? env.PHONEKEYS_KEY;
  if (!key) return usageError(out, 'give the phone key with --key or PHONEKEYS_KEY');
  if (!KEY_PATTERN.test(key))
    return usageError(out, 'the key must be a whole phone key: pk_<id>_<secret> (76 characters, or 55 for an ed25519 key)');
  let url: URL;
  try {
    url = new URL(PHONE_WEBHOOK_PATH, values.url ?? env.PHONEKEYS_URL ?? 'http://127.0.0.1:3000');
  } catch {
    return usageError(out, `not a URL: ${values.url}`);
  }
  const context: Context = { url, key, out };

  switch (command) {
    case 'register': {
      const numbers = (values.numbers ?? '')
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean);
      if (numbers.length < 1 || numbers.length > 2)
        return usageError(out, 'register needs --numbers with one or two E.164 numbers, comma-separated');
      const bad = numbers.find((n) => !isE164(n));
      if (bad) return usageError(out, `not an E.164 number: ${bad} (like +2348012345678)`);
      const ok = await send(
        context,
        'phone.registered',
        { phone_numbers: numbers, device: { model: 'phonekeys-simulator', app_version: '1.0' } },
        values.id,
      );
      return ok ? 0 : 1;
    }
    case 'event': {
      if (!values.type) return usageError(out, 'event needs --type (e.g. message.phone.received)');
      let data: unknown;
      try {
        data = JSON.parse(values.data ?? '{}');
      } catch (error) {
        return usageError(out, `--data is not JSON: ${(error as Error).message}`);
      }
      if (typeof data !== 'object' || data === null || Array.isArray(data)) return usageError(out, '--data must be a JSON object');
      const ok = await send(context, values.type, data as Record<string, unknown>, values.id);
      return ok ? 0 : 1;
    }
    case 'heartbeat': {
      const phones = wholeNumber(values.phones ?? '1');
      const count = wholeNumber(values.count ?? '1');
      const intervalMs = parseDuration(values.interval ?? '30s');
      if (phones === undefined || phones < 1) return usageError(out, '--phones must be a whole number ≥ 1');
      if (count === undefined) return usageError(out, '--count must be a whole number (0: until interrupted)');
      if (intervalMs === undefined) return usageError(out, '--interval must be a duration like 30s, 500ms, 2m');
      const numbers = numbersFrom(values.base ?? '+2348000000000', phones);
      if (!numbers) return usageError(out, '--base must be an E.164 number with room for --phones numbers after it');
      return (await heartbeats(context, numbers, count, intervalMs, values.quiet ?? false)) ? 0 : 1;
    }
    default:
      return usageError(out, `unknown command: ${command} (register, heartbeat or event)`);
  }
}

/** Registers every number (one phone each), then heartbeats them `count` rounds. */
async function heartbeats(context: Context, numbers: string[], count: number, intervalMs: number, quiet: boolean): Promise<boolean> {
  const quietContext = quiet ? { ...context, out: { log: () => {}, error: context.out.error } } : context;
  let sent = 0;
  let failed = 0;
  const tally = (ok: boolean) => {
    sent++;
    if (!ok) failed++;
  };
  await inParallel(numbers, async (number) =>
    tally(await send(quietContext, 'phone.registered', { phone_numbers: [number], device: { model: 'phonekeys-simulator' } })),
  );
  for (let round = 1; count === 0 || round <= count; round++) {
    const started = Date.now();
    await inParallel(numbers, async (number, index) =>
      tally(
        await send(quietContext, 'phone.heartbeat', {
          phone_numbers: [number],
          charging: index % 2 === 0,
          battery: 100 - ((index + round) % 60),
        }),
      ),
    );
    if (count !== 0 && round === count) break;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, intervalMs - (Date.now() - started))));
  }
  context.out.log(`${numbers.length} phones, ${sent} requests, ${failed} failed`);
  return failed === 0;
}

/** Signs and posts one event; prints "<status> <body>"; true for a 2xx answer. */
async function send(context: Context, type: string, data: Record<string, unknown>, webhookId?: string): Promise<boolean> {
  const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data });
  const headers = signWebhook({ key: context.key, body, webhookId });
  const label = `${type} ${String(data.phone_numbers ?? data.phone_number ?? '')}`.trim();
  try {
    const response = await fetch(context.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(15_000) });
    const text = (await response.text()).trim();
    const line = `${label}: ${response.status} ${text}`;
    if (response.ok) context.out.log(line);
    else context.out.error(line);
    return response.ok;
  } catch (error) {
    context.out.error(`${label}: request failed: ${(error as Error).message}`);
    return false;
  }
}

async function inParallel<T>(items: T[], work: (item: T, index: number) => Promise<void>, limit = 32): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** `+2348000000000`, 3 → +2348000000000, +2348000000001, +2348000000002 */
export function numbersFrom(base: string, count: number): string[] | undefined {
  if (!isE164(base)) return undefined;
  const first = BigInt(base.slice(1));
  const numbers = Array.from({ length: count }, (_, i) => `+${first + BigInt(i)}`);
  return numbers.every(isE164) ? numbers : undefined;
}

/** `30s`, `500ms`, `2m`, `1h`, or plain seconds. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

function wholeNumber(text: string): number | undefined {
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

function usageError(out: Output, message: string): number {
  out.error(`simulate: ${message}\n(npm run simulate -- --help)`);
  return 2;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await simulate(process.argv.slice(2));
}

/** The simulator's command line (throws on an unknown option). */
function parseSimulatorArgs(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      key: { type: 'string' },
      numbers: { type: 'string' },
      phones: { type: 'string' },
      base: { type: 'string' },
      interval: { type: 'string' },
      count: { type: 'string' },
      type: { type: 'string' },
      data: { type: 'string' },
      id: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
