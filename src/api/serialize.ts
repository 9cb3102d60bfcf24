import { publicIdOf } from '../domain/keyMaterial.js';
import type { KeyView } from '../domain/keys.js';
import type { PhoneView } from '../domain/phones.js';
import type { AuditEntryFields } from '../models/index.js';
import type { AuditEntryJson, KeyJson, PhoneJson } from './schemas.js';

/** The domain's views as the API's snake_case JSON; never the key itself. */

const iso = (date: Date | null | undefined): string | null => (date ? date.toISOString() : null);

export function keyToJson(key: KeyView): KeyJson {
  return {
    id: key.publicId,
    name: key.name,
    description: key.description,
    environment: key.environment,
    algorithm: key.algorithm,
    scopes: key.scopes,
    status: key.status,
    created_by: key.createdBy,
    created_at: key.createdAt.toISOString(),
    last_used_at: iso(key.lastUsedAt),
    times_used: key.timesUsed,
    ip_lock: { mode: key.ipLock.mode, entries: key.ipLock.entries, first_ip: key.ipLock.firstIp },
    phone_numbers: key.phoneNumbers,
    rotation_due: key.rotationDue,
    grace_ends_at: iso(key.graceEndsAt),
    rotated_from: key.rotatedFrom ? publicIdOf(key.rotatedFrom) : null,
    rotated_to: key.rotatedTo ? publicIdOf(key.rotatedTo) : null,
  };
}

export function phoneToJson(phone: PhoneView): PhoneJson {
  return {
    phone_number: phone.number,
    key: phone.publicId,
    status: phone.status.replace(' ', '_'),
    last_heartbeat_at: iso(phone.lastHeartbeatAt),
    charging: phone.charging,
    battery: phone.battery,
    environment: phone.environment,
  };
}

export function auditEntryToJson(entry: AuditEntryFields): AuditEntryJson {
  return {
    at: entry.at.toISOString(),
    actor: entry.actor,
    action: entry.action,
    key: entry.keyId ? publicIdOf(entry.keyId) : null,
    phone_number: entry.phoneNumber ?? null,
    details: (entry.details ?? {}) as Record<string, unknown>,
  };
}
