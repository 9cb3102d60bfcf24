import type { App, BlockButtonAction } from '@slack/bolt';
import type { AppContext } from '../../../context.js';
import { ActionId } from '../../../slack/ids.js';
import { acknowledgeAlert, pauseAlert } from './alerts.js';
import { auditPage } from './auditPage.js';
import { deleteKey } from './deleteKey.js';
import { hideReveal, hideTokenReveal } from './hideReveal.js';
import { listPage } from './listPage.js';
import { openEditModal } from './openEditModal.js';
import { openLockModal } from './openLockModal.js';
import { openUnlinkModal } from './openUnlinkModal.js';
import { phonesPage } from './phonesPage.js';
import { rotateKey } from './rotateKey.js';
import { rotateNow } from './rotateNow.js';

/** Every button is a plain button; its value is the key id (or the page, or the alert's incident id). */
export function register(app: App, context: AppContext): void {
  app.action<BlockButtonAction>(ActionId.hideReveal, hideReveal(context));
  app.action<BlockButtonAction>(ActionId.hideTokenReveal, hideTokenReveal(context));
  app.action<BlockButtonAction>(ActionId.openEditModal, openEditModal(context));
  app.action<BlockButtonAction>(ActionId.openLockModal, openLockModal(context));
  app.action<BlockButtonAction>(ActionId.openUnlinkModal, openUnlinkModal(context));
  app.action<BlockButtonAction>(ActionId.rotateKey, rotateKey(context));
  app.action<BlockButtonAction>(ActionId.deleteKey, deleteKey(context));
  app.action<BlockButtonAction>(ActionId.listPage, listPage(context));
  app.action<BlockButtonAction>(ActionId.acknowledgeAlert, acknowledgeAlert(context));
  app.action<BlockButtonAction>(ActionId.pauseAlert, pauseAlert(context));
  app.action<BlockButtonAction>(ActionId.rotateNow, rotateNow(context));
  app.action<BlockButtonAction>(ActionId.phonesPage, phonesPage(context));
  app.action<BlockButtonAction>(ActionId.auditPage, auditPage(context));
}
