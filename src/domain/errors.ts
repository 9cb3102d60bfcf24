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
    /** Every invalid input (field → message) when there are several; `field` is the first. */
    readonly fields: Record<string, string> = field ? { [field]: message } : {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** One `invalid` error carrying every problem found (field → message); the first one is its message. */
export function invalidFields(errors: Record<string, string>): DomainError {
  const [field, message] = Object.entries(errors)[0] ?? ['input', 'invalid input'];
  return new DomainError('invalid', message, field, errors);
}

export const isDuplicateKeyError = (error: unknown, index?: string): boolean => {
  const e = error as { code?: number; message?: string; keyPattern?: Record<string, unknown> };
  if (e?.code !== 11000) return false;
  if (!index) return true;
  return Boolean(e.keyPattern?.[index]) || Boolean(e.message?.includes(index));
};
