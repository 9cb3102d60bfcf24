/**
 * Tells this instance's listeners (the webhook receiver's key cache) that a key was just
 * created or had its status or IP lock written, so a cached answer about it can be dropped
 * at once. Other instances learn of the same change from the key's `changedAt`.
 */
export class KeyChanges {
  private readonly listeners = new Set<(keyId: string) => void>();

  /** Returns the unsubscribe function. */
  subscribe(listener: (keyId: string) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  notify(keyId: string): void {
    for (const listener of this.listeners) listener(keyId);
  }
}
