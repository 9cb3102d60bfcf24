/**
 * Posting to a `response_url` (README: Security). The one that comes back in a modal's
 * private_metadata is only as trustworthy as the view it rode on, so it is pinned: https on
 * Slack's response hosts, or the host of SLACK_API_URL (a Slack-compatible gateway, the tests'
 * fake), and redirects are never followed.
 */

/** Where Slack's response_urls live (commercial Slack and GovSlack). */
const SLACK_RESPONSE_HOSTS = new Set(['hooks.slack.com', 'hooks.slack-gov.com']);

export function isTrustedResponseUrl(url: string, apiUrl: string | undefined): boolean {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  if (target.username || target.password) return false;
  if (target.protocol === 'https:' && target.port === '' && SLACK_RESPONSE_HOSTS.has(target.hostname)) return true;
  if (!apiUrl) return false;
  const api = new URL(apiUrl);
  return target.protocol === api.protocol && target.host === api.host;
}

/**
 * POSTs a JSON body to a trusted response_url without following redirects. True when it answered
 * 2xx; false when the URL is not trusted (nothing is sent) or it answered anything else.
 */
export async function postToResponseUrl(
  url: string,
  body: unknown,
  { apiUrl, timeoutMs = 10_000 }: { apiUrl: string | undefined; timeoutMs?: number },
): Promise<{ ok: boolean; status: number | 'untrusted' }> {
  if (!isTrustedResponseUrl(url, apiUrl)) return { ok: false, status: 'untrusted' };
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  });
  // The body is not needed: let the connection go back to the pool.
  await res.body?.cancel().catch(() => undefined);
  return { ok: res.ok, status: res.status };
}
