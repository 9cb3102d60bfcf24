/**
 * What a paging button carries in its value (the next page's filters and cursor), as JSON. Slack
 * echoes the value back from the user's client, so decoding trusts nothing: only the named string
 * fields and a whole page number from 1 survive; anything else reads as the first page, unfiltered.
 */
export const encodeButtonState = (state: object): string => JSON.stringify(state);

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
