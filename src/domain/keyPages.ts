import { Types } from 'mongoose';
import { KEY_ENVIRONMENTS, KEY_STATUSES, type KeyEnvironment, type KeyModel, type KeyStatus } from '../models/index.js';
import { DomainError } from './errors.js';
import type { KeyRecord } from './keyDirectory.js';
import type { KeyView } from './keyView.js';

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

interface Position {
  createdAt: Date;
  id: Types.ObjectId;
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
  if (query.cursor !== undefined) {
    const after = decodeCursor(query.cursor);
    conditions.push({ $or: [{ createdAt: { $lt: after.createdAt } }, { createdAt: after.createdAt, _id: { $lt: after.id } }] });
  }
  // One more than asked for tells whether another page follows.
  const records = await Key.find({ $and: conditions })
    .sort({ createdAt: -1, _id: -1 })
    .limit(limit + 1)
    .lean<KeyRecord[]>();
  const page = records.slice(0, limit);
  const last = page[page.length - 1];
  const nextCursor = records.length > limit && last ? encodeCursor({ createdAt: last.createdAt, id: last._id as Types.ObjectId }) : null;
  return { keys: await viewsOf(page), nextCursor };
}

function encodeCursor(position: Position): string {
  return Buffer.from(`${position.createdAt.getTime()}.${position.id.toHexString()}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): Position {
  const match = /^(\d{1,15})\.([0-9a-f]{24})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new DomainError('invalid', 'cursor is not one this API returned (pass next_cursor as it came).', 'cursor');
  return { createdAt: new Date(Number(match[1])), id: new Types.ObjectId(match[2]) };
}
