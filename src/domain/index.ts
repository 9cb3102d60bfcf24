import type { Config } from '../config.js';
import type { Models } from '../models/index.js';
import { AuditLog } from './audit.js';
import type { Clock } from './clock.js';
import { KeyService } from './keys.js';
import { PhoneMonitor } from './monitor.js';
import { PhoneService } from './phones.js';
import { RevealLedger } from './reveals.js';
import { RotationService } from './rotation.js';

/**
 * The domain: keys, phones, alerts, audit. Knows neither Slack nor HTTP;
 * bot, webhooks and jobs are adapters over it.
 */
export interface Domain {
  audit: AuditLog;
  keys: KeyService;
  phones: PhoneService;
  reveals: RevealLedger;
  monitor: PhoneMonitor;
  rotation: RotationService;
}

export function createDomain(models: Models, config: Config, clock: Clock): Domain {
  const audit = new AuditLog(models, clock);
  const keys = new KeyService(models, audit, clock, { encryptionKey: config.encryptionKey, rotationGraceMs: config.rotationGraceMs });
  const phones = new PhoneService(models, audit, clock);
  const reveals = new RevealLedger(models, audit, clock, { revealTtlMs: config.revealTtlMs });
  const monitor = new PhoneMonitor(models, clock, { silentAfterMs: config.silentAfterMs, silentRemindMs: config.silentRemindMs });
  const rotation = new RotationService(models, keys, audit, clock, { keyRotationMs: config.keyRotationMs });
  return { audit, keys, phones, reveals, monitor, rotation };
}
