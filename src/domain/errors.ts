/**
 * A refusal the user can act on. Adapters turn `code` into their own shape
 * (an ephemeral Slack message, an inline modal error, an HTTP status).
 */
export type DomainErrorCode = 'invalid' | 'not_found' | 'conflict' | 'forbidden';

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** The input the message is about (e.g. `name`, `ip_list`), for inline form errors. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const isDuplicateKeyError = (error: unknown, index?: string): boolean => {
  const e = error as { code?: number; message?: string; keyPattern?: Record<string, unknown> };
  if (e?.code !== 11000) return false;
  if (!index) return true;
  return Boolean(e.keyPattern?.[index]) || Boolean(e.message?.includes(index));
};
