/**
 * The baseline: a bare Express app answering 200 to the same requests the phones send the
 * product (same path, headers and body), parsing nothing, with a response body of the same
 * size as the product's 202. Measured exactly like the product's server.
 */
import express from 'express';
import { failStart, serveBench } from './ipc.js';
import { watchProcess } from './processStats.js';

const processStats = watchProcess();

try {
  const app = express();
  app.disable('x-powered-by');
  app.post('/webhooks/phone', (req, res) => {
    res.status(200).json({ status: 'accepted', webhook_id: req.headers['webhook-id'] });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.on('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
  serveBench(
    { port, pid: process.pid },
    {
      snapshot: processStats,
    },
  );
} catch (error) {
  failStart(error);
}
