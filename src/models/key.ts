import { type Connection, type HydratedDocument, type Model, Schema } from 'mongoose';
import { type RevealFields, revealDefinition } from './reveal.js';

export const KEY_STATUSES = ['active', 'rotating', 'revoked'] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];

export const IP_LOCK_MODES = ['off', 'first', 'list'] as const;
export type IpLockMode = (typeof IP_LOCK_MODES)[number];

/** Which phone events a key may send (`phone.registered` is always allowed). */
export const KEY_SCOPES = ['heartbeat', 'messages', 'sends'] as const;
export type KeyScope = (typeof KEY_SCOPES)[number];

/** `test` keys work like `live` ones, but their phones never page on-call. Fixed at creation. */
export const KEY_ENVIRONMENTS = ['live', 'test'] as const;
export type KeyEnvironment = (typeof KEY_ENVIRONMENTS)[number];

/** How a key's phone signs: `hmac` (Standard Webhooks v1) or `ed25519` (v1a). Fixed at creation. */
export const KEY_ALGORITHMS = ['hmac', 'ed25519'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

export interface KeyFields {
  keyId: string;
  name: string;
  nameLower?: string | null;
  description: string;
  createdBy: string;
  hash: string;
  /** Absent on keys stored before algorithms existed: read as `hmac`. */
  algorithm?: KeyAlgorithm;
  /** `hmac` keys only: the key, encrypted (the signature check needs it). */
  cipher?: { iv: string; tag: string; data: string } | null;
  /** `ed25519` keys only: the raw 32-byte public key, base64. The seed is never stored. */
  publicKey?: string | null;
  status: KeyStatus;
  ipLock: { mode: IpLockMode; entries: string[]; firstIp: string | null };
  /** Absent on keys stored before scopes existed: read as all scopes. */
  scopes?: KeyScope[];
  /** Absent on keys stored before environments existed: read as `live`. */
  environment?: KeyEnvironment;
  lastUsedAt: Date | null;
  timesUsed: number;
  rotatedTo: string | null;
  rotatedFrom: string | null;
  graceEndsAt: Date | null;
  revokedAt: Date | null;
  revokedBy: string | null;
  rotationDue: boolean;
  rotationFlaggedAt: Date | null;
  /** When its creator was warned that rotation is coming (KEY_ROTATION_WARN_DAYS), once. */
  rotationWarnedAt: Date | null;
  changedAt: Date;
  reveal: RevealFields;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A phone API key. The key itself is never stored: only its SHA-256 (to find a
 * leaked key by value) and, for an `hmac` key, an AES-256-GCM ciphertext (the webhook
 * signature check needs the key as HMAC secret); for an `ed25519` key only its public key,
 * so nothing stored can sign as its phone. Linked phone numbers live on the phone
 * documents, so "one key per number" is one field, never two to keep in step.
 */
const keySchema = new Schema<KeyFields>(
  {
    /** The 8 base32 characters of `pk_<id>`. */
    keyId: { type: String, required: true },
    name: { type: String, required: true },
    /** Lower-cased name while the key is not revoked; unset on revoke so the name can be reused. */
    nameLower: { type: String },
    description: { type: String, default: '' },
    createdBy: { type: String, required: true },
    hash: { type: String, required: true },
    algorithm: { type: String, enum: KEY_ALGORITHMS },
    /** `hmac` keys: AES-256-GCM of the key. Absent on `ed25519` keys, which keep only `publicKey`. */
    cipher: {
      type: new Schema(
        { iv: { type: String, required: true }, tag: { type: String, required: true }, data: { type: String, required: true } },
        { _id: false },
      ),
      default: undefined,
    },
    publicKey: { type: String },
    status: { type: String, enum: KEY_STATUSES, default: 'active', required: true },
    ipLock: {
      _id: false,
      mode: { type: String, enum: IP_LOCK_MODES, default: 'off', required: true },
      /** `list` mode: IPv4/IPv6 addresses and CIDR ranges. */
      entries: { type: [String], default: [] },
      /** `first` mode: the IP that first used the key successfully, set once atomically. */
      firstIp: { type: String, default: null },
    },
    scopes: { type: [{ type: String, enum: KEY_SCOPES }], default: () => [...KEY_SCOPES] },
    environment: { type: String, enum: KEY_ENVIRONMENTS, default: 'live' },
    lastUsedAt: { type: Date, default: null },
    timesUsed: { type: Number, default: 0 },
    /** Rotation: the successor's keyId on the old key, the predecessor's on the new one. */
    rotatedTo: { type: String, default: null },
    rotatedFrom: { type: String, default: null },
    graceEndsAt: { type: Date, default: null },
    revokedAt: { type: Date, default: null },
    revokedBy: { type: String, default: null },
    rotationDue: { type: Boolean, default: false },
    rotationFlaggedAt: { type: Date, default: null },
    rotationWarnedAt: { type: Date, default: null },
    /**
     * Bumped by every change the webhook receiver caches (status, IP lock), so
     * each instance can poll one indexed query for what changed since it last looked.
     */
    changedAt: { type: Date, default: () => new Date(), required: true },
    /** The DM that revealed the key once; redacted by the button or after REVEAL_TTL_MINUTES. */
    reveal: revealDefinition,
  },
  { timestamps: true, collection: 'keys' },
);

keySchema.index({ keyId: 1 }, { unique: true });
keySchema.index({ hash: 1 }, { unique: true });
keySchema.index({ nameLower: 1 }, { unique: true, sparse: true });
// Each runtime query has an index that starts with its equality fields, then its sort, then a
// range (the end-of-run check in test/support/indexCoverage.ts holds the suite to it).
keySchema.index({ status: 1, rotationDue: 1, createdAt: 1 }); // rotation check (old active keys not flagged); key counts (metrics)
keySchema.index({ status: 1, graceEndsAt: 1 }); // expiry of rotated keys
keySchema.index({ rotationWarnedAt: 1, status: 1, createdAt: 1 }); // rotation warnings still to give
keySchema.index({ changedAt: 1 }); // receiver cache invalidation
// The key list (management API and /keys list), newest first, paged by (createdAt, _id), with each of its filters.
keySchema.index({ createdAt: -1, _id: -1 });
keySchema.index({ status: 1, createdAt: -1, _id: -1 });
keySchema.index({ createdBy: 1, status: 1, createdAt: -1, _id: -1 });
keySchema.index({ environment: 1, status: 1, createdAt: -1, _id: -1 });

export type KeyDocument = HydratedDocument<KeyFields>;
export type KeyModel = Model<KeyFields>;

export const defineKeyModel = (connection: Connection): KeyModel => connection.model<KeyFields>('Key', keySchema);
