import { KEY_STATUSES, type KeyFields, type KeyStatus, type Models } from '../models/index.js';
import { DomainError } from './errors.js';
import { hashKey, parsePublicId } from './keyMaterial.js';
import { type KeyPage, type KeyPageQuery, listKeyPage } from './keyPages.js';
import { type KeyView, PHONE_NUMBERS_PER_VIEW, viewOf } from './keyView.js';

export type KeyRecord = KeyFields & { _id: unknown };

/**
 * The read side of the key domain: finding keys (by `pk_<id>`, name or value), lists and pages,
 * counts, and the views adapters show. `KeyService` (keys.ts) adds the changes on top.
 */
export class KeyDirectory {
  constructor(protected readonly models: Models) {}

  /** `pk_<id>` (any status) or a name (keys not revoked); throws not_found. */
  async get(ref: string): Promise<KeyView> {
    return this.toView(await this.getRecord(ref));
  }

  /** One page of keys, newest first, after an opaque cursor (keyPages.ts). */
  page(query: KeyPageQuery): Promise<KeyPage> {
    return listKeyPage(this.models.Key, query, (records) => this.viewsOf(records));
  }

  /** A key found by its whole value (e.g. a leaked one), whatever its status; throws not_found. */
  async findByValue(key: string): Promise<KeyView> {
    const record = await this.models.Key.findOne({ hash: hashKey(key) }).lean<KeyRecord>();
    if (!record) throw new DomainError('not_found', 'No key has this value.', 'key');
    return this.toView(record);
  }

  /** Keys by status, and active keys due for rotation (for the metrics). */
  async countByStatus(): Promise<Record<KeyStatus | 'rotation_due', number>> {
    // One pass over the {status, rotationDue, …} index.
    const groups = await this.models.Key.aggregate<{ _id: { status: KeyStatus; due: boolean | null }; n: number }>([
      { $match: { status: { $in: KEY_STATUSES } } },
      { $group: { _id: { status: '$status', due: '$rotationDue' }, n: { $sum: 1 } } },
    ]);
    const counts = { active: 0, rotating: 0, revoked: 0, rotation_due: 0 };
    for (const { _id, n } of groups) {
      counts[_id.status] += n;
      if (_id.status === 'active' && _id.due === true) counts.rotation_due += n;
    }
    return counts;
  }

  protected async findRecord(ref: string): Promise<KeyRecord | null> {
    const trimmed = ref.trim();
    const keyId = parsePublicId(trimmed);
    if (keyId) return this.models.Key.findOne({ keyId }).lean<KeyRecord>();
    if (!trimmed) return null;
    return this.models.Key.findOne({ nameLower: trimmed.toLowerCase() }).lean<KeyRecord>();
  }

  protected async getRecord(ref: string): Promise<KeyRecord> {
    const record = await this.findRecord(ref);
    if (!record) throw new DomainError('not_found', `No key called "${ref.trim()}" (give its pk_ id or its name; see /keys list)`, 'key');
    return record;
  }

  /**
   * Views with their linked phones: how many, and the first PHONE_NUMBERS_PER_VIEW numbers in
   * order. One aggregate for all the records, over the {keyId, number} index: a key with
   * thousands of phones costs a count, not thousands of documents.
   */
  async viewsOf(records: KeyRecord[]): Promise<KeyView[]> {
    if (records.length === 0) return [];
    const linked = await this.models.Phone.aggregate<{ _id: string; count: number; numbers: string[] }>([
      { $match: { keyId: { $in: records.map((r) => r.keyId) } } },
      { $sort: { keyId: 1, number: 1 } },
      { $group: { _id: '$keyId', count: { $sum: 1 }, numbers: { $firstN: { input: '$number', n: PHONE_NUMBERS_PER_VIEW } } } },
    ]);
    const phonesOf = new Map(linked.map((l) => [l._id, { count: l.count, numbers: l.numbers }]));
    return records.map((r) => viewOf(r, phonesOf.get(r.keyId) ?? { count: 0, numbers: [] }));
  }

  protected async toView(record: KeyRecord): Promise<KeyView> {
    return (await this.viewsOf([record]))[0]!;
  }
}
