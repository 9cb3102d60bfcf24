import type { Types } from 'mongoose';
import type { AuditEntryModel, KeyModel } from '../models/index.js';
import { parsePublicId } from './keyMaterial.js';
import { keyNames } from './keyNames.js';
import { decodePosition, encodePosition, olderThan, type PagePosition } from './pageCursor.js';

/** Changes per page of the audit trail, not counting the phones' own registrations (folded into runs). */
export const AUDIT_PAGE_SIZE = 20;
/** Entries read per query while filling a page. */
const BATCH = 100;
/** At most this many entries are read for one page: a page ends there even if it holds fewer changes. */
export const AUDIT_PAGE_SCAN_LIMIT = 1000;

/** One entry as the audit trail shows it. */
export interface AuditEntryView {
  at: Date;
  /** A Slack user ID, `api:<token name>`, `system:<job>` or `phone:pk_<id>`. */
  actor: string;
  action: string;
  keyId: string | null;
  phoneNumber: string | null;
  details: Record<string, unknown>;
}

/**
 * A page's lines: a change, or a run of consecutive automatic phone links/unlinks (a phone
 * registering with its key, a job unlinking phones), shown as one line.
 */
export type AuditItem = { kind: 'entry'; entry: AuditEntryView } | { kind: 'phones'; entries: AuditEntryView[] };

export interface AuditFilter {
  keyId?: string;
  /** Exact actor. */
  actor?: string;
}

export interface AuditPage {
  items: AuditItem[];
  /** The name of every key the page mentions (by entry or in its details), by key id; absent when unknown. */
  keyNames: Map<string, string>;
  /** Null on the last page. */
  nextCursor: string | null;
}

/** A phone linked or unlinked by the phone itself or a job: noise a person folds away, not a person's change. */
export function isAutomaticPhoneChange(entry: Pick<AuditEntryView, 'actor' | 'action'>): boolean {
  return (entry.action === 'phone.linked' || entry.action === 'phone.unlinked') && /^(phone|system):/.test(entry.actor);
}

/** Entries newest first → items: each run of two or more automatic phone changes becomes one. */
export function groupAutomaticPhoneChanges(entries: AuditEntryView[]): AuditItem[] {
  const items: AuditItem[] = [];
  let run: AuditEntryView[] = [];
  const flush = () => {
    if (run.length === 1) items.push({ kind: 'entry', entry: run[0]! });
    else if (run.length > 1) items.push({ kind: 'phones', entries: run });
    run = [];
  };
  for (const entry of entries) {
    if (isAutomaticPhoneChange(entry)) run.push(entry);
    else {
      flush();
      items.push({ kind: 'entry', entry });
    }
  }
  flush();
  return items;
}

type Stored = AuditEntryView & { _id: Types.ObjectId };

/**
 * One page of the audit trail, newest first in (at, _id) order: `size` changes, with the
 * automatic phone changes around them (however many, up to AUDIT_PAGE_SCAN_LIMIT entries read).
 * The cursor is the position of the page's last entry, so a walk sees each entry once whatever
 * is written meanwhile. Every read is served by an index on (filter fields, at, _id).
 */
export async function readAuditPage(
  models: { AuditEntry: AuditEntryModel; Key: KeyModel },
  { filter = {}, cursor, size = AUDIT_PAGE_SIZE }: { filter?: AuditFilter; cursor?: string; size?: number },
): Promise<AuditPage> {
  let position = cursor === undefined ? undefined : decodePosition(cursor);
  const read = (limit: number, from: PagePosition | undefined) =>
    models.AuditEntry.find(queryOf(filter, from)).sort({ at: -1, _id: -1 }).limit(limit).lean<Stored[]>();

  const taken: Stored[] = [];
  let changes = 0;
  let more = false;
  fill: while (taken.length < AUDIT_PAGE_SCAN_LIMIT) {
    const batch = await read(Math.min(BATCH, AUDIT_PAGE_SCAN_LIMIT - taken.length), position);
    for (const [i, entry] of batch.entries()) {
      const counts = !isAutomaticPhoneChange(entry);
      // The page is full: the next change (and any phone changes before it) starts the next page.
      if (counts && changes === size) {
        more = true;
        break fill;
      }
      if (counts) changes += 1;
      taken.push(entry);
      position = { at: entry.at, id: entry._id };
      if (taken.length === AUDIT_PAGE_SCAN_LIMIT) {
        more = i < batch.length - 1 || (await read(1, position)).length > 0;
        break fill;
      }
    }
    if (batch.length < BATCH) break;
  }
  const last = taken[taken.length - 1];
  const entries = taken.map(({ _id, ...entry }) => ({ ...entry, details: entry.details ?? {} }));
  return {
    items: groupAutomaticPhoneChanges(entries),
    keyNames: await keyNamesOf(models.Key, entries),
    nextCursor: more && last ? encodePosition({ at: last.at, id: last._id }) : null,
  };
}

function queryOf(filter: AuditFilter, from: PagePosition | undefined): Record<string, unknown> {
  const conditions: Record<string, unknown>[] = [];
  if (filter.keyId !== undefined) conditions.push({ keyId: filter.keyId });
  if (filter.actor !== undefined) conditions.push({ actor: filter.actor });
  if (from) conditions.push(olderThan('at', from));
  return conditions.length ? { $and: conditions } : {};
}

/** The names of the keys entries are about, or name in their details (`successor: pk_…`): one read. */
async function keyNamesOf(Key: KeyModel, entries: AuditEntryView[]): Promise<Map<string, string>> {
  const ids = new Set<string>();
  for (const entry of entries) {
    if (entry.keyId) ids.add(entry.keyId);
    for (const value of Object.values(entry.details)) {
      const id = typeof value === 'string' ? parsePublicId(value) : undefined;
      if (id) ids.add(id);
    }
  }
  return keyNames(Key, ids);
}
