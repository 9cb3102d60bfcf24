import type { App } from '@slack/bolt';
import type { AppContext } from '../../../context.js';
import { CallbackId } from '../../../slack/ids.js';
import { createKeySubmission } from './createKey.js';
import { editKeySubmission } from './editKey.js';
import { lockKeySubmission } from './lockKey.js';
import { unlinkPhoneSubmission } from './unlinkPhone.js';

export function register(app: App, context: AppContext): void {
  app.view(CallbackId.createKey, createKeySubmission(context));
  app.view(CallbackId.editKey, editKeySubmission(context));
  app.view(CallbackId.lockKey, lockKeySubmission(context));
  app.view(CallbackId.unlinkPhone, unlinkPhoneSubmission(context));
}
