/** `npm run bench -- --help` prints usage and runs nothing; an unknown option is refused with the usage. */
import { expect, test } from 'vitest';
import { runTs } from '../support/processes.js';

test('bench --help prints the usage and exits 0 without starting anything', async () => {
  const proc = runTs('bench/run.ts', ['--help'], {});
  expect(await proc.exited).toBe(0);
  expect(proc.output()).toMatch(/^Usage: npm run bench/);
  expect(proc.output()).toContain('--save');
  expect(proc.output()).not.toContain('database:');
});

test('bench with an unknown option exits 2 with the usage', async () => {
  const proc = runTs('bench/run.ts', ['--frobnicate'], {});
  expect(await proc.exited).toBe(2);
  expect(proc.output()).toContain("Unknown option '--frobnicate'");
  expect(proc.output()).toContain('Usage: npm run bench');
});
