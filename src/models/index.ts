import type { Connection } from 'mongoose';
import { type AlertModel, defineAlertModel } from './alert.js';
import { type ApiAuthFailureModel, defineApiAuthFailureModel } from './apiAuthFailure.js';
import { type ApiTokenModel, defineApiTokenModel } from './apiToken.js';
import { type AuditEntryModel, defineAuditEntryModel } from './auditEntry.js';
import { defineIncidentModel, type IncidentModel } from './incident.js';
import { defineJobLeaseModel, type JobLeaseModel } from './jobLease.js';
import { defineKeyModel, type KeyModel } from './key.js';
import { defineOutboxMessageModel, type OutboxMessageModel } from './outboxMessage.js';
import { definePhoneModel, type PhoneModel } from './phone.js';
import { definePhoneEventModel, type PhoneEventModel } from './phoneEvent.js';
import { definePhoneHourModel, type PhoneHourModel } from './phoneHour.js';
import { defineSlackChannelModel, type SlackChannelModel } from './slackChannel.js';
import { defineSlackRateLimitModel, type SlackRateLimitModel } from './slackRateLimit.js';
import { defineWebhookRefusalModel, type WebhookRefusalModel } from './webhookRefusal.js';

export * from './alert.js';
export * from './apiAuthFailure.js';
export * from './apiToken.js';
export * from './auditEntry.js';
export * from './incident.js';
export * from './jobLease.js';
export * from './key.js';
export * from './outboxMessage.js';
export * from './phone.js';
export * from './phoneEvent.js';
export * from './phoneHour.js';
export * from './reveal.js';
export * from './slackChannel.js';
export * from './slackRateLimit.js';
export * from './webhookRefusal.js';

export interface Models {
  Key: KeyModel;
  Phone: PhoneModel;
  PhoneEvent: PhoneEventModel;
  PhoneHour: PhoneHourModel;
  Alert: AlertModel;
  Incident: IncidentModel;
  OutboxMessage: OutboxMessageModel;
  SlackChannel: SlackChannelModel;
  SlackRateLimit: SlackRateLimitModel;
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
    Alert: defineAlertModel(connection),
    Incident: defineIncidentModel(connection),
    OutboxMessage: defineOutboxMessageModel(connection),
    SlackChannel: defineSlackChannelModel(connection),
    SlackRateLimit: defineSlackRateLimitModel(connection),
    AuditEntry: defineAuditEntryModel(connection),
    WebhookRefusal: defineWebhookRefusalModel(connection),
    JobLease: defineJobLeaseModel(connection),
    ApiToken: defineApiTokenModel(connection),
    ApiAuthFailure: defineApiAuthFailureModel(connection),
  };
}

export { ensureIndexes, type IndexChange } from './indexes.js';
