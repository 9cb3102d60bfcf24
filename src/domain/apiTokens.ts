import { API_TOKEN_SCOPES, type ApiTokenFields, type ApiTokenScope, type Models } from '../models/index.js';
import type { AuditLog } from './audit.js';
import type { Clock } from './clock.js';
import { DomainError, isDuplicateKeyError } from './errors.js';
import { hashKey, randomBase32Id, randomSecret } from './keyMaterial.js';
import { KEY_NAME_PATTERN } from './keys.js';

/** `mk_<id>_<secret>`: 8 base32 + 64 base64url characters, like a phone key. */
export const API_TOKEN_PATTERN = /^mk_([a-z2-7]{8})_[A-Za-z0-9_-]{64}$/;
export const API_TOKEN_ID_PATTERN = /^mk_([a-z2-7]{8})$/;

/** `last_used_at` is written at most this often per token: a busy script costs no write per request. */
export const LAST_USED_RESOLUTION_MS = 60_000;

export interface ApiTokenView {
  tokenId: string;
  /** `mk_<id>`: shown in lists, accepted by revoke. */
  publicId: string;
  name: string;
  scope: ApiTokenScope;
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  status: ApiTokenFields['status'];
}

export type ApiTokenAuthentication =
  | { ok: true; token: ApiTokenView }
  | { ok: false; reason: 'malformed' | 'unknown' | 'revoked'; message: string };

type TokenRecord = ApiTokenFields & { _id: unknown };

export const tokenPublicIdOf = (tokenId: string): string => `mk_${tokenId}`;

/**
 * Management API tokens: made in Slack, shown once, kept as a SHA-256 only. A request is
 * authenticated by one indexed lookup of the hash of what it presents: nothing cached, so a
 * revocation holds on every instance from the next request on.
 */
export class ApiTokenService {
  constructor(
    private readonly models: Pick<Models, 'ApiToken'>,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  async create(input: { name: string; scope?: string; actor: string }): Promise<{ token: string; view: ApiTokenView }> {
    const name = input.name.trim();
    const nameError = validateTokenName(name);
    if (nameError) throw new DomainError('invalid', nameError, 'name');
    const scope = (input.scope ?? 'write').toLowerCase() as ApiTokenScope;
    if (!API_TOKEN_SCOPES.includes(scope))
      throw new DomainError('invalid', `A token's scope is read or write, not "${input.scope}".`, 'scope');
    if (await this.models.ApiToken.exists({ nameLower: name.toLowerCase() })) throw duplicateName(name);

    // An id collision (40 random bits) is possible in principle: try again with a fresh token.
    for (let attempt = 0; ; attempt++) {
      const tokenId = randomBase32Id();
      const token = `mk_${tokenId}_${randomSecret()}`;
      try {
        const now = this.clock();
        const record = await this.models.ApiToken.create({
          tokenId,
          name,
          nameLower: name.toLowerCase(),
          hash: hashKey(token),
          scope,
          createdBy: input.actor,
          status: 'active',
          createdAt: now,
          updatedAt: now,
        });
        await this.audit.record({
          actor: input.actor,
          action: 'token.created',
          details: { token: tokenPublicIdOf(tokenId), name, scope },
        });
        return { token, view: viewOf(record.toObject()) };
      } catch (error) {
        if (isDuplicateKeyError(error, 'nameLower')) throw duplicateName(name);
        if (isDuplicateKeyError(error) && attempt < 3) continue;
        throw error;
      }
    }
  }

  /** Active tokens, newest first. */
  async list(): Promise<ApiTokenView[]> {
    const records = await this.models.ApiToken.find({ status: 'active' }).sort({ createdAt: -1 }).limit(1000).lean<TokenRecord[]>();
    return records.map(viewOf);
  }

  /** `mk_<id>` or a name; throws not_found for unknown or already revoked tokens. */
  async revoke(ref: string, actor: string): Promise<ApiTokenView> {
    const trimmed = ref.trim();
    const tokenId = API_TOKEN_ID_PATTERN.exec(trimmed)?.[1];
    const filter = tokenId ? { tokenId } : { nameLower: trimmed.toLowerCase() };
    const now = this.clock();
    const revoked = await this.models.ApiToken.findOneAndUpdate(
      { ...filter, status: 'active' },
      { $set: { status: 'revoked', revokedAt: now, revokedBy: actor }, $unset: { nameLower: 1 } },
      { returnDocument: 'after' },
    ).lean<TokenRecord>();
    if (!revoked) {
      throw new DomainError(
        'not_found',
        `No active API token called "${trimmed}" (give its mk_ id or its name; see /keys token list).`,
        'token',
      );
    }
    await this.audit.record({ actor, action: 'token.revoked', details: { token: tokenPublicIdOf(revoked.tokenId), name: revoked.name } });
    return viewOf(revoked);
  }

  /**
   * The token a request presents (the whole `mk_…` string), found by its hash: no comparison
   * of secrets remains to leak timing. Records the use at most once a minute.
   */
  async authenticate(presented: string): Promise<ApiTokenAuthentication> {
    if (!API_TOKEN_PATTERN.test(presented)) {
      return { ok: false, reason: 'malformed', message: 'the bearer token is not an API token (mk_<id>_<secret>)' };
    }
    const record = await this.models.ApiToken.findOne({ hash: hashKey(presented) }).lean<TokenRecord>();
    if (!record) return { ok: false, reason: 'unknown', message: 'the API token is not known' };
    if (record.status !== 'active') return { ok: false, reason: 'revoked', message: 'the API token is revoked' };
    const now = this.clock();
    if (!record.lastUsedAt || now.getTime() - record.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
      const stale = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
      // Conditional, so instances serving the same script at once write it once.
      await this.models.ApiToken.updateOne(
        { _id: record._id, $or: [{ lastUsedAt: null }, { lastUsedAt: { $lte: stale } }] },
        { $set: { lastUsedAt: now } },
      );
      record.lastUsedAt = now;
    }
    return { ok: true, token: viewOf(record) };
  }
}

function validateTokenName(name: string): string | undefined {
  if (!name) return 'Give the token a name (e.g. provisioning-script).';
  if (name.length > 64) return 'A token name has at most 64 characters.';
  if (!KEY_NAME_PATTERN.test(name)) return 'Use letters, digits, dots, dashes and underscores (no spaces); start with a letter or digit.';
  if (/^mk_/i.test(name)) return 'A token name may not start with mk_ (that is how token ids look).';
  return undefined;
}

function duplicateName(name: string): DomainError {
  return new DomainError('conflict', `An API token named "${name}" already exists (names are unique, ignoring case).`, 'name');
}

function viewOf(record: TokenRecord | ApiTokenFields): ApiTokenView {
  return {
    tokenId: record.tokenId,
    publicId: tokenPublicIdOf(record.tokenId),
    name: record.name,
    scope: record.scope,
    createdBy: record.createdBy,
    createdAt: record.createdAt,
    lastUsedAt: record.lastUsedAt ?? null,
    status: record.status,
  };
}
