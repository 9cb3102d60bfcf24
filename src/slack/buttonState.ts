import { type Block, button, LIMITS } from './kit.js';

/**
 * What a paging button carries in its value (the next page's filters and cursor), as JSON. Slack
 * echoes the value back from the user's client, so decoding trusts nothing: only the named string
 * fields and a whole page number from 1 survive; anything else reads as the first page, unfiltered.
 */
export function encodeButtonState(state: object): string {
  const value = JSON.stringify(state);
  // Cursors and filters are short (ids, a status word, an actor): a longer value is a bug, and Slack would refuse the message.
  if (value.length > LIMITS.buttonValue)
    throw new Error(`a paging button's value is ${value.length} characters (Slack's limit is ${LIMITS.buttonValue})`);
  return value;
}

export function decodeButtonState<Field extends string>(
  value: string | undefined,
  fields: readonly Field[],
): Partial<Record<Field, string>> & { page?: number } {
  let parsed: Record<string, unknown>;
  try {
    parsed = Object(JSON.parse(value ?? '{}')) as Record<string, unknown>;
  } catch {
    return {};
  }
  const state: Partial<Record<Field, string>> & { page?: number } = {};
  const { page } = parsed;
  if (typeof page === 'number' && Number.isInteger(page) && page > 0) state.page = page;
  for (const field of fields) {
    const found = parsed[field];
    if (typeof found === 'string') state[field] = found as (typeof state)[Field];
  }
  return state;
}

/**
 * Where a list paged by the domain's opaque cursor is (`/keys list`, `/keys phones`, `/keys audit`):
 * the cursor the page starts after, and its number (from 1) to show. Each list adds its filters.
 */
export interface CursorPageState {
  cursor?: string;
  page?: number;
}

/** The block under a page: one button ("Next page", "Older") whose value is the next page's state. */
export function pagerBlock(blockId: string, label: string, actionId: string, next: CursorPageState): Block {
  return { type: 'actions', block_id: blockId, elements: [button(label, actionId, encodeButtonState(next))] };
}
