/**
 * Every identifier Slack echoes back to us, in one place: the views and the
 * listeners must agree on them. Input block ids equal the domain's field names
 * (DomainError.field, validateNew's keys), so a domain error lands on its input.
 */
export const KEYS_COMMAND = '/keys';

export const CallbackId = {
  createKey: 'key_create',
  editKey: 'key_edit',
  lockKey: 'key_lock',
  unlinkPhone: 'key_unlink',
  notice: 'key_notice',
} as const;

export const ActionId = {
  hideReveal: 'reveal_hide',
  hideTokenReveal: 'token_reveal_hide',
  openEditModal: 'key_edit_open',
  openLockModal: 'key_lock_open',
  openUnlinkModal: 'key_unlink_open',
  rotateKey: 'key_rotate',
  deleteKey: 'key_delete',
  listPage: 'keys_list_page',
  /** On every alert: the value is the incident's id. */
  acknowledgeAlert: 'alert_ack',
  pauseAlert: 'alert_pause',
  /** In the rotation warning DM: the value is the key id. */
  rotateNow: 'key_rotate_now',
  phonesPage: 'phones_page',
  /** "Older" in /keys audit: the value is the next page's filters and cursor. */
  auditPage: 'audit_page',
  /** The element inside every input block. */
  input: 'value',
} as const;

export const BlockId = {
  name: 'name',
  description: 'description',
  ipMode: 'ip_mode',
  ipList: 'ip_list',
  algorithm: 'algorithm',
  scopes: 'scopes',
  environment: 'environment',
  phoneNumber: 'phone_number',
  /** The actions block of `/keys delete`'s confirmation message (replaced once done). */
  deleteConfirmation: 'key_delete_confirmation',
} as const;
