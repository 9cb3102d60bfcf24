/**
 * Tells this instance's listeners (the webhook receiver's key cache) that a key was just
 * created or had its status or IP lock written, so a cached answer about it can be dropped
 * at once. Other instances learn of the same change from the key's `changedAt`.
 * Revocations are announced once more, with who revoked, for work that follows them at once
 * (the Slack side redacts the key's reveal DM).
 */
export class KeyChanges {
  private readonly listeners = new Set<(keyId: string) => void>();
  private readonly revokedListeners = new Set<(keyId: string, actor: string) => void>();

  /** Returns the unsubscribe function. */
  subscribe(listener: (keyId: string) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  notify(keyId: string): void {
    for (const listener of this.listeners) listener(keyId);
  }

  /** Keys revoked by this instance (after the write and its audit entry). Returns the unsubscribe function. */
  subscribeRevoked(listener: (keyId: string, actor: string) => void): () => void {
    this.revokedListeners.add(listener);
    return () => void this.revokedListeners.delete(listener);
  }

  notifyRevoked(keyId: string, actor: string): void {
    for (const listener of this.revokedListeners) listener(keyId, actor);
  }
}
