/**
 * The management API's request and response shapes as zod schemas: the one source of the
 * checks the API makes and of its OpenAPI document (docs/openapi.json). The rules behind
 * the limits (name pattern, lengths, scopes) are the domain's constants; the domain checks
 * them again, so a request can never store what the Slack forms would refuse.
 */
import { z } from 'zod';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../domain/keyPages.js';
import { KEY_NAME_PATTERN, MAX_DESCRIPTION_LENGTH } from '../domain/keys.js';
import { PHONE_STATUSES } from '../domain/phones.js';
import { IP_LOCK_MODES, KEY_ALGORITHMS, KEY_ENVIRONMENTS, KEY_SCOPES, KEY_STATUSES } from '../models/index.js';

const dateTime = z.iso.datetime().meta({ example: '2026-11-22T10:00:00.000Z' });

// ── requests ──────────────────────────────────────────────────────────────

export const keyName = z
  .string()
  .min(1)
  .max(64)
  .regex(KEY_NAME_PATTERN, 'must be one word: letters, digits, dots, dashes and underscores, starting with a letter or digit')
  .meta({ description: 'Unique in the workspace, ignoring case; may not start with `pk_`.', example: 'lagos-gw-1' });

const description = z
  .string()
  .max(MAX_DESCRIPTION_LENGTH)
  .meta({ description: 'Free text for people', example: 'Tecno Spark in the Lagos rack, SIM 1 MTN' });

export const ipLockInput = z
  .strictObject({
    mode: z.enum(IP_LOCK_MODES).meta({
      description: '`off`: any IP; `first`: locked to the first IP that uses the key successfully; `list`: only the `entries`',
    }),
    entries: z
      .array(z.string().min(1).max(100))
      .min(1)
      .max(100)
      .optional()
      .meta({ description: 'With `list` (required there): IPv4/IPv6 addresses and CIDR ranges', example: ['203.0.113.7', '10.0.0.0/24'] }),
  })
  .superRefine((lock, ctx) => {
    if (lock.mode === 'list' && !lock.entries)
      ctx.addIssue({ code: 'custom', path: ['entries'], message: 'is required when mode is list' });
    if (lock.mode !== 'list' && lock.entries)
      ctx.addIssue({ code: 'custom', path: ['entries'], message: `is only for mode list (not ${lock.mode})` });
  })
  .meta({ id: 'IpLockInput' });

const scopes = z
  .array(z.enum(KEY_SCOPES))
  .min(1)
  .meta({
    description:
      'The events the key may send: `heartbeat` (phone.heartbeat), `messages` (message.phone.received, message.call.missed), `sends` (message.phone.sent, message.phone.delivered, message.send.failed, message.send.expired). `phone.registered` is always allowed.',
    example: ['heartbeat', 'sends'],
  });

export const createKeyBody = z
  .strictObject({
    name: keyName,
    description: description.optional(),
    ip_lock: ipLockInput.optional().meta({ description: 'Default: `{"mode": "off"}`' }),
    scopes: scopes.optional().meta({ description: 'Default: all three' }),
    environment: z
      .enum(KEY_ENVIRONMENTS)
      .optional()
      .meta({ description: 'Default `live`. Phones of a `test` key never page on-call. Fixed at creation.' }),
    algorithm: z.enum(KEY_ALGORITHMS).optional().meta({
      description:
        'Default `hmac` (Standard Webhooks `v1`). `ed25519`: the phone signs `v1a` with the 32-byte seed in the key (a 55-character key); the server keeps only the public key. Fixed for the key and its rotations.',
    }),
  })
  .meta({ id: 'CreateKeyRequest' });

export const updateKeyBody = z
  .strictObject({
    name: keyName.optional(),
    description: description.optional(),
    ip_lock: ipLockInput.optional().meta({ description: 'Replaces the lock; relocking to `first` forgets the IP locked so far' }),
    scopes: scopes.optional(),
  })
  .meta({ id: 'UpdateKeyRequest', description: 'The fields to change; absent fields stay as they are.' });

export const lookupBody = z
  .strictObject({
    key: z
      .string()
      .max(200)
      .regex(/^pk_[a-z2-7]{8}_[A-Za-z0-9_-]+$/, 'must be a whole phone key (pk_<id>_<secret>)')
      .meta({ description: 'The whole key, `pk_<id>_<secret>`' }),
  })
  .meta({ id: 'LookupKeyRequest' });

/** A whole key or token in a URL would end up in logs and proxies: refused without repeating it. */
const notASecret = (value: string) => !/^(pk|mk)_[a-z2-7]{8}_/.test(value);

export const keyParams = z.object({
  key: z
    .string()
    .min(1)
    .max(100)
    .refine(notASecret, 'must be the key id pk_<id> or its name, never the whole key (find a key by value with POST /keys/lookup)')
    .meta({ description: 'The key: its id `pk_<id>`, or its name', example: 'pk_abcdefgh' }),
});

export const phoneParams = keyParams.extend({
  e164: z
    .string()
    .min(1)
    .max(32)
    .meta({ description: 'The phone number in E.164 (URL-encode the `+` as `%2B`)', example: '+2348012345678' }),
});

const limit = (max: number, fallback: number) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(max)
    .default(fallback)
    .meta({ description: `How many to return: 1–${max} (default ${fallback})` });

