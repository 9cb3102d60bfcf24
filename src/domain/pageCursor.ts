import { Types } from 'mongoose';
import { DomainError } from './errors.js';

/**
 * Where a page of a newest-first list ended: a time fixed when the document was written, and
 * its `_id` to order documents of the same millisecond. Opaque to callers (base64url).
 */
export interface PagePosition {
  at: Date;
  id: Types.ObjectId;
}

export function encodePosition(position: PagePosition): string {
  return Buffer.from(`${position.at.getTime()}.${position.id.toHexString()}`, 'utf8').toString('base64url');
}

export function decodePosition(cursor: string): PagePosition {
  const match = /^(\d{1,15})\.([0-9a-f]{24})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new DomainError('invalid', 'cursor is not one this API returned (pass next_cursor as it came).', 'cursor');
  return { at: new Date(Number(match[1])), id: new Types.ObjectId(match[2]) };
}

/** The condition "older than `position`" on (`field`, _id), both descending: one range an index on them serves. */
export const olderThan = (field: string, position: PagePosition): Record<string, unknown> => ({
  $or: [{ [field]: { $lt: position.at } }, { [field]: position.at, _id: { $lt: position.id } }],
});
