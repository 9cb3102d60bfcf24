import type { AppContext } from '../context.js';
import type { IpLockInput, KeyView } from '../domain/keys.js';
import { escapeText, ipLockText, slackDate } from './format.js';
import type { Message } from './replies.js';
import { revealKey } from './reveal.js';

/**
 * The changes the Slack surface offers, each as: call the domain (which
 * validates, changes and audits), reveal a new key if there is one, and say what
 * happened. Commands, buttons and modal submissions share these, so the same
 * change reads the same wherever it was asked for. Permission is checked by the
 * caller (refuseChange) before any of these run.
 */

const keyLabel = (key: Pick<KeyView, 'name' | 'publicId'>): string => `*${escapeText(key.name)}* (\`${key.publicId}\`)`;

export async function createKey(
  context: AppContext,
  input: { name: string; description?: string; ipLock: IpLockInput },
  actor: string,
): Promise<Message> {
  const { key, view } = await context.domain.keys.create({ ...input, actor });
  const revealed = await revealKey(context, actor, view, key, 'created');
  if (!revealed) {
    return {
      text: `:warning: Created ${keyLabel(view)}, but I could not send you the key by DM, so nobody has seen it. Rotate it to get one you can see: \`/keys rotate ${view.publicId}\` (or delete it).`,
    };
  }
  return {
    text: `:white_check_mark: Created ${keyLabel(view)}. The key is in your DMs with me, shown once; IP lock: ${ipLockText(view.ipLock)}.`,
  };
}

export async function rotateKey(context: AppContext, ref: string, actor: string): Promise<Message> {
  const { key, view, previous } = await context.domain.keys.rotate(ref, actor);
  const revealed = await revealKey(context, actor, view, key, 'rotated');
  const replaced = `${keyLabel(view)} replaces ${keyLabel(previous)}. The old key keeps working until ${slackDate(previous.graceEndsAt)}, then stops: register the phones with the new key before then.`;
  if (!revealed) {
    return {
      text: `:warning: ${replaced}\nBut I could not send you the new key by DM, so nobody has seen it: rotate \`${view.publicId}\` to get a key you can see.`,
    };
  }
  return { text: `:arrows_counterclockwise: ${replaced} The new key is in your DMs with me, shown once.` };
}

export async function setIpLock(context: AppContext, ref: string, lock: IpLockInput, actor: string): Promise<Message> {
  const view = await context.domain.keys.setIpLock(ref, lock, actor);
  if (lock.mode === 'off') return { text: `:unlock: ${keyLabel(view)} is unlocked: any IP may use it.` };
  return { text: `:lock: ${keyLabel(view)} IP lock: ${ipLockText(view.ipLock)}.` };
}

export async function unlinkPhone(context: AppContext, ref: string, phoneNumber: string, actor: string): Promise<Message> {
  const { view, number } = await context.domain.keys.unlinkPhone(ref, phoneNumber, actor);
  return { text: `:link: Unlinked ${number} from ${keyLabel(view)}. The phone must register again to be linked.` };
}

export async function deleteKey(context: AppContext, ref: string, actor: string): Promise<Message> {
  const view = await context.domain.keys.revoke(ref, actor);
  return { text: `:wastebasket: Deleted ${keyLabel(view)}: it is revoked, and phones using it are refused from now on.` };
}

export async function pausePhone(context: AppContext, phoneNumber: string, minutes: number | undefined, actor: string): Promise<Message> {
  const phone = await context.domain.phones.pause(phoneNumber, minutes, actor);
  return { text: `:double_vertical_bar: Silent-phone alerts for ${phone.number} are paused until ${slackDate(phone.pausedUntil)}.` };
}

export async function resumePhone(context: AppContext, phoneNumber: string, actor: string): Promise<Message> {
  const phone = await context.domain.phones.resume(phoneNumber, actor);
  return { text: `:arrow_forward: Silent-phone alerts for ${phone.number} are back on.` };
}
