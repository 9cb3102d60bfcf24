/**
 * Writes docs/webhook-events.schema.json from the zod schemas in src/webhooks/events.ts.
 * Run after changing them: `npx tsx scripts/generate-webhook-schema.ts`
 * (test/webhooks/schema.test.ts fails while the committed file is stale).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WEBHOOK_SCHEMA_FILE, webhookEventsJsonSchemaText } from '../src/webhooks/events.js';

const target = fileURLToPath(new URL(`../${WEBHOOK_SCHEMA_FILE}`, import.meta.url));
writeFileSync(target, webhookEventsJsonSchemaText());
console.log(`wrote ${WEBHOOK_SCHEMA_FILE}`);
