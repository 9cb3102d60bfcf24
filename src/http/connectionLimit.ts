import type { Server } from 'node:http';
import { normalizeIp } from '../domain/ipLock.js';
import type { Logger } from '../logger.js';

/**
 * At most `max` open connections from one client address: a connection beyond that is closed
 * as soon as it is accepted, without an answer (as Node's own `maxConnections` does), so one
 * address cannot hold the server's sockets with slow or idle connections. Logged once a minute
 * per address.
 */
export function limitConnectionsPerIp(server: Server, max: number, logger: Logger): void {
  const open = new Map<string, number>();
  const warnedAt = new Map<string, number>();
  server.on('connection', (socket) => {
    const ip = normalizeIp(socket.remoteAddress ?? '') || socket.remoteAddress || 'unknown';
    const count = open.get(ip) ?? 0;
    if (count >= max) {
      socket.destroy();
      const now = Date.now();
      if (now - (warnedAt.get(ip) ?? 0) >= 60_000) {
        warnedAt.set(ip, now);
        if (warnedAt.size > 10_000) warnedAt.clear();
        logger.warn({ ip, max }, 'too many connections from one address: new ones are closed at once');
      }
      return;
    }
    open.set(ip, count + 1);
    socket.once('close', () => {
      const left = (open.get(ip) ?? 1) - 1;
      if (left > 0) open.set(ip, left);
      else open.delete(ip);
    });
  });
}
