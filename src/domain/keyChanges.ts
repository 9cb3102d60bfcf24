/**
 * A change that makes work due at once on this instance (after its write and its audit entry):
 * a key revoked (its reveal DM redacted, its phones' alerts closed), or a number unlinked from a
 * key (its alerts closed). The Slack side delivers what they made due without waiting for a tick.
 */
export type KeyFollowUp =
  | { type: 'revoked'; keyId: string; actor: string }
  | { type: 'unlinked'; keyId: string; phoneNumber: string; actor: string };

/**
 * Tells this instance's listeners (the webhook receiver's key cache) that a key was just
 * created or had its status or IP lock written, so a cached answer about it can be dropped
 * at once. Other instances learn of the same change from the key's `changedAt`.
 * Revocations and unlinked numbers are announced once more, with who did it, for work that
 * follows them at once (KeyFollowUp).
 */
export class KeyChanges {
  private readonly listeners = new Set<(keyId: string) => void>();
  private readonly followUpListeners = new Set<(change: KeyFollowUp) => void>();

  /** Returns the unsubscribe function. */
  subscribe(listener: (keyId: string) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  notify(keyId: string): void {
    for (const listener of this.listeners) listener(keyId);
  }

  /** Keys revoked and numbers unlinked by this instance. Returns the unsubscribe function. */
  subscribeFollowUps(listener: (change: KeyFollowUp) => void): () => void {
    this.followUpListeners.add(listener);
    return () => void this.followUpListeners.delete(listener);
  }

  notifyFollowUp(change: KeyFollowUp): void {
    for (const listener of this.followUpListeners) listener(change);
  }
}
