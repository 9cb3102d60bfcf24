import type { Models } from '../models/index.js';
import type { Clock } from './clock.js';

export interface AuditRecord {
  /** A Slack user ID, or `system:<job>` / `phone:pk_<id>` for automatic changes. */
  actor: string;
  /** What happened, as a dotted verb: `key.created`, `key.revoked`, `phone.paused`, … */
  action: string;
  keyId?: string | null;
  phoneNumber?: string | null;
  details?: Record<string, unknown>;
}

/** The audit trail. Secrets never go in `details`. */
export class AuditLog {
  constructor(
    private readonly models: Pick<Models, 'AuditEntry'>,
    private readonly clock: Clock,
  ) {}

  async record(entry: AuditRecord): Promise<void> {
    await this.models.AuditEntry.create({
      at: this.clock(),
      actor: entry.actor,
      action: entry.action,
      keyId: entry.keyId ?? null,
      phoneNumber: entry.phoneNumber ?? null,
      details: entry.details ?? {},
    });
  }

  async recent({ keyId, limit = 20 }: { keyId?: string; limit?: number } = {}) {
    const filter = keyId ? { keyId } : {};
    // _id orders entries written in the same millisecond (a change and its consequences).
    return this.models.AuditEntry.find(filter).sort({ at: -1, _id: -1 }).limit(limit).lean();
  }
}
