import type { AppContext } from '../context.js';

/**
 * Redacts reveal DMs whose REVEAL_TTL_MINUTES has passed (chat.update + files.delete).
 * Run every minute by the scheduler, so redaction survives a restart. Returns how many it redacted.
 */
export async function redactExpiredReveals(_context: AppContext): Promise<number> {
  // Filled by the Slack keys work (issue 3).
  return 0;
}
