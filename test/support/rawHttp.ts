/**
 * HTTP written by hand on a raw socket, for clients no HTTP library would be: slow, lying
 * about their length, holding connections. Every socket is closed by `waitMs` at the latest.
 */
import net from 'node:net';

export interface RawExchange {
  /** Everything the server sent. */
  text: string;
  /** The status of the first response, 0 if none. */
  status: number;
  /** Milliseconds from the first byte sent to the first byte of the answer (undefined: none). */
  answeredAfterMs?: number;
  /** Milliseconds from the first byte sent until the server closed the connection (undefined: it did not). */
  closedAfterMs?: number;
}

export interface RawClientOptions {
  port: number;
  localAddress?: string;
  /** What to send, in order; a number waits that many milliseconds. */
  script: (string | Buffer | number)[];
  /** Give up (and close) after this long. */
  waitMs: number;
}

export function rawExchange({ port, localAddress, script, waitMs }: RawClientOptions): Promise<RawExchange> {
  return new Promise((resolve) => {
    const result: RawExchange = { text: '', status: 0 };
    let started = 0;
    let done = false;
    const socket = net.connect({ port, host: '127.0.0.1', localAddress });
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(giveUp);
      socket.destroy();
      result.status = Number(/^HTTP\/1\.1 (\d{3})/.exec(result.text)?.[1] ?? 0);
      resolve(result);
    };
    const giveUp = setTimeout(finish, waitMs);
    socket.on('data', (chunk) => {
      result.answeredAfterMs ??= performance.now() - started;
      result.text += chunk.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (!done) result.closedAfterMs = performance.now() - started;
      finish();
    });
    socket.on('connect', async () => {
      started = performance.now();
      for (const step of script) {
        if (done || socket.destroyed) return;
        if (typeof step === 'number') await new Promise((r) => setTimeout(r, step));
        else socket.write(step);
      }
    });
  });
}

/** Opens a connection and keeps it open, sending nothing; resolves once connected (or closed). */
export function idleConnection(port: number, localAddress?: string): Promise<{ socket: net.Socket; closed: Promise<number> }> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress });
    const opened = performance.now();
    const closed = new Promise<number>((r) => socket.once('close', () => r(performance.now() - opened)));
    socket.on('error', () => {});
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('close', () => resolve({ socket, closed }));
  });
}
