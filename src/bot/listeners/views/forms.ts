import type { ViewOutput } from '@slack/bolt';
import type { IpLockInput } from '../../../domain/keys.js';
import { IP_LOCK_MODES, type IpLockMode } from '../../../models/index.js';
import { ActionId, BlockId } from '../../../slack/ids.js';

/** Reading submitted modal inputs (block id → the `value` element), and placing errors on them. */

type Values = ViewOutput['state']['values'];

export function textOf(values: Values, blockId: string): string {
  return values[blockId]?.[ActionId.input]?.value ?? '';
}

export function selectedOf(values: Values, blockId: string): string | undefined {
  return values[blockId]?.[ActionId.input]?.selected_option?.value ?? undefined;
}

/** The checked options of a checkboxes input. */
export function checkedOf(values: Values, blockId: string): string[] {
  return (values[blockId]?.[ActionId.input]?.selected_options ?? []).map((option) => option.value);
}

export function ipLockOf(values: Values): IpLockInput {
  const mode = selectedOf(values, BlockId.ipMode);
  return { mode: IP_LOCK_MODES.includes(mode as IpLockMode) ? (mode as IpLockMode) : 'off', list: textOf(values, BlockId.ipList) };
}

/** The key fields the create and edit modals share: name, description, IP lock, scopes. */
export function keyFieldsOf(values: Values): { name: string; description: string; ipLock: IpLockInput; scopes: string[] } {
  return {
    name: textOf(values, BlockId.name),
    description: textOf(values, BlockId.description),
    ipLock: ipLockOf(values),
    scopes: checkedOf(values, BlockId.scopes),
  };
}

/** Domain field → the block showing it (they share names); anything else goes on `fallback`. */
export function inlineErrors(errors: Record<string, string>, blockIds: string[], fallback: string): Record<string, string> {
  const placed: Record<string, string> = {};
  for (const [field, message] of Object.entries(errors)) {
    const block = blockIds.includes(field) ? field : fallback;
    placed[block] = placed[block] ? `${placed[block]} ${message}` : message;
  }
  return placed;
}
