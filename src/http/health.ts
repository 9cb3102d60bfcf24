import { Router } from 'express';
import type { Database } from '../db/connect.js';

/** /healthz: the process runs. /readyz: MongoDB answers (a load balancer stops routing here if not). */
export function healthRouter(database: Database): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const ready = await database.ping(1000);
    res.status(ready ? 200 : 503).json(ready ? { status: 'ready' } : { status: 'unavailable', error: 'MongoDB does not answer' });
  });
  return router;
}
