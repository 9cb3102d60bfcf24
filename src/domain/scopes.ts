import type { KeyScope } from '../models/index.js';

/**
 * The scope each phone event needs (null: always allowed). A key scoped to heartbeats only
 * cannot inject SMS traffic if it leaks. The README and docs/webhook-events.schema.json say
 * the same, from this table.
 */
export const EVENT_SCOPES: Readonly<Record<string, KeyScope | null>> = {
  'phone.registered': null,
  'phone.heartbeat': 'heartbeat',
  'message.phone.received': 'messages',
  'message.call.missed': 'messages',
  'message.phone.sent': 'sends',
  'message.phone.delivered': 'sends',
  'message.send.failed': 'sends',
  'message.send.expired': 'sends',
};

/** The scope a key lacks to send this event, or undefined when it may. */
export function missingScope(scopes: readonly KeyScope[], eventType: string): KeyScope | undefined {
  const needed = EVENT_SCOPES[eventType];
  return needed && !scopes.includes(needed) ? needed : undefined;
}
