/**
 * The README's Python signing example, run as written against the server: accepted with a linked
 * key, and a refusal prints its status and JSON error body (not a traceback).
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/processes.js';
import { startTestApp, type TestApp } from '../support/testApp.js';

const python = (() => {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return 'python3';
  } catch {
    return undefined;
  }
})();

/** The first ```python block of the README (the HMAC example, standard library only). */
const example = /```python\n([\s\S]*?)```/.exec(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'))![1]!;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

/** Runs the example in its own process (asynchronously: the server answering it is in this one). */
function runExample(key: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, PHONEKEYS_KEY: key, PHONEKEYS_URL: app.baseUrl };
    execFile(python!, ['-c', example], { env, encoding: 'utf8', timeout: 15_000 }, (error, stdout, stderr) =>
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

describe.skipIf(!python)('the README’s Python example', () => {
  it('posts a heartbeat the server accepts', async () => {
    const { key, view } = await app.context.domain.keys.create({ name: 'python-gw', ipLock: { mode: 'off' }, actor: 'UADMIN' });
    await app.context.domain.keys.linkPhones(view.keyId, ['+2348012345678'], 'phone:test');
    const run = await runExample(key);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^202 /);
  });

  it('prints a refusal’s status and JSON error instead of a traceback', async () => {
    const run = await runExample(`pk_abcdefgh_${'A'.repeat(64)}`);
    expect(run.status).toBe(0);
    expect(run.stderr).not.toContain('Traceback');
    const [status, ...body] = run.stdout.trim().split(' ');
    expect(status).toBe('401');
    expect(JSON.parse(body.join(' '))).toEqual({ error: expect.stringContaining('unknown') });
  });
});
