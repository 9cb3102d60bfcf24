import type { AppContext } from '../context.js';
import { KEYS_PER_PAGE, type KeysPageState, keyListPage } from '../slack/blocks/keyList.js';
import type { SlackMessage } from '../slack/kit.js';

/**
 * One page of `/keys list`, from the command or a "Next page" button (the cursor it carries): the
 * domain's cursor page, as the management API pages keys, so every key is reachable and a key
 * created or deleted between two pages shifts none of the others.
 */
export async function keysPage(context: AppContext, state: KeysPageState): Promise<SlackMessage> {
  const { keys, nextCursor } = await context.domain.keys.page({ limit: KEYS_PER_PAGE, cursor: state.cursor });
  return keyListPage({ keys, next: nextCursor ? { cursor: nextCursor } : null, page: state.page ?? 1 });
}
