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
import { mongo } from 'mongoose';

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

/** Where a proxy must point to stand between the app and a deployment, and the URI through it. */
export interface ProxyTarget {
  host: string;
  port: number;
  /** The app's URI through the proxy: a direct connection to that one server. */
  through(proxy: TcpProxy): string;
}

/**
 * Any MONGODB_URI shape: a single host is the target as it is; for several hosts or
 * `mongodb+srv://` the deployment is asked which member is its primary (a mongos: the first one),
 * and the app connects to it directly through the proxy (with TLS, the certificate names the
 * member, not the proxy: its host name is not checked). `{ skip }` says why no target can be had.
 */
export async function proxyTarget(uri: string): Promise<ProxyTarget | { skip: string }> {
  const single = /^mongodb:\/\/(?:[^@/]+@)?([^/?,]+)(?:[/?]|$)/.exec(uri);
  if (single) return { ...hostPort(single[1]!), through: (proxy) => directUri(uri, proxy.port) };
  let client: mongo.MongoClient | undefined;
  try {
    client = await new mongo.MongoClient(uri, { serverSelectionTimeoutMS: 5_000 }).connect();
    const hello = await client.db('admin').command({ hello: 1 });
    const member = (hello.primary as string | undefined) ?? (hello.msg === 'isdbgrid' ? undefined : (hello.me as string | undefined));
    const { host, port } = member ? hostPort(member) : { host: client.options.hosts[0]!.host!, port: client.options.hosts[0]!.port! };
    const tls = client.options.tls;
    const authSource = client.options.credentials?.source;
    return { host, port, through: (proxy) => directUri(uri, proxy.port, { tls, authSource }) };
  } catch (error) {
    return { skip: `could not find the primary of MONGODB_URI to put a TCP proxy in front of it: ${(error as Error).message}` };
  } finally {
    await client?.close();
  }
}

/**
 * `uri` as a direct connection to 127.0.0.1:`port`, keeping credentials, database and options
 * (replica-set and SRV options dropped; what an SRV record implied made explicit).
 * `directConnection=true`: a replica-set member would otherwise hand the driver its real address.
 */
export function directUri(uri: string, port: number, implied: { tls?: boolean; authSource?: string } = {}): string {
  const match = /^mongodb(\+srv)?:\/\/([^@/]+@)?[^/?]+(\/[^?]*)?(?:\?(.*))?$/.exec(uri);
  if (!match) throw new Error('directUri: not a MongoDB URI');
  const [, srv, userinfo = '', path, query = ''] = match;
  const dropped = /^(directConnection|replicaSet|srvServiceName|srvMaxHosts|loadBalanced)=/i;
  const options = query.split('&').filter((o) => o && !dropped.test(o));
  const has = (name: string) => options.some((o) => o.toLowerCase().startsWith(`${name.toLowerCase()}=`));
  const tls = implied.tls ?? Boolean(srv);
  if (tls && !has('tls') && !has('ssl')) options.push('tls=true');
  if (tls) options.push('tlsAllowInvalidHostnames=true');
  if (userinfo && implied.authSource && !has('authSource')) options.push(`authSource=${encodeURIComponent(implied.authSource)}`);
  options.push('directConnection=true');
  return `mongodb://${userinfo}127.0.0.1:${port}${path || '/'}?${options.join('&')}`;
}

function hostPort(member: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(member);
  if (!match) throw new Error(`not a host: ${member}`);
  return { host: match[1]!, port: Number(match[2] ?? 27017) };
}