const cursor = z.string().min(1).max(200).optional().meta({ description: 'The `next_cursor` of the previous page, as it came' });

export const listKeysQuery = z.object({
  creator: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .meta({ description: 'Only keys created by this Slack user ID or `api:<token name>`', example: 'U012ABCDEF' }),
  status: z.enum(KEY_STATUSES).optional().meta({ description: 'Only keys in this status (default: all but `revoked`)' }),
  environment: z.enum(KEY_ENVIRONMENTS).optional().meta({ description: 'Only keys of this environment' }),
  limit: limit(MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE),
  cursor,
});

export const MAX_PHONE_PAGE_SIZE = 1000;
export const listPhonesQuery = z.object({ limit: limit(MAX_PHONE_PAGE_SIZE, MAX_PHONE_PAGE_SIZE), cursor });

export const auditQuery = z.object({
  key: z.string().min(1).max(100).optional().meta({ description: 'Only entries about this key (`pk_<id>` or its name)' }),
  limit: limit(100, 50),
});

// ── responses ─────────────────────────────────────────────────────────────

export const keyJson = z
  .object({
    id: z.string().meta({ description: 'The public id `pk_<id>`', example: 'pk_abcdefgh' }),
    name: z.string().meta({ example: 'lagos-gw-1' }),
    description: z.string(),
    environment: z.enum(KEY_ENVIRONMENTS),
    algorithm: z
      .enum(KEY_ALGORITHMS)
      .meta({ description: '`hmac`: Standard Webhooks `v1` signatures; `ed25519`: `v1a`, the server keeps only the public key' }),
    scopes: z.array(z.enum(KEY_SCOPES)),
    status: z.enum(KEY_STATUSES).meta({ description: '`rotating`: superseded, valid until `grace_ends_at`' }),
    created_by: z.string().meta({ description: 'A Slack user ID, or `api:<token name>`', example: 'U012ABCDEF' }),
    created_at: dateTime,
    last_used_at: dateTime.nullable(),
    times_used: z.int().min(0),
    ip_lock: z.object({
      mode: z.enum(IP_LOCK_MODES),
      entries: z.array(z.string()),
      first_ip: z.string().nullable().meta({ description: 'With `first`: the IP the key is locked to, once used' }),
    }),
    phone_numbers: z.array(z.string()).meta({ description: 'Numbers linked to the key (E.164)', example: ['+2348012345678'] }),
    rotation_due: z.boolean(),
    grace_ends_at: dateTime.nullable().meta({ description: 'While `rotating`: when the key stops working' }),
    rotated_from: z.string().nullable().meta({ description: 'The predecessor `pk_<id>`, for a key made by rotation' }),
    rotated_to: z.string().nullable().meta({ description: 'The successor `pk_<id>`, once rotated' }),
  })
  .meta({ id: 'Key', description: 'A phone key (never the key itself)' });

export const createdKeyJson = z
  .object({
    key: z.string().meta({
      description: 'The whole key `pk_<id>_<secret>`: shown in this answer only, never again',
      example: 'pk_abcdefgh_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_01',
    }),
    data: keyJson,
  })
  .meta({ id: 'CreatedKey' });

/** One page of a list: its items and where the next page starts. */
const pageOf = <Item extends z.ZodType>(item: Item, id: string) =>
  z
    .object({
      data: z.array(item),
      next_cursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page' }),
    })
    .meta({ id });

export const keyListJson = pageOf(keyJson, 'KeyList');

export const phoneJson = z
  .object({
    phone_number: z.string().meta({ example: '+2348012345678' }),
    key: z.string().nullable().meta({ description: 'The linked key `pk_<id>`; null when unlinked' }),
    status: z.enum(PHONE_STATUSES.map((s) => s.replace(' ', '_')) as [string, ...string[]]),
    last_heartbeat_at: dateTime.nullable(),
    charging: z.boolean().nullable(),
    battery: z.int().min(0).max(100).nullable(),
    environment: z.enum(KEY_ENVIRONMENTS).nullable().meta({ description: "The linked key's environment; null when unlinked" }),
  })
  .meta({ id: 'Phone' });

export const phoneListJson = pageOf(phoneJson, 'PhoneList');

export const auditEntryJson = z
  .object({
    at: dateTime,
    actor: z.string().meta({ description: 'A Slack user ID, `api:<token name>`, `system:<job>` or `phone:pk_<id>`' }),
    action: z.string().meta({ example: 'key.created' }),
    key: z.string().nullable().meta({ description: 'The key `pk_<id>` the entry is about' }),
    phone_number: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'AuditEntry' });

export const auditListJson = z.object({ data: z.array(auditEntryJson) }).meta({ id: 'AuditList' });

export const problemJson = z
  .object({
    type: z.string().meta({ example: '/api/v1/problems/invalid-request' }),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    errors: z
      .record(z.string(), z.string())
      .optional()
      .meta({ description: 'For invalid input: each field (dotted path) and what is wrong with it', example: { name: 'is required' } }),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

export type KeyJson = z.infer<typeof keyJson>;
export type PhoneJson = z.infer<typeof phoneJson>;
export type AuditEntryJson = z.infer<typeof auditEntryJson>;
