import type { ApiTokenModel, KeyModel } from '../models/index.js';
import type { AuditLog } from './audit.js';
import type { Clock } from './clock.js';
import { publicIdOf } from './keyMaterial.js';
import type { Outbox } from './outbox.js';
import { revealRedactionRef } from './outboxRefs.js';

/** What was revealed: a phone key (its DM also has a QR file) or a management API token. */
export interface RevealSubject {
  kind: 'key' | 'token';
  model: KeyModel | ApiTokenModel;
  /** The document's id field: `keyId` or `tokenId`. */
  idField: 'keyId' | 'tokenId';
  /** `pk_<id>` / `mk_<id>`. */
  publicIdOf(id: string): string;
}

/** One model type for the queries below: both models share the `reveal` subdocument and `name`. */
type AnyRevealModel = KeyModel;

/**
 * Bookkeeping of a reveal-once DM (README: Using /keys), keys and API tokens alike. Its
 * redaction is a message owed in the Slack outbox from before the DM is posted: due
 * REVEAL_TTL_MINUTES later, or at once when its recipient presses "Saved it — hide". The
 * outbox's claims expire, so a redaction interrupted by a crash or a shutdown is done by the
 * next run; and the DM carries the outbox id in its metadata, so even a DM whose ts was never
 * recorded is found and redacted. The secret's `reveal` subdocument records where the DM is and
 * when it was redacted. Knows nothing of Slack: channel/ts/fileId are opaque to it.
 */
export class RevealLedger {
  private readonly model: AnyRevealModel;

  constructor(
    private readonly subject: RevealSubject,
    private readonly outbox: Outbox,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly options: { revealTtlMs: number },
  ) {
    this.model = subject.model as AnyRevealModel;
  }

  private byId(id: string): Record<string, string> {
    return { [this.subject.idField]: id };
  }

  private ref(id: string) {
    return revealRedactionRef(this.subject.kind, id);
  }

  /** Audit entries of keys name the key; those of tokens name the token in their details. */
  private auditTarget(id: string): { keyId?: string; details: Record<string, unknown> } {
    return this.subject.kind === 'key' ? { keyId: id, details: {} } : { details: { token: this.subject.publicIdOf(id) } };
  }

  /**
   * Before the DM is posted: its redaction is owed. Returns the outbox id the DM carries (in its
   * metadata), by which the redaction finds it whatever happens next.
   */
  async owe(id: string, where: { userId: string; channel: string; name: string }): Promise<string> {
    const expiresAt = new Date(this.clock().getTime() + this.options.revealTtlMs);
    await this.outbox.enqueue(this.ref(id), { payload: this.payload(id, where), dueAt: expiresAt });
    return String((await this.outbox.find(this.ref(id)))?._id ?? '');
  }

  /** The reveal message was posted: it is redacted by `expiresAt`. */
  async recordPosted(id: string, where: { userId: string; channel: string; ts: string }): Promise<Date> {
    const now = this.clock();
    const expiresAt = new Date(now.getTime() + this.options.revealTtlMs);
    const secret = await this.model
      .findOneAndUpdate(
        this.byId(id),
        {
          $set: {
            'reveal.userId': where.userId,
            'reveal.channel': where.channel,
            'reveal.ts': where.ts,
            'reveal.fileId': null,
            'reveal.expiresAt': expiresAt,
            'reveal.redactedAt': null,
          },
        },
        { projection: { name: 1 } },
      )
      .lean<{ name?: string }>();
    await this.outbox.enqueue(this.ref(id), { payload: this.payload(id, { ...where, name: secret?.name ?? '' }), dueAt: expiresAt });
    await this.outbox.amend(this.ref(id), { ts: where.ts });
    const target = this.auditTarget(id);
    await this.audit.record({
      actor: where.userId,
      action: `${this.subject.kind}.revealed`,
      keyId: target.keyId,
      details: { ...target.details, to: where.userId, expiresAt },
    });
    return expiresAt;
  }

  /**
   * A file of the secret (a key's QR code) was uploaded. False when the reveal was redacted
   * meanwhile: then nobody will delete the file but the caller, who must.
   */
  async attachFile(id: string, ts: string, fileId: string): Promise<boolean> {
    if (!(await this.outbox.amend(this.ref(id), { fileId }))) return false;
    await this.model.updateOne({ ...this.byId(id), 'reveal.ts': ts }, { $set: { 'reveal.fileId': fileId } });
    return true;
  }

  /** The DM was certainly not posted: nothing to redact. */
  async abandon(id: string): Promise<void> {
    await this.outbox.withdraw(this.ref(id), 'the reveal DM was not posted');
  }

  /**
   * The secret was revoked: its reveal DM, if it still shows it, is due for redaction now
   * (whoever revoked it is its actor).
   */
  async makeDue(id: string, actor: string): Promise<void> {
    await this.requestRedaction(id, { actor });
  }

  /**
   * "Saved it — hide": the redaction is due now. Only the DM's recipient may ask (`userId`);
   * false when there is nothing (left) to redact or it is not theirs.
   */
  async requestRedaction(id: string, { actor, userId }: { actor: string; userId?: string }): Promise<boolean> {
    const item = await this.outbox.find(this.ref(id));
    if (item?.state !== 'pending') return false;
    if (userId && item.payload.userId !== userId) return false;
    return this.outbox.expedite(this.ref(id), { requestedBy: actor });
  }

  /** The DM no longer shows the secret (called once the redaction went through; idempotent). */
  async recordRedacted(id: string, actor: string): Promise<void> {
    const updated = await this.model.updateOne(
      { ...this.byId(id), 'reveal.redactedAt': null },
      { $set: { 'reveal.redactedAt': this.clock() } },
    );
    if (updated.modifiedCount !== 1) return;
    const target = this.auditTarget(id);
    await this.audit.record({
      actor,
      action: `${this.subject.kind}.reveal_redacted`,
      keyId: target.keyId,
      details: { ...target.details, of: this.subject.publicIdOf(id) },
    });
  }

  private payload(id: string, where: { userId: string; channel: string; name: string }) {
    return { owner: this.subject.kind, id, userId: where.userId, channel: where.channel, name: where.name, ts: null, fileId: null };
  }
}

export const keyRevealSubject = (model: KeyModel): RevealSubject => ({ kind: 'key', model, idField: 'keyId', publicIdOf });
