import type { Connection } from 'mongoose';
import { type ApiAuthFailureModel, defineApiAuthFailureModel } from './apiAuthFailure.js';
import { type ApiTokenModel, defineApiTokenModel } from './apiToken.js';
import { type AuditEntryModel, defineAuditEntryModel } from './auditEntry.js';
import { defineJobLeaseModel, type JobLeaseModel } from './jobLease.js';
import { defineKeyModel, type KeyModel } from './key.js';
import { definePhoneModel, type PhoneModel } from './phone.js';
import { definePhoneEventModel, type PhoneEventModel } from './phoneEvent.js';
import { definePhoneHourModel, type PhoneHourModel } from './phoneHour.js';
import { defineSilentAlertModel, type SilentAlertModel } from './silentAlert.js';
import { defineWebhookRefusalModel, type WebhookRefusalModel } from './webhookRefusal.js';

export * from './apiAuthFailure.js';
export * from './apiToken.js';
export * from './auditEntry.js';
export * from './jobLease.js';
export * from './key.js';
export * from './phone.js';
export * from './phoneEvent.js';
export * from './phoneHour.js';
export * from './reveal.js';
export * from './silentAlert.js';
export * from './webhookRefusal.js';

export interface Models {
  Key: KeyModel;
  Phone: PhoneModel;
  PhoneEvent: PhoneEventModel;
  PhoneHour: PhoneHourModel;
  SilentAlert: SilentAlertModel;
  AuditEntry: AuditEntryModel;
  WebhookRefusal: WebhookRefusalModel;
  JobLease: JobLeaseModel;
  ApiToken: ApiTokenModel;
  ApiAuthFailure: ApiAuthFailureModel;
}

/**
 * Models are bound to one connection (not mongoose's global one), so tests can run
 * two instances of the app in one process against different databases.
 */
export function defineModels(connection: Connection): Models {
  return {
    Key: defineKeyModel(connection),
    Phone: definePhoneModel(connection),
    PhoneEvent: definePhoneEventModel(connection),
    PhoneHour: definePhoneHourModel(connection),
    SilentAlert: defineSilentAlertModel(connection),
    AuditEntry: defineAuditEntryModel(connection),
    WebhookRefusal: defineWebhookRefusalModel(connection),
    JobLease: defineJobLeaseModel(connection),
    ApiToken: defineApiTokenModel(connection),
    ApiAuthFailure: defineApiAuthFailureModel(connection),
  };
}

export { ensureIndexes, type IndexChange } from './indexes.js';
