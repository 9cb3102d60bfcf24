import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { EVENT_SCOPES } from '../../src/domain/scopes.js';
import {
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_SCHEMA_FILE,
  webhookEventsJsonSchema,
  webhookEventsJsonSchemaText,
} from '../../src/webhooks/events.js';
import { REPO_ROOT } from '../support/processes.js';

it(`${WEBHOOK_SCHEMA_FILE} is generated from the current zod schemas (else: npx tsx scripts/generate-webhook-schema.ts)`, () => {
  expect(readFileSync(join(REPO_ROOT, WEBHOOK_SCHEMA_FILE), 'utf8')).toBe(webhookEventsJsonSchemaText());
});

it('describes every event type of the README (How a phone signs a request), with E.164 numbers and extra fields allowed', () => {
  const schema = webhookEventsJsonSchema() as {
    oneOf: { properties: { type: { const: string }; data: { additionalProperties: unknown } } }[];
  };
  expect(schema.oneOf.map((s) => s.properties.type.const)).toEqual([
    'phone.registered',
    'phone.heartbeat',
    'message.phone.received',
    'message.phone.sent',
    'message.phone.delivered',
    'message.send.failed',
    'message.send.expired',
    'message.call.missed',
  ]);
  for (const event of schema.oneOf) expect(event.properties.data.additionalProperties).toEqual({});
  expect(JSON.stringify(schema)).toContain('"pattern":"^\\\\+[1-9]\\\\d{6,14}$"');
});

it('says which key scope each event type needs, for every event type the receiver knows', () => {
  expect(Object.keys(EVENT_SCOPES).sort()).toEqual([...WEBHOOK_EVENT_TYPES].sort());
  const schema = webhookEventsJsonSchema() as { oneOf: { properties: { type: { const: string } }; 'x-scope': string | null }[] };
  expect(Object.fromEntries(schema.oneOf.map((s) => [s.properties.type.const, s['x-scope']]))).toEqual({
    'phone.registered': null,
    'phone.heartbeat': 'heartbeat',
    'message.phone.received': 'messages',
    'message.call.missed': 'messages',
    'message.phone.sent': 'sends',
    'message.phone.delivered': 'sends',
    'message.send.failed': 'sends',
    'message.send.expired': 'sends',
  });
});
