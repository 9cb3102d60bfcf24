/** The batch window (src/webhooks/batchWindow.ts): short when events are few, longer under load. */
import { expect, it } from 'vitest';
import { BatchWindow } from '../../../src/webhooks/batchWindow.js';

const windowAt = (options: ConstructorParameters<typeof BatchWindow>[0] = {}) => {
  let now = 10_000;
  const window = new BatchWindow({ ...options, now: () => now });
  return { window, advance: (ms: number) => (now += ms) };
};

it('waits 5 ms while events are few, 25 ms from 200 a second on', () => {
  const { window, advance } = windowAt();
  const waits = Array.from({ length: 250 }, () => {
    advance(2); // 500 a second
    return window.arrival();
  });
  expect(waits.slice(0, 199).every((w) => w === 5)).toBe(true);
  // Half a second in: the 200th arrival of this second.
  expect(waits.slice(199).every((w) => w === 25)).toBe(true);
});

it('stays busy through the next second on the last one’s rate, and quiet again after a quiet second', () => {
  const { window, advance } = windowAt({ busyAbovePerSecond: 10 });
  advance(-10_000); // the start of a second
  for (let i = 0; i < 10; i++) window.arrival();
  advance(1_000);
  expect(window.arrival()).toBe(25); // the previous second had 10
  advance(1_000);
  expect(window.arrival()).toBe(5); // the previous second had 1
  advance(5_000);
  expect(window.arrival()).toBe(5); // seconds without events in between
});

it('never waits longer when quiet than when busy, and takes the configured waits', () => {
  expect(windowAt({ flushWindowMs: 40, busyFlushWindowMs: 10 }).window.arrival()).toBe(40);
  const { window } = windowAt({ flushWindowMs: 0, busyFlushWindowMs: 60, busyAbovePerSecond: 2 });
  expect([window.arrival(), window.arrival()]).toEqual([0, 60]);
});
