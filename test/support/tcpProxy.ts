/**
 * A TCP proxy on loopback whose far side can be taken away and brought back on the same port:
 * a database outage for the app behind it, whatever the database is (a real mongod or the
 * CongoDB emulator), with the data kept (the database itself keeps running).
 *
 *  - `cut()`: every open connection is reset and the port stops listening (new connections are
 *    refused), as when MongoDB's host goes down;
 *  - `restore()`: listens again on the same port, as when it comes back.
 */

import type { AddressInfo } from 'node:net';
import net, { type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** The proxy's port on 127.0.0.1. */
  readonly port: number;
  readonly up: boolean;
  /** Connections accepted since the start (the app reconnecting shows here). */
  readonly connectionsAccepted: number;
  cut(): Promise<void>;
  /** Connections stay open and new ones are accepted, but nothing gets through (a network partition). */
  blackhole(): void;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  let server: Server | undefined;
  let port = 0;
  let swallowing = false;

  const listen = async () => {
    server = net.createServer((client) => {
      accepted++;
      const upstream = net.connect(target.port, target.host);
      sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      // While swallowing, bytes are read and dropped in both directions.
      client.on('data', (chunk) => void (swallowing || upstream.write(chunk)));
      upstream.on('data', (chunk) => void (swallowing || client.write(chunk)));
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(port, '127.0.0.1', () => resolve());
    });
    port = (server.address() as AddressInfo).port;
  };

  const stopListening = async () => {
    const closing = server;
    server = undefined;
    if (!closing) return;
    const closed = new Promise<void>((resolve) => closing.close(() => resolve()));
    // resetAndDestroy: the client sees ECONNRESET, as from a host that went away.
    for (const socket of sockets) socket.resetAndDestroy();
    sockets.clear();
    await closed;
  };

  await listen();
  return {
    get port() {
      return port;
    },
    get up() {
      return server !== undefined;
    },
    get connectionsAccepted() {
      return accepted;
    },
    cut: stopListening,
    blackhole() {
      swallowing = true;
    },
    async restore() {
      if (swallowing) {
        // Connections that lost bytes are out of step: reset them, as a partition's end does.
        swallowing = false;
        for (const socket of sockets) socket.resetAndDestroy();
        sockets.clear();
      }
      if (!server) await listen();
    },
    close: stopListening,
  };
}

/**
 * The MongoDB URI with its (single) host replaced by the proxy, keeping database and options.
 * `directConnection=true`: a replica-set member would otherwise hand the driver its real address.
 */
export function throughProxy(uri: string, proxy: TcpProxy): string {
  const match = /^mongodb:\/\/([^@/]+@)?([^/?,]+)(\/[^?]*)?(?:\?(.*))?$/.exec(uri);
  if (!match) throw new Error('throughProxy: expected a mongodb:// URI with a single host');
  const options = (match[4] ?? '').split('&').filter((o) => o && !/^directConnection=/i.test(o));
  options.push('directConnection=true');
  return `mongodb://${match[1] ?? ''}127.0.0.1:${proxy.port}${match[3] || '/'}?${options.join('&')}`;
}

/** host and port of a single-host mongodb:// URI. */
export function hostOf(uri: string): { host: string; port: number } {
  const match = /^mongodb:\/\/(?:[^@/]+@)?([^/?:,]+):(\d+)/.exec(uri);
  if (!match) throw new Error('hostOf: expected a mongodb:// URI with a single host and a port');
  return { host: match[1]!, port: Number(match[2]) };
}
