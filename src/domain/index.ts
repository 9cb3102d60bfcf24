import type { Config } from '../config.js';
import type { Models } from '../models/index.js';
import { ApiTokenService, tokenPublicIdOf } from './apiTokens.js';
import { AuditLog } from './audit.js';
import type { Clock } from './clock.js';
import { FleetStats } from './fleet.js';
import { KeyChanges } from './keyChanges.js';
import { KeyCheck } from './keyCheck.js';
import { KeyService } from './keys.js';
import { PhoneMonitor } from './monitor.js';
import { PhoneService } from './phones.js';
import { keyRevealSubject, RevealLedger } from './reveals.js';
import { RotationService } from './rotation.js';

/**
 * The domain: keys, phones, alerts, audit. Knows neither Slack nor HTTP;
 * bot, webhooks, management API and jobs are adapters over it.
 */
export interface Domain {
  audit: AuditLog;
  apiTokens: ApiTokenService;
  keys: KeyService;
  /** The check a phone's signed request makes of its key (status, grace, IP lock, first-IP claim). */
  keyCheck: KeyCheck;
  /** Announces, on this instance, each key just created or changed (for the receiver's key cache). */
  keyChanges: KeyChanges;
  /** The fleet over time: the weekly report and recent online shares, from the hourly totals. */
  fleet: FleetStats;
  phones: PhoneService;
  /** The reveal-once DMs of keys. */
  reveals: RevealLedger;
  /** The reveal-once DMs of management API tokens. */
  tokenReveals: RevealLedger;
  monitor: PhoneMonitor;
  rotation: RotationService;
}

export function createDomain(models: Models, config: Config, clock: Clock): Domain {
  const audit = new AuditLog(models, clock);
  const keyChanges = new KeyChanges();
  const keys = new KeyService(models, audit, clock, keyChanges, {
    encryptionKey: config.encryptionKey,
    rotationGraceMs: config.rotationGraceMs,
    // A revoked key's reveal DM must not keep showing it: due for redaction now.
    onRevoked: (keyId) => reveals.makeDue(keyId),
  });
  const keyCheck = new KeyCheck(models, audit, clock, keyChanges, { encryptionKey: config.encryptionKey });
  const phones = new PhoneService(models, audit, clock);
  const reveals = new RevealLedger(keyRevealSubject(models.Key), audit, clock, { revealTtlMs: config.revealTtlMs });
  const tokenReveals = new RevealLedger(
    { kind: 'token', model: models.ApiToken, idField: 'tokenId', publicIdOf: tokenPublicIdOf },
    audit,
    clock,
    { revealTtlMs: config.revealTtlMs },
  );
  const monitor = new PhoneMonitor(models, clock, { silentAfterMs: config.silentAfterMs, silentRemindMs: config.silentRemindMs });
  const rotation = new RotationService(models, keys, audit, clock, { keyRotationMs: config.keyRotationMs });
  const apiTokens = new ApiTokenService(models, audit, clock);
  const fleet = new FleetStats(models, clock);
  return { audit, apiTokens, keys, keyCheck, keyChanges, fleet, phones, reveals, tokenReveals, monitor, rotation };
}
