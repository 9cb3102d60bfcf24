import type { AuditRecord } from './domain/audit.js';
import { publicIdOf } from './domain/keyMaterial.js';
import type { Logger } from './logger.js';

/** Where a change came from, by its actor: a Slack user, or a management API token (`api:<name>`). */
function originOf(actor: string): 'slack' | 'api' | undefined {
  if (/^[UW][A-Z0-9]+$/.test(actor)) return 'slack';
  if (actor.startsWith('api:')) return 'api';
  return undefined;
}

/**
 * One log line per audited change (README: Logs): who, what, which key or phone — never a key,
 * only its `pk_<id>`. Changes made by people, from Slack or the API, are `info`; those of jobs
 * and phones (`system:…`, `phone:…`: registrations, expiries, every minute on a busy fleet) `debug`.
 */
export function logChanges(logger: Logger, audit: { onRecorded(listener: (entry: AuditRecord) => void): () => void }): () => void {
  const log = logger.child({ component: 'changes' });
  return audit.onRecorded((entry) => {
    const via = originOf(entry.actor);
    const keyId = entry.keyId ? publicIdOf(entry.keyId) : undefined;
    const fields = {
      actor: entry.actor,
      action: entry.action,
      ...(via ? { via } : {}),
      ...(keyId ? { keyId } : {}),
      ...(entry.phoneNumber ? { phoneNumber: entry.phoneNumber } : {}),
    };
    const what = [entry.action, keyId, entry.phoneNumber].filter(Boolean).join(' ');
    log[via ? 'info' : 'debug'](fields, `${what} by ${entry.actor}${via ? ` (${via})` : ''}`);
  });
}
