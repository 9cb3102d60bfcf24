import type { Types } from 'mongoose';
import { KEY_ENVIRONMENTS, KEY_STATUSES, type KeyEnvironment, type KeyModel, type KeyStatus } from '../models/index.js';
import { DomainError } from './errors.js';
import type { KeyRecord } from './keyDirectory.js';
import type { KeyView } from './keyView.js';
import { decodePosition, encodePosition, olderThan } from './pageCursor.js';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 50;

export interface KeyPageQuery {
  /** Exact creator: a Slack user ID or `api:<token name>`. */
  creator?: string;
  /** Default: every key not revoked. */
  status?: KeyStatus;
  environment?: KeyEnvironment;
  /** 1–100, default 50. */
  limit?: number;
  /** From the previous page's `nextCursor`. */
  cursor?: string;
}

export interface KeyPage {
  keys: KeyView[];
  /** Null on the last page. */
  nextCursor: string | null;
}

/**
 * Keys newest first, in pages. The order is (createdAt, _id) descending, both fixed at
 * creation, and a cursor is the position of the page's last key: walking the pages sees
 * every key that existed when the walk began exactly once, however many are created
 * meanwhile (new keys sort before the walk's position). Each filter has its index.
 */
export async function listKeyPage(
  Key: KeyModel,
  query: KeyPageQuery,
  viewsOf: (records: KeyRecord[]) => Promise<KeyView[]>,
): Promise<KeyPage> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE)
    throw new DomainError('invalid', `limit is a whole number from 1 to ${MAX_PAGE_SIZE}.`, 'limit');
  if (query.status !== undefined && !KEY_STATUSES.includes(query.status))
    throw new DomainError('invalid', `status is one of ${KEY_STATUSES.join(', ')}.`, 'status');
  if (query.environment !== undefined && !KEY_ENVIRONMENTS.includes(query.environment))
    throw new DomainError('invalid', `environment is one of ${KEY_ENVIRONMENTS.join(', ')}.`, 'environment');

  const conditions: Record<string, unknown>[] = [];
  conditions.push({ status: query.status ?? { $in: KEY_STATUSES.filter((s) => s !== 'revoked') } });
  if (query.creator !== undefined) conditions.push({ createdBy: query.creator });
  // Keys stored before environments existed have none: they are live.
  if (query.environment === 'live') conditions.push({ environment: { $in: ['live', null] } });
  else if (query.environment) conditions.push({ environment: query.environment });
  if (query.cursor !== undefined) conditions.push(olderThan('createdAt', decodePosition(query.cursor)));
  // One more than asked for tells whether another page follows.
  const records = await Key.find({ $and: conditions })
    .sort({ createdAt: -1, _id: -1 })
    .limit(limit + 1)
    .lean<KeyRecord[]>();
  const page = records.slice(0, limit);
  const last = page[page.length - 1];
  const nextCursor = records.length > limit && last ? encodePosition({ at: last.createdAt, id: last._id as Types.ObjectId }) : null;
  return { keys: await viewsOf(page), nextCursor };
}
