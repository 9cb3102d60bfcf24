import type { ApiTokenView } from '../../domain/apiTokens.js';
import { mention, slackDate, tokenLabel } from '../format.js';
import { context, header, linesToSections, type SlackMessage, section } from '../kit.js';

/** `/keys token …`: the management API's tokens as Slack shows them (never the token itself). */

/** At most this many in one message (Slack allows 50 blocks; ~20 lines fit in one). */
const MAX_TOKENS_SHOWN = 100;

type Token = Pick<ApiTokenView, 'tokenId' | 'publicId' | 'name' | 'scope'>;

export function tokenCreated(token: Token, revealed: boolean): SlackMessage {
  if (!revealed) {
    return {
      text: `:warning: Created the API token ${tokenLabel(token)}, but I could not send it to you by DM, so nobody has seen it. Revoke it (\`/keys token revoke ${token.publicId}\`) and create another.`,
    };
  }
  return {
    text: `:white_check_mark: Created the *${token.scope}* API token ${tokenLabel(token)}. It is in your DMs with me, shown once.`,
  };
}

export const tokenRevoked = (token: Token): SlackMessage => ({
  text: `:wastebasket: Revoked the API token ${tokenLabel(token)}: requests with it are refused from now on.`,
});

/** `/keys token list`: name, `mk_<id>`, scope, creator, created, last used; newest first. */
export function tokenList(tokens: ApiTokenView[]): SlackMessage {
  const title = 'Management API tokens';
  if (tokens.length === 0) {
    return {
      text: `${title}: none yet.`,
      blocks: [section('*Management API tokens*: none yet. Create one with `/keys token create &lt;name&gt; [read|write]`.')],
    };
  }
  const shown = tokens.slice(0, MAX_TOKENS_SHOWN);
  const lines = shown.map(
    (t) =>
      `${tokenLabel(t)} · ${t.scope} · by ${mention(t.createdBy)} ${slackDate(t.createdAt)} · last used ${slackDate(t.lastUsedAt, 'never')}`,
  );
  return {
    text: `${title}: ${tokens.length}`,
    blocks: [
      header(title),
      ...linesToSections(lines),
      ...(tokens.length > shown.length ? [section(`…and ${tokens.length - shown.length} more, older ones.`)] : []),
      context(
        'Scripts send a token as `Authorization: Bearer &lt;token&gt;` to `/api/v1` (see the README). Revoke one with `/keys token revoke &lt;name-or-mk_id&gt;`.',
      ),
    ],
  };
}
