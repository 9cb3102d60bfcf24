/**
 * A Socket Mode server on loopback, as Slack runs it: the fake Web API's apps.connections.open
 * hands out its ws:// URL; a client that connects gets `hello`, then the envelopes a test sends,
 * and each envelope's ack (`{envelope_id, payload?}`) is recorded.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Json } from './slackRequests.js';

export interface SocketModeAck {
  envelope_id: string;
  payload?: Json;
}

export interface FakeSocketMode {
  /** The ws:// URL for apps.connections.open. */
  readonly url: string;
  /** Resolves once a client connected and was sent `hello`. */
  connected(timeoutMs?: number): Promise<void>;
  /** Sends an envelope (`slash_commands`, `interactive`, `events_api`) and resolves with its ack. */
  send(type: string, payload: Json, timeoutMs?: number): Promise<SocketModeAck>;
  close(): Promise<void>;
}

export async function startFakeSocketMode(): Promise<FakeSocketMode> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/link/?ticket=${randomBytes(8).toString('hex')}`;
  let client: WebSocket | undefined;
  const connectedWaiters: (() => void)[] = [];
  const ackWaiters = new Map<string, (ack: SocketModeAck) => void>();

  server.on('connection', (socket) => {
    client = socket;
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as SocketModeAck;
      ackWaiters.get(message.envelope_id)?.(message);
      ackWaiters.delete(message.envelope_id);
    });
    socket.send(
      JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0PHONEKEYS' }, debug_info: { host: 'fake' } }),
    );
    for (const resolve of connectedWaiters.splice(0)) resolve();
  });

  const within = <T>(promise: Promise<T>, ms: number, what: string) =>
    Promise.race([
      promise,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`fakeSocketMode: no ${what} within ${ms} ms`)), ms)),
    ]);

  return {
    url,
    connected: (timeoutMs = 10_000) =>
      client ? Promise.resolve() : within(new Promise<void>((resolve) => connectedWaiters.push(resolve)), timeoutMs, 'connection'),
    send(type, payload, timeoutMs = 5_000) {
      if (!client) throw new Error('fakeSocketMode: no client connected');
      const envelopeId = `env-${randomBytes(6).toString('hex')}`;
      const acked = new Promise<SocketModeAck>((resolve) => ackWaiters.set(envelopeId, resolve));
      client.send(
        JSON.stringify({
          envelope_id: envelopeId,
          type,
          payload,
          accepts_response_payload: type !== 'events_api',
          retry_attempt: 0,
          retry_reason: '',
        }),
      );
      return within(acked, timeoutMs, `ack of ${type}`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of server.clients) socket.terminate();
        server.close(() => resolve());
      }),
  };
}
