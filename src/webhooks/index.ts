import { Router } from 'express';
import type { AppContext } from '../context.js';

export interface PhoneWebhookReceiver {
  /** Mounted at /webhooks/phone; brings its own raw-body parser. */
  router: Router;
  /** Flushes anything buffered (accepted events) before shutdown. */
  close(): Promise<void>;
}

export function createPhoneWebhookReceiver(_context: AppContext): PhoneWebhookReceiver {
  // Filled by the webhook receiver work (issue 4).
  return { router: Router(), close: async () => {} };
}
