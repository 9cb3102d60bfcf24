import { type Connection, type Model, Schema } from 'mongoose';
import { type RevealFields, revealDefinition } from './reveal.js';

export const API_TOKEN_SCOPES = ['read', 'write'] as const;
export type ApiTokenScope = (typeof API_TOKEN_SCOPES)[number];

export const API_TOKEN_STATUSES = ['active', 'revoked'] as const;
export type ApiTokenStatus = (typeof API_TOKEN_STATUSES)[number];

export interface ApiTokenFields {
  tokenId: string;
  name: string;
  nameLower?: string | null;
  hash: string;
  scope: ApiTokenScope;
  createdBy: string;
  status: ApiTokenStatus;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  revokedBy: string | null;
  reveal: RevealFields;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A management API token `mk_<id>_<secret>`. Only its SHA-256 is stored: the API finds
 * a token by the hash of what it is given, so nothing stored lets anyone use it.
 */
const apiTokenSchema = new Schema<ApiTokenFields>(
  {
    /** The 8 base32 characters of `mk_<id>`. */
    tokenId: { type: String, required: true },
    name: { type: String, required: true },
    /** Lower-cased name while the token is active; unset on revoke so the name can be reused. */
    nameLower: { type: String },
    hash: { type: String, required: true },
    scope: { type: String, enum: API_TOKEN_SCOPES, required: true },
    createdBy: { type: String, required: true },
    status: { type: String, enum: API_TOKEN_STATUSES, default: 'active', required: true },
    /** Written at most once a minute per token (a cheap conditional update), not on every request. */
    lastUsedAt: { type: Date, default: null },
    revokedAt: { type: Date, default: null },
    revokedBy: { type: String, default: null },
    /** The DM that revealed the token once; redacted by its button or after REVEAL_TTL_MINUTES. */
    reveal: revealDefinition,
  },
  { timestamps: true, collection: 'api_tokens' },
);

apiTokenSchema.index({ tokenId: 1 }, { unique: true });
apiTokenSchema.index({ hash: 1 }, { unique: true }); // authentication: one lookup by hash
apiTokenSchema.index({ nameLower: 1 }, { unique: true, sparse: true });
apiTokenSchema.index({ status: 1, createdAt: -1 }); // /keys token list

export type ApiTokenModel = Model<ApiTokenFields>;

export const defineApiTokenModel = (connection: Connection): ApiTokenModel => connection.model<ApiTokenFields>('ApiToken', apiTokenSchema);
