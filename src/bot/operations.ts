import type { AppContext } from '../context.js';
import type { IpLockInput, NewKeyInput } from '../domain/keys.js';
import * as answers from '../slack/blocks/answers.js';
import { tokenCreated, tokenRevoked } from '../slack/blocks/tokens.js';
import type { SlackMessage } from '../slack/kit.js';
import { revealKey, revealToken } from '../slack/reveal.js';

/**
 * The changes the Slack surface offers, each as: call the domain (which validates, changes and
 * audits), reveal a new key if there is one, and answer. Commands, buttons and modal submissions
 * share these. Who may ask was decided before any of these run (permissions.ts).
 */

export async function createKey(context: AppContext, input: NewKeyInput, actor: string): Promise<SlackMessage> {
  const { key, view } = await context.domain.keys.create({ ...input, actor });
  return answers.keyCreated(view, await revealKey(context, actor, view, key, 'created'));
}

export async function rotateKey(context: AppContext, ref: string, actor: string): Promise<SlackMessage> {
  const { key, view, previous } = await context.domain.keys.rotate(ref, actor);
  return answers.keyRotated(view, previous, await revealKey(context, actor, view, key, 'rotated'));
}

export async function setIpLock(context: AppContext, ref: string, lock: IpLockInput, actor: string): Promise<SlackMessage> {
  return answers.ipLockSet(await context.domain.keys.setIpLock(ref, lock, actor));
}

export async function unlinkPhone(context: AppContext, ref: string, phoneNumber: string, actor: string): Promise<SlackMessage> {
  const { view, number, alertsClosed } = await context.domain.keys.unlinkPhone(ref, phoneNumber, actor);
  return answers.phoneUnlinked(view, number, alertsClosed);
}

/** A management API token, revealed once by DM to whoever created it. */
export async function createToken(context: AppContext, name: string, scope: string | undefined, actor: string): Promise<SlackMessage> {
  const { token, view } = await context.domain.apiTokens.create({ name, scope, actor });
  return tokenCreated(view, await revealToken(context, actor, view, token));
}

export async function revokeToken(context: AppContext, ref: string, actor: string): Promise<SlackMessage> {
  return tokenRevoked(await context.domain.apiTokens.revoke(ref, actor));
}

export async function deleteKey(context: AppContext, ref: string, actor: string): Promise<SlackMessage> {
  return answers.keyDeleted(await context.domain.keys.revoke(ref, actor));
}

export async function pausePhone(
  context: AppContext,
  phoneNumber: string,
  minutes: number | undefined,
  actor: string,
): Promise<SlackMessage> {
  const phone = await context.domain.phones.pause(phoneNumber, minutes, actor);
  return answers.phonePaused(phone.number, phone.pausedUntil);
}

export async function resumePhone(context: AppContext, phoneNumber: string, actor: string): Promise<SlackMessage> {
  const phone = await context.domain.phones.resume(phoneNumber, actor);
  return answers.phoneResumed(phone.number);
}
