import type { Config } from '../config.js';
import type { Models } from '../models/index.js';
import { HealthMonitor } from './alerts/health.js';
import { IncidentService } from './alerts/incidents.js';
import { PhoneMonitor } from './alerts/silent.js';
import { ApiTokenService, tokenPublicIdOf } from './apiTokens.js';
import { AuditLog } from './audit.js';
import type { Clock } from './clock.js';
import { FleetStats } from './fleet.js';
import { KeyChanges } from './keyChanges.js';
import { KeyCheck } from './keyCheck.js';
import { KeyService } from './keys.js';
import { Outbox } from './outbox.js';
import { FleetOverview } from './overview.js';
import { PhoneService } from './phones.js';
import { keyRevealSubject, RevealLedger } from './reveals.js';
import { RotationService } from './rotation.js';

/**
 * The domain: keys, phones, alerts, audit, and the messages owed to the chat (the outbox's
 * ledger). Knows neither Slack nor HTTP; bot, webhooks, management API and jobs are adapters over it.
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
  /** A summary of a fleet of any size: exact counts, open alerts, phones in trouble first (App Home). */
  overview: FleetOverview;
  /** The reveal-once DMs of keys. */
  reveals: RevealLedger;
  /** The reveal-once DMs of management API tokens. */
  tokenReveals: RevealLedger;
  /** Silent phones. */
  monitor: PhoneMonitor;
  /** Failing and low-battery phones. */
  health: HealthMonitor;
  /** What alert messages show: acknowledge, pause, reminders. */
  incidents: IncidentService;
  rotation: RotationService;
  /** Messages owed to the chat. */
  outbox: Outbox;
}

export function createDomain(models: Models, config: Config, clock: Clock): Domain {
  const audit = new AuditLog(models, clock);
  const outbox = new Outbox(models, clock);
  const keyChanges = new KeyChanges();
  const phones = new PhoneService(models, audit, clock);
  const incidents = new IncidentService(models, outbox, phones, audit, clock, { remindMs: config.silentRemindMs });
  const keys = new KeyService(models, audit, clock, keyChanges, outbox, {
    encryptionKey: config.encryptionKey,
    rotationGraceMs: config.rotationGraceMs,
    // A revoked key's phones stop being watched at once, and its reveal DM stops showing it.
    onRevoked: async (keyId, actor) => {
      await incidents.closeForKey(keyId, actor);
      await reveals.makeDue(keyId, actor);
    },
    // So is an unlinked number: nobody is to be paged about a phone outside the fleet.
    onUnlinked: (phoneNumber, actor) => incidents.closeForPhone(phoneNumber, actor),
  });
  const keyCheck = new KeyCheck(models, audit, clock, keyChanges, { encryptionKey: config.encryptionKey });
  const reveals = new RevealLedger(keyRevealSubject(models.Key), outbox, audit, clock, { revealTtlMs: config.revealTtlMs });
  const tokenReveals = new RevealLedger(
    { kind: 'token', model: models.ApiToken, idField: 'tokenId', publicIdOf: tokenPublicIdOf },
    outbox,
    audit,
    clock,
    { revealTtlMs: config.revealTtlMs },
  );
  const monitor = new PhoneMonitor(models, incidents, clock, {
    silentAfterMs: config.silentAfterMs,
    silentReopenMs: config.silentReopenMs,
    groupMin: config.alertGroupMin,
  });
  const health = new HealthMonitor(models, incidents, clock, { failingAfterSends: config.failingAfterSends });
  const rotation = new RotationService(models, keys, outbox, audit, clock, {
    keyRotationMs: config.keyRotationMs,
    keyRotationWarnMs: config.keyRotationWarnMs,
  });
  const apiTokens = new ApiTokenService(models, audit, clock);
  const fleet = new FleetStats(models, clock);
  return {
    audit,
    apiTokens,
    keys,
    keyCheck,
    keyChanges,
    fleet,
    phones,
    overview: new FleetOverview(models, keys, phones),
    reveals,
    tokenReveals,
    monitor,
    health,
    incidents,
    rotation,
    outbox,
  };
}
