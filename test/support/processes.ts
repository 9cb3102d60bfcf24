import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');

export interface RunningProcess {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the first output line matching, or rejects after timeoutMs with the output so far. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

/**
 * Node's arguments and the environment for a TypeScript entry point of the repo run as a process of
 * its own: through tsx, with the run's query recorder (its queries join the end-of-run index check).
 */
export function tsProcess(script: string, args: string[], env: Record<string, string | undefined>) {
  const recorder = process.env.PHONEKEYS_TEST_QUERY_DIR ? ['--import', join(REPO_ROOT, 'test/support/queryRecorder.ts')] : [];
  return {
    args: ['--import', 'tsx', ...recorder, script, ...args],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PHONEKEYS_TEST_QUERY_DIR: process.env.PHONEKEYS_TEST_QUERY_DIR, ...env },
  };
}

/** Runs a TypeScript entry point of the repo as its own Node process (through tsx), with exactly this environment. */
export function runTs(script: string, args: string[], env: Record<string, string | undefined>): RunningProcess {
  const spec = tsProcess(script, args, env);
  const child = spawn(process.execPath, spec.args, {
    cwd: REPO_ROOT,
    env: spec.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const waiter of [...waiters]) {
      const line = output.split('\n').find((l) => waiter.pattern.test(l));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = once(child, 'exit').then(([code, signal]) => {
    // The process's log lines join the run's log scan (globalSetup).
    const dir = process.env.PHONEKEYS_TEST_LOG_DIR;
    if (dir)
      appendFileSync(
        join(dir, `process-${process.pid}-${child.pid}.log`),
        `${output
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .join('\n')}\n`,
      );
    return (code ?? signal) as number | string;
  });
  return {
    child,
    output: () => output,
    exited,
    waitForLine(pattern, timeoutMs = 30_000) {
      const existing = output.split('\n').find((l) => pattern.test(l));
      if (existing !== undefined) return Promise.resolve(existing);
      return new Promise((resolveLine, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; output:\n${output}`)),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: (line) => {
            clearTimeout(timer);
            resolveLine(line);
          },
        });
        exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`process exited (${code}) before a line matching ${pattern}; output:\n${output}`));
        });
      });
    },
  };
}
