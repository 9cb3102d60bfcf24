import type { Config } from '../config.js';
import type { Models } from '../models/index.js';
import { AuditLog } from './audit.js';
import type { Clock } from './clock.js';
import { KeyService } from './keys.js';

/**
 * The domain: keys, phones, alerts, audit. Knows neither Slack nor HTTP;
 * bot, webhooks and jobs are adapters over it.
 */
export interface Domain {
  audit: AuditLog;
  keys: KeyService;
}

export function createDomain(models: Models, config: Config, clock: Clock): Domain {
  const audit = new AuditLog(models, clock);
  const keys = new KeyService(models, audit, clock, { encryptionKey: config.encryptionKey, rotationGraceMs: config.rotationGraceMs });
  return { audit, keys };
}
