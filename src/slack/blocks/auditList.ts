import { AUDIT_PAGE_SIZE, type AuditItem } from '../../domain/auditPages.js';
import { publicIdOf } from '../../domain/keyMaterial.js';
import { type CursorPageState, decodeButtonState, pagerBlock } from '../buttonState.js';
import { escapeText, type KeyRef, keyLabel } from '../format.js';
import { ActionId } from '../ids.js';
import { type Block, context, header, LIMITS, linesToSections, type SlackMessage, section } from '../kit.js';
import { actorText, auditLine, phoneRunLine } from './auditSentences.js';

/** Which entries a page of `/keys audit` shows, as its "Older" button carries it. */
export interface AuditPageState extends CursorPageState {
  keyId?: string;
  /** Exact actor: a Slack user ID, `api:<token name>`, `system:<job>`, `phone:pk_<id>`. */
  actor?: string;
}

export const decodeAuditPage = (value: string | undefined): AuditPageState => decodeButtonState(value, ['keyId', 'actor', 'cursor']);

/** What a page lists, for its title: all changes, one key's, one actor's, or both. */
function titles(key: KeyRef | undefined, actor: string | undefined) {
  const plain = key ? `Audit: ${key.name ? `${key.name} (${publicIdOf(key.keyId)})` : publicIdOf(key.keyId)}` : 'Audit: recent changes';
  const filter = [key ? `to ${keyLabel(key)}` : '', actor ? `by ${actorText(actor)}` : ''].filter(Boolean).join(' ');
  return { plain, filter };
}

/**
 * One page of `/keys audit` (README: Using /keys): one sentence per change, newest first; runs
 * of phones registering themselves folded into one line each; an "Older" button while more
 * remain. `keyNames` names the keys the entries mention.
 */
export function auditListPage({
  items,
  keyNames,
  key,
  actor,
  next,
  page = 1,
}: {
  items: AuditItem[];
  keyNames: ReadonlyMap<string, string>;
  /** The key the page is filtered by. */
  key?: KeyRef;
  /** The actor the page is filtered by. */
  actor?: string;
  /** The state of the next page, when there is one. */
  next: AuditPageState | null;
  page?: number;
}): SlackMessage {
  const { plain, filter } = titles(key, actor);
  if (items.length === 0) {
    const none = filter ? `No changes ${filter}.` : 'No changes yet.';
    return { text: none, blocks: [section(page > 1 ? `${none} (no more pages)` : none)] };
  }
  const lines = items.map((item) => (item.kind === 'entry' ? auditLine(item.entry, keyNames) : phoneRunLine(item.entries, keyNames)));
  const pager: Block[] = next ? [pagerBlock('audit_pager', 'Older', ActionId.auditPage, { ...next, page: page + 1 })] : [];
  const top: Block[] = [
    header(plain),
    context(
      `${filter ? `Changes ${filter} · ` : ''}page ${page}, newest first. Up to ${AUDIT_PAGE_SIZE} changes a page; phones registering themselves are folded into one :iphone: line. \`/keys audit [key] [@person]\` filters.`,
    ),
  ];
  const sections = linesToSections(lines).slice(0, LIMITS.blocksPerMessage - top.length - pager.length);
  return {
    text: `${escapeText(plain)}${actor ? ` by ${actorText(actor)}` : ''} (page ${page})`,
    blocks: [...top, ...sections, ...pager],
  };
}
