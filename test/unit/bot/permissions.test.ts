/** The one admin check's decision: which Slack requests ask for a change, and who may make one. */
import { describe, expect, it } from 'vitest';
import { changesSomething, isAdmin } from '../../../src/bot/permissions.js';
import { loadConfig } from '../../../src/config.js';
import { ActionId, CallbackId } from '../../../src/slack/ids.js';

const command = (text: string) => ({ command: '/keys', text, user_id: 'U1' });
const button = (actionId: string) => ({ type: 'block_actions', user: { id: 'U1' }, actions: [{ action_id: actionId }] });
const submission = (callbackId: string) => ({ type: 'view_submission', user: { id: 'U1' }, view: { callback_id: callbackId } });

describe('changesSomething', () => {
  it('every changing subcommand is a change; usage and reading are not', () => {
    const changing = [
      'create',
      'create gw',
      'lock gw 10.0.0.1',
      'lock gw first',
      'unlock gw',
      'unlink gw +2348012345678',
      'rotate gw',
      'delete gw',
      'pause +2348012345678 30',
      'resume +2348012345678',
      'token create deploy write',
      'token revoke deploy',
    ];
    for (const text of changing) expect(changesSomething(command(text)), text).toBe(true);
    for (const text of ['', 'help', 'list', 'phones', 'audit', 'audit gw', 'token list', 'token', 'frobnicate', 'lock']) {
      expect(changesSomething(command(text)), text).toBe(false);
    }
  });

  it('every button changes something except paging the list and hiding one’s own reveal', () => {
    for (const id of [ActionId.openLockModal, ActionId.openUnlinkModal, ActionId.rotateKey, ActionId.deleteKey]) {
      expect(changesSomething(button(id)), id).toBe(true);
    }
    for (const id of [ActionId.listPage, ActionId.phonesPage, ActionId.auditPage, ActionId.hideReveal, ActionId.hideTokenReveal])
      expect(changesSomething(button(id)), id).toBe(false);
  });

  it('anything not known to be open is a change: a button or a modal added later, a subcommand not yet parsed', () => {
    expect(changesSomething(button('token_revoke'))).toBe(true);
    expect(changesSomething(submission('key_token_create'))).toBe(true);
    expect(
      changesSomething({ type: 'block_actions', actions: [{ action_id: ActionId.listPage }, { action_id: ActionId.deleteKey }] }),
    ).toBe(true);
  });

  it('every modal submission is a change; events and closed modals are not', () => {
    for (const id of [CallbackId.createKey, CallbackId.lockKey, CallbackId.unlinkPhone])
      expect(changesSomething(submission(id)), id).toBe(true);
    expect(changesSomething({ type: 'event_callback', event: { type: 'app_home_opened' } })).toBe(false);
    expect(changesSomething({ type: 'view_closed', view: { callback_id: CallbackId.createKey } })).toBe(false);
    expect(changesSomething(undefined)).toBe(false);
  });
});

describe('isAdmin', () => {
  const config = (admins: string) =>
    loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'a'.repeat(32), ALERT_CHANNEL_ID: 'C0ALERTS', ADMIN_USER_IDS: admins });

  it('with ADMIN_USER_IDS set, only those users', () => {
    const c = config('UADMIN, UOTHER');
    expect(isAdmin(c, 'UADMIN')).toBe(true);
    expect(isAdmin(c, 'UOTHER')).toBe(true);
    expect(isAdmin(c, 'UOUTSIDER')).toBe(false);
    expect(isAdmin(c, '')).toBe(false);
  });

  it('with ADMIN_USER_IDS empty, everyone', () => {
    expect(isAdmin(config(''), 'UANYONE')).toBe(true);
  });
});
