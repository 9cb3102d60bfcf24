import type { AppContext } from '../context.js';
import { AUDIT_PAGE_SIZE } from '../domain/auditPages.js';
import { type AuditPageState, auditListPage } from '../slack/blocks/auditList.js';
import type { SlackMessage } from '../slack/kit.js';

/**
 * One page of `/keys audit`, from the command (a key given by name or id, a person) or an
 * "Older" button (the key id, actor and cursor it carries): the domain's page, in sentences.
 */
export async function auditPage(context: AppContext, state: AuditPageState & { key?: string }): Promise<SlackMessage> {
  const { domain } = context;
  const key = state.key !== undefined || state.keyId !== undefined ? await domain.keys.get(state.key ?? `pk_${state.keyId}`) : undefined;
  const filter = { ...(key ? { keyId: key.keyId } : {}), ...(state.actor !== undefined ? { actor: state.actor } : {}) };
  const { items, keyNames, nextCursor } = await domain.audit.page({ filter, cursor: state.cursor, size: AUDIT_PAGE_SIZE });
  return auditListPage({
    items,
    keyNames,
    key: key ? { keyId: key.keyId, name: key.name } : undefined,
    actor: state.actor,
    next: nextCursor ? { ...filter, cursor: nextCursor } : null,
    page: state.page ?? 1,
  });
}
