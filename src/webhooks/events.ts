/**
 * The phone webhook events (README: How a phone signs a request) as zod schemas: the one source of the checks the
 * receiver makes and of docs/webhook-events.schema.json (`npm run` the generator in
 * scripts/generate-webhook-schema.ts after changing them; a test fails when it is stale).
 * Unknown extra fields are kept (loose objects): newer phone apps may send more.
 */
import { z } from 'zod';
import { E164_PATTERN } from '../domain/phoneNumbers.js';
import { EVENT_SCOPES } from '../domain/scopes.js';

/** "is required" for a missing field, else what the value must be. */
const expected = (what: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `must be ${what}`);

const phoneNumber = z
  .string({ error: expected('a string') })
  .regex(E164_PATTERN, 'must be an E.164 number (like +2348012345678)')
  .describe('E.164 phone number');

const phoneNumbers = z
  .array(phoneNumber, { error: expected('an array of E.164 numbers') })
  .min(1, 'must list at least one number')
  .max(2, 'must list at most two numbers')
  .describe("The phone's own numbers (one per SIM)");

const text = (max: number) =>
  z
    .string({ error: expected('a string') })
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`);

const messageId = text(256).describe("The phone app's id of the message");
const sender = text(64).describe('Sender: a phone number, short code or alphanumeric sender id');
const sim = z.union([z.string().max(32), z.int()], { error: 'must be a SIM name or number (like "SIM1" or 1)' }).describe('Which SIM');

const data = <Shape extends z.ZodRawShape>(shape: Shape) => z.looseObject(shape, { error: expected('an object') });

const event = <Type extends string, Data extends z.ZodType>(type: Type, description: string, dataSchema: Data) =>
  z
    .looseObject(
      {
        type: z.literal(type),
        timestamp: z.iso
          .datetime({ offset: true, error: expected('an ISO 8601 date-time with a time zone (like 2026-11-22T10:00:00Z)') })
          .describe('When the event happened on the phone'),
        data: dataSchema,
      },
      { error: expected('a JSON object') },
    )
    .meta({ title: type, description: `${description} ${scopeSentence(type)}`, 'x-scope': EVENT_SCOPES[type] ?? null });

/** Which key scope the event needs (src/domain/scopes.ts), said in its description and as `x-scope`. */
const scopeSentence = (type: string): string => {
  const scope = EVENT_SCOPES[type];
  return scope ? `Needs the key scope "${scope}".` : "Always allowed, whatever the key's scopes.";
};

export const phoneRegistered = event(
  'phone.registered',
  "The phone app's login: links the numbers to the signing key (and unlinks them from any other key).",
  data({
    phone_numbers: phoneNumbers,
    device: z
      .looseObject(
        {
          model: z
            .string({ error: expected('a string') })
            .max(128)
            .optional(),
          app_version: z
            .string({ error: expected('a string') })
            .max(64)
            .optional(),
        },
        { error: expected('an object') },
      )
      .optional()
      .describe('The device: model, app version'),
  }),
);

export const phoneHeartbeat = event(
  'phone.heartbeat',
  'The phone is alive: updates its last seen, charging and battery.',
  data({
    phone_numbers: phoneNumbers,
    charging: z.boolean({ error: expected('true or false') }).optional(),
    battery: z
      .number({ error: expected('a number from 0 to 100') })
      .min(0, 'must be a number from 0 to 100')
      .max(100, 'must be a number from 0 to 100')
      .optional()
      .describe('Battery level, percent'),
  }),
);

export const messageReceived = event(
  'message.phone.received',
  'The phone received an SMS.',
  data({
    phone_number: phoneNumber,
    from: sender,
    content: z.string({ error: expected('a string') }),
    message_id: messageId.optional(),
    sim: sim.optional(),
  }),
);

export const messageSent = event(
  'message.phone.sent',
  'The phone sent an SMS.',
  data({ phone_number: phoneNumber, message_id: messageId, to: sender.optional() }),
);

export const messageDelivered = event(
  'message.phone.delivered',
  'An SMS the phone sent was delivered.',
  data({ phone_number: phoneNumber, message_id: messageId }),
);

export const messageFailed = event(
  'message.send.failed',
  'The phone could not send an SMS.',
  data({ phone_number: phoneNumber, message_id: messageId, reason: text(1024) }),
);

export const messageExpired = event(
  'message.send.expired',
  'An SMS expired before the phone could send it.',
  data({ phone_number: phoneNumber, message_id: messageId }),
);

export const callMissed = event(
  'message.call.missed',
  'The phone missed a call.',
  data({ phone_number: phoneNumber, from: sender, sim: sim.optional() }),
);

export const WEBHOOK_EVENT_SCHEMAS = {
  'phone.registered': phoneRegistered,
  'phone.heartbeat': phoneHeartbeat,
  'message.phone.received': messageReceived,
  'message.phone.sent': messageSent,
  'message.phone.delivered': messageDelivered,
  'message.send.failed': messageFailed,
  'message.send.expired': messageExpired,
  'message.call.missed': callMissed,
} as const;

export type WebhookEventType = keyof typeof WEBHOOK_EVENT_SCHEMAS;
export const WEBHOOK_EVENT_TYPES = Object.keys(WEBHOOK_EVENT_SCHEMAS) as WebhookEventType[];

export const webhookEventSchema = z.discriminatedUnion('type', [
  phoneRegistered,
  phoneHeartbeat,
  messageReceived,
  messageSent,
  messageDelivered,
  messageFailed,
  messageExpired,
  callMissed,
]);

export type WebhookEvent = z.infer<typeof webhookEventSchema>;

export type ParsedEvent = { ok: true; event: WebhookEvent } | { ok: false; reason: 'unknown_type' | 'invalid_field'; message: string };

/** Checks a parsed JSON body; the message names the first bad field (`data.phone_numbers[0]: …`). */
export function parseWebhookEvent(body: unknown): ParsedEvent {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, reason: 'invalid_field', message: 'body: must be a JSON object like {"type": …, "timestamp": …, "data": {…}}' };
  }
  const type = (body as { type?: unknown }).type;
  if (type === undefined) return { ok: false, reason: 'invalid_field', message: 'type: is required' };
  if (typeof type !== 'string' || !Object.hasOwn(WEBHOOK_EVENT_SCHEMAS, type)) {
    const shown = typeof type === 'string' ? `"${type.slice(0, 64)}"` : JSON.stringify(type)?.slice(0, 64);
    return {
      ok: false,
      reason: 'unknown_type',
      message: `type: unknown event type ${shown} (expected one of ${WEBHOOK_EVENT_TYPES.join(', ')})`,
    };
  }
  const parsed = WEBHOOK_EVENT_SCHEMAS[type as WebhookEventType].safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, reason: 'invalid_field', message: `${fieldPath(issue.path)}: ${issue.message}` };
  }
  const unstorable = unstorableField(parsed.data.data, ['data']);
  if (unstorable) return { ok: false, reason: 'invalid_field', message: unstorable };
  return { ok: true, event: parsed.data as WebhookEvent };
}

const MAX_DEPTH = 16;

/**
 * Extra fields are stored as they come, so they must be storable: no field name that
 * MongoDB reads as an operator or a path (`$…`, `a.b`), no absurd nesting. A database
 * error here would be a 503, and the phone would retry forever.
 * `path` is where `value` is; it is extended in place while walking (every request walks its body).
 */
function unstorableField(value: unknown, path: (string | number)[]): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (path.length > MAX_DEPTH) return `${fieldPath(path)}: nested too deep (at most ${MAX_DEPTH} levels)`;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const problem = within(path, index, value[index]);
      if (problem) return problem;
    }
    return undefined;
  }
  for (const name of Object.keys(value)) {
    if (name.startsWith('$') || name.includes('.') || name.includes('\0')) {
      return `${fieldPath(path)}: field name ${JSON.stringify(name.slice(0, 40))} may not start with "$" or contain "."`;
    }
    const problem = within(path, name, (value as Record<string, unknown>)[name]);
    if (problem) return problem;
  }
  return undefined;
}

function within(path: (string | number)[], step: string | number, child: unknown): string | undefined {
  if (typeof child !== 'object' || child === null) return undefined;
  path.push(step);
  const problem = unstorableField(child, path);
  path.pop();
  return problem;
}

/** ['data', 'phone_numbers', 0] → `data.phone_numbers[0]` */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
  return out || 'body';
}

/** The phone numbers an event is about: all of them must be linked to the signing key. */
export function phoneNumbersOf(event: WebhookEvent): string[] {
  const numbers =
    event.type === 'phone.registered' || event.type === 'phone.heartbeat' ? event.data.phone_numbers : [event.data.phone_number];
  return [...new Set(numbers)];
}

/** JSON Schema (draft 2020-12) of every event, generated from the zod schemas above. */
export function webhookEventsJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(webhookEventSchema, { target: 'draft-2020-12' });
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: 'https://phonekeys.example.com/schemas/webhook-events.schema.json',
    title: 'phonekeys phone webhook events',
    description:
      "The body of POST /webhooks/phone (see the README: How a phone signs a request). Each event says which key scope it needs (`x-scope`; null: always allowed); an event outside the signing key's scopes is refused with 403. Generated from src/webhooks/events.ts by scripts/generate-webhook-schema.ts: do not edit by hand.",
    ...rest,
  };
}

/** Where the generated schema is committed, relative to the repository root. */
export const WEBHOOK_SCHEMA_FILE = 'docs/webhook-events.schema.json';

/** The file's exact text (what the generator writes and the staleness test compares). */
export function webhookEventsJsonSchemaText(): string {
  return `${JSON.stringify(webhookEventsJsonSchema(), null, 2)}\n`;
}
