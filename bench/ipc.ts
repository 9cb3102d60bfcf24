/**
 * The bench's child processes (the database, the measured server, the bare Express baseline)
 * and the one way they talk to the bench: request/response messages over Node's IPC channel.
 * A child runs a repo TypeScript entry through tsx; it says `ready` (with what it has to say,
 * e.g. its port) once it listens, and answers requests by name.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '..');

interface Request {
  id: number;
  method: string;
  params?: unknown;
}
type Reply = { id: number; result?: unknown; error?: string } | { ready: unknown } | { failed: string };

export interface ChildHandle<Ready> {
  child: ChildProcess;
  /** What the child said when it became ready. */
  ready: Ready;
  call<T = unknown>(method: string, params?: unknown): Promise<T>;
  /** SIGTERM, then SIGKILL after a few seconds; resolves once it has exited. */
  stop(): Promise<void>;
}

export interface StartChildOptions {
  env?: Record<string, string | undefined>;
  /** Where the child's stdout and stderr go (a file; default: inherited stderr only for stderr). */
  logFile?: string;
  startTimeoutMs?: number;
  /** Run on these CPUs only (a taskset CPU list, bench/cpus.ts); anywhere when unset. */
  cpus?: string;
  /** The checkout to run `script` from (another version of the product, for `--compare`); default this one. */
  root?: string;
  /** Node's own flags (e.g. the Procfile's, bench/setup.ts). */
  nodeFlags?: string[];
}

/** Starts `script` (relative to the repo) with `node --import tsx` and waits for its `ready`. */
export async function startChild<Ready>(script: string, options: StartChildOptions = {}): Promise<ChildHandle<Ready>> {
  const logFd = options.logFile ? openSync(options.logFile, 'w') : undefined;
  const root = options.root ?? REPO_ROOT;
  const node = [process.execPath, ...(options.nodeFlags ?? []), '--import', 'tsx', resolve(root, script)];
  // taskset execs node in place: same pid, and the IPC channel's descriptor is inherited.
  const [command, ...args] = options.cpus ? ['taskset', '--cpu-list', options.cpus, ...node] : node;
  const child = spawn(command!, args, {
    cwd: root,
    env: { ...process.env, ...options.env },
    stdio: logFd === undefined ? ['ignore', 'ignore', 'inherit', 'ipc'] : ['ignore', logFd, logFd, 'ipc'],
  });
  if (logFd !== undefined) closeSync(logFd);

  let nextId = 1;
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  const exited = once(child, 'exit');
  let readyValue: Ready | undefined;

  const ready = new Promise<Ready>((resolveReady, rejectReady) => {
    const timer = setTimeout(
      () => rejectReady(new Error(`${script} did not start within ${options.startTimeoutMs ?? 60_000} ms`)),
      options.startTimeoutMs ?? 60_000,
    );
    child.on('message', (message: Reply) => {
      if ('ready' in message) {
        clearTimeout(timer);
        readyValue = message.ready as Ready;
        resolveReady(readyValue);
      } else if ('failed' in message) {
        clearTimeout(timer);
        rejectReady(new Error(`${script} failed to start: ${message.failed}`));
      } else {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.error !== undefined) waiter?.reject(new Error(`${script}: ${message.error}`));
        else waiter?.resolve(message.result);
      }
    });
    void exited.then(([code, signal]) => {
      clearTimeout(timer);
      const error = new Error(`${script} exited (${code ?? signal})${options.logFile ? `; see ${options.logFile}` : ''}`);
      rejectReady(error);
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    });
  });

  return {
    child,
    ready: await ready,
    call<T>(method: string, params?: unknown) {
      const id = nextId++;
      return new Promise<T>((resolveCall, rejectCall) => {
        pending.set(id, { resolve: resolveCall as (value: unknown) => void, reject: rejectCall });
        child.send({ id, method, params } satisfies Request);
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

export type Handlers = Record<string, (params: unknown) => unknown>;

/** In a child: answer the bench's requests with these handlers, after saying `ready`. */
export function serveBench(ready: unknown, handlers: Handlers): void {
  if (!process.send) throw new Error('run me from the bench (no IPC channel)');
  process.on('message', async (message: Request) => {
    const handler = handlers[message.method];
    try {
      if (!handler) throw new Error(`unknown method ${message.method}`);
      process.send!({ id: message.id, result: await handler(message.params) });
    } catch (error) {
      process.send!({ id: message.id, error: error instanceof Error ? error.message : String(error) });
    }
  });
  // The bench went away: so do we.
  process.on('disconnect', () => process.exit(0));
  process.send({ ready });
}

/** In a child: report a start-up failure to the bench and exit. */
export function failStart(error: unknown): never {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.send?.({ failed: message });
  console.error(message);
  process.exit(1);
}
