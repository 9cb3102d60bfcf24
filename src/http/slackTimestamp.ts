import type { RequestHandler } from 'express';
import type { Logger } from '../logger.js';

/** How far a Slack request's timestamp may be from this server's clock, either way (Slack's own advice: 5 minutes). */
export const SLACK_TIMESTAMP_WINDOW_SECONDS = 5 * 60;

/**
 * Refuses, before Bolt reads it, a request to /slack/events whose `x-slack-request-timestamp`
 * is more than 5 minutes from now in either direction. Bolt checks only the past, so a request
 * signed for an hour ahead (a captured signature, or a skewed client) could be replayed for that
 * hour. Missing or malformed timestamps are left to Bolt, which refuses them with the signature.
 * The system clock, as Bolt's check uses. Socket Mode requests do not come this way (README).
 */
export function slackTimestampWindow(logger: Logger, now: () => number = Date.now): RequestHandler {
  return (req, res, next) => {
    const header = req.headers['x-slack-request-timestamp'];
    const ts = typeof header === 'string' && /^\d{1,12}$/.test(header) ? Number(header) : undefined;
    if (ts === undefined) return next();
    const skew = ts - Math.floor(now() / 1000);
    if (Math.abs(skew) <= SLACK_TIMESTAMP_WINDOW_SECONDS) return next();
    logger.warn(
      { skewSeconds: skew },
      `Slack request refused: its timestamp is ${skew > 0 ? 'in the future' : 'stale'} (more than 5 minutes off)`,
    );
    res.status(401).type('text/plain').send('');
  };
}
