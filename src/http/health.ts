import { Router } from 'express';
import type { Database } from '../db/connect.js';
import { withinScrapeBudget } from '../metrics.js';

/**
 * /healthz: the process runs. /readyz: MongoDB answers and the process is not draining
 * (a load balancer stops routing here if not). Its body also says whether alerts can be posted
 * (`alert_channel`), which does not change the status: an instance that cannot page is still
 * fit to serve Slack and the phones.
 */
export function healthRouter(
  database: Database,
  shuttingDown: () => boolean = () => false,
  details: () => Promise<Record<string, unknown>> = async () => ({}),
): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    if (shuttingDown()) {
      res.status(503).json({ status: 'unavailable', error: 'shutting down' });
      return;
    }
    const ready = await database.ping(1000);
    // Like the ping, bounded: a database that stalls after it must not hang the probe.
    const more = ready ? ((await withinScrapeBudget(details())) ?? {}) : {};
    res.status(ready ? 200 : 503).json(ready ? { status: 'ready', ...more } : { status: 'unavailable', error: 'MongoDB does not answer' });
  });
  return router;
}
