import type { Models } from '../models/index.js';
import { type AuditFilter, type AuditPage, readAuditPage } from './auditPages.js';
import type { Clock } from './clock.js';

export interface AuditRecord {
  /** A Slack user ID, `api:<token name>`, or `system:<job>` / `phone:pk_<id>` for automatic changes. */
  actor: string;
  /** What happened, as a dotted verb: `key.created`, `key.revoked`, `phone.paused`, … */
  action: string;
  keyId?: string | null;
  phoneNumber?: string | null;
  details?: Record<string, unknown>;
}

/** The audit trail. Secrets never go in `details`. */
export class AuditLog {
  private readonly listeners = new Set<(entry: AuditRecord & { at: Date }) => void>();

  constructor(
    private readonly models: Pick<Models, 'AuditEntry' | 'Key'>,
    private readonly clock: Clock,
  ) {}

  /** Told of every entry once it is written (the operators' log line per change). Returns the unsubscribe function. */
  onRecorded(listener: (entry: AuditRecord & { at: Date }) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  async record(entry: AuditRecord): Promise<void> {
    const at = this.clock();
    await this.models.AuditEntry.create({
      at,
      actor: entry.actor,
      action: entry.action,
      keyId: entry.keyId ?? null,
      phoneNumber: entry.phoneNumber ?? null,
      details: entry.details ?? {},
    });
    for (const listener of this.listeners) listener({ ...entry, at });
  }

  /** The latest `limit` entries, all or one key's, newest first (the management API's list). */
  async recent({ keyId, limit = 20 }: { keyId?: string; limit?: number } = {}) {
    const filter = keyId ? { keyId } : {};
    // _id orders entries written in the same millisecond (a change and its consequences).
    return this.models.AuditEntry.find(filter).sort({ at: -1, _id: -1 }).limit(limit).lean();
  }

  /** A page for people (`/keys audit`): changes by key and/or actor, the phones' own registrations folded (auditPages.ts). */
  page(query: { filter?: AuditFilter; cursor?: string; size?: number } = {}): Promise<AuditPage> {
    return readAuditPage(this.models, query);
  }
}
