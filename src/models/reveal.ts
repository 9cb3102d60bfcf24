/**
 * The one Slack message that showed a secret (a key, an API token) once, kept on the secret's
 * document until it is redacted: by its "Saved it — hide" button or after REVEAL_TTL_MINUTES.
 */
export interface RevealFields {
  userId: string | null;
  channel: string | null;
  ts: string | null;
  /** An uploaded file of the secret (a key's QR code), deleted with the message. */
  fileId: string | null;
  expiresAt: Date | null;
  redactedAt: Date | null;
}

/** The subdocument's schema definition. Redactions are owed through the Slack outbox, which keeps their due time. */
export const revealDefinition = {
  userId: { type: String, default: null },
  channel: { type: String, default: null },
  ts: { type: String, default: null },
  fileId: { type: String, default: null },
  expiresAt: { type: Date, default: null },
  redactedAt: { type: Date, default: null },
};
