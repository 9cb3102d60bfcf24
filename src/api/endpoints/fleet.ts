import { operation } from '../operation.js';
import { auditListJson, auditQuery, listPhonesQuery, phoneListJson } from '../schemas.js';
import { auditEntryToJson, phoneToJson } from '../serialize.js';

/** Phones and the audit trail: read-only. */
export const fleetEndpoints = [
  operation({
    method: 'get',
    path: '/phones',
    operationId: 'listPhones',
    summary: 'List phones with their status, by number',
    description: 'Every known phone (unlinked ones too, with `key` null), paged by an opaque cursor like the key list.',
    tag: 'phones',
    access: 'read',
    query: listPhonesQuery,
    success: { status: 200, description: 'A page of phones', schema: phoneListJson },
    refusals: [],
    async handle({ query, domain }) {
      const page = await domain.phones.page(query);
      return { data: page.phones.map(phoneToJson), next_cursor: page.nextCursor };
    },
  }),
  operation({
    method: 'get',
    path: '/audit',
    operationId: 'listAudit',
    summary: 'Recent audit entries, newest first',
    tag: 'audit',
    access: 'read',
    query: auditQuery,
    success: { status: 200, description: 'Audit entries', schema: auditListJson },
    refusals: [{ status: 404, description: 'No such key' }],
    async handle({ query, domain }) {
      const keyId = query.key ? (await domain.keys.get(query.key)).keyId : undefined;
      const entries = await domain.audit.recent({ keyId, limit: query.limit });
      return { data: entries.map(auditEntryToJson) };
    },
  }),
];
