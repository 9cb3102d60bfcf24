import type { AppContext } from '../context.js';
import type { PhoneFilter } from '../domain/phones.js';
import { PHONES_PER_PAGE, type PhonesPageState, phoneListPage } from '../slack/blocks/phoneList.js';
import { keyLabel } from '../slack/format.js';
import type { SlackMessage } from '../slack/kit.js';

/** A status word of `/keys phones <status>` as the domain's filter. */
function filterOf(status: string): PhoneFilter {
  return { status: status === 'never-seen' ? 'never seen' : (status as 'online') };
}

/**
 * One page of `/keys phones`, from the command (a key given by name or id) or a "Next page"
 * button (the key id it carries): the domain's page, in words.
 */
export async function phonesPage(context: AppContext, state: PhonesPageState & { key?: string }): Promise<SlackMessage> {
  const { domain } = context;
  let filter: PhoneFilter = {};
  let title: string | undefined;
  // A key typed in the command (name or id), or the id a button carries: read once.
  const key =
    state.key !== undefined
      ? await domain.keys.get(state.key)
      : state.keyId !== undefined
        ? await domain.keys.get(`pk_${state.keyId}`)
        : undefined;
  const keyId = key?.keyId;
  if (key) {
    filter = { keyId: key.keyId };
    title = `Phones of ${keyLabel(key)}`;
  } else if (state.status !== undefined) {
    filter = filterOf(state.status);
    const word = state.status.replace('-', ' ');
    title = `${word[0]!.toUpperCase()}${word.slice(1)} phones`;
  }
  const { phones, nextCursor } = await domain.phones.page({ limit: PHONES_PER_PAGE, cursor: state.cursor, filter });
  const next = nextCursor ? { ...(keyId ? { keyId } : {}), ...(state.status ? { status: state.status } : {}), cursor: nextCursor } : null;
  return phoneListPage({ phones, next, title, page: state.page ?? 1 });
}
