import { escapeText } from '../format.js';
import { context, type SlackMessage, section } from '../kit.js';
import { webhookUrlText } from './revealMessage.js';

/** Plain text: escaped before it goes in mrkdwn (the `<key>` placeholders are not markup). */
const USAGE = [
  "*`/keys`: phone API keys for the SMS-gateway phones.*  `<key>` is a key's `pk_…` id or its name.",
  '`/keys create [name]`: create a key (a form opens; the key comes to you by DM, once)',
  '`/keys list`: all keys, with buttons to edit, lock, unlink, rotate and delete',
  '`/keys edit <key>`: change its name, description, IP lock and scopes (a form opens)',
  '`/keys lock <key> <ip-or-cidr>[,…]`: only these IPs may use the key',
  '`/keys lock <key> first`: lock the key to the first IP that uses it',
  '`/keys unlock <key>`: any IP may use the key',
  '`/keys unlink <key> <phone-number>`: unlink a phone number from the key',
  '`/keys rotate <key>`: a new key replaces it (the old one works for a grace period)',
  '`/keys delete <key>`: revoke the key at once (asks first)',
  '`/keys phones [silent|online|failing|never-seen|paused|unlinked|<key>]`: phones and their status, paged; only those in one status, or of one key',
  '`/keys pause <phone-number> [minutes]` · `/keys resume <phone-number>`: pause silent-phone alerts (default 60 minutes)',
  "`/keys audit [key] [@person]`: who changed what, newest first, paged; only one key's, or one person's",
  '`/keys token create <name> [read|write]`: a token for the management API (/api/v1), sent to you by DM, once (default write)',
  '`/keys token list` · `/keys token revoke <name-or-mk_id>`: the API tokens; revoking takes effect at once',
].join('\n');

/** `/keys help` (with an error first when the command was wrong), and where phones post. */
export function usageMessage(error?: string, webhookUrl?: string): SlackMessage {
  const text = escapeText(error ? `:x: ${error}\n\n${USAGE}` : USAGE);
  return {
    text: error ? escapeText(`${error} See /keys help.`) : 'How to use /keys',
    blocks: [section(text), context(webhookUrlText(webhookUrl))],
  };
}
