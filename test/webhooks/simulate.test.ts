/** The phone simulator, run as `npm run simulate` runs it, against the app on the system clock. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { numbersFrom, parseDuration, simulate } from '../../src/cli/simulate.js';
import { runTs } from '../support/processes.js';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { createKey, newNumber, type TestKey } from './support.js';

let app: TestApp;
let key: TestKey;

beforeAll(async () => {
  app = await startTestApp(); // the simulator stamps real time
  key = await createKey(app);
});
afterAll(async () => {
  await app?.close();
});

/** Runs the simulator in-process, collecting its output. */
async function run(args: string[]) {
  const lines: string[] = [];
  const errors: string[] = [];
  const status = await simulate(args, { log: (l) => lines.push(l), error: (l) => errors.push(l) }, {});
  return { status, lines, errors };
}

it('registers numbers, posts events and prints each status and body (as a process)', async () => {
  const number = newNumber();
  const registered = runTs('src/cli/simulate.ts', ['--url', app.baseUrl, 'register', '--numbers', number], { PHONEKEYS_KEY: key.key });
  expect(await registered.exited).toBe(0);
  expect(registered.output()).toMatch(
    new RegExp(`phone.registered \\${number}: 202 \\{"status":"accepted","webhook_id":"msg_[0-9a-f]+"\\}`),
  );
  expect(registered.output()).not.toContain(key.key);

  const data = JSON.stringify({ phone_number: number, from: '+15550100', content: 'hello' });
  const event = runTs(
    'src/cli/simulate.ts',
    ['--url', app.baseUrl, '--key', key.key, 'event', '--type', 'message.phone.received', '--data', data],
    {},
  );
  expect(await event.exited).toBe(0);
  expect(await app.context.models.PhoneEvent.findOne({ keyId: key.keyId, type: 'message.phone.received' }).lean()).toMatchObject({
    phoneNumber: number,
    data: { content: 'hello' },
  });
}, 30_000);

it('heartbeats N phones K rounds', async () => {
  const base = newNumber();
  for (let i = 0; i < 3; i++) newNumber(); // keep these numbers out of other tests' way
  const { status, lines, errors } = await run([
    '--url',
    app.baseUrl,
    '--key',
    key.key,
    'heartbeat',
    '--phones',
    '3',
    '--base',
    base,
    '--count',
    '2',
    '--interval',
    '10ms',
  ]);
  expect(errors).toEqual([]);
  expect(status).toBe(0);
  expect(lines.filter((l) => /^phone.heartbeat .*: 202 /.test(l))).toHaveLength(6);
  expect(lines.at(-1)).toBe('3 phones, 9 requests, 0 failed');
  const phones = await app.context.models.Phone.find({ number: { $in: numbersFrom(base, 3) } }).lean();
  expect(phones.map((p) => [p.keyId, p.state])).toEqual([
    [key.keyId, 'up'],
    [key.keyId, 'up'],
    [key.keyId, 'up'],
  ]);
});

it('exits non-zero when the request is refused, and reuses --id to show a duplicate', async () => {
  const refused = await run(['--url', app.baseUrl, '--key', key.key, 'event', '--type', 'phone.exploded', '--data', '{}']);
  expect(refused.status).toBe(1);
  expect(refused.errors[0]).toMatch(/^phone.exploded: 400 \{"error":"type: unknown event type/);

  const number = newNumber();
  const args = ['--url', app.baseUrl, '--key', key.key, 'register', '--numbers', number, '--id', 'msg_simulated_once'];
  expect((await run(args)).lines[0]).toContain(': 202 ');
  const again = await run(args);
  expect(again.status).toBe(0);
  expect(again.lines[0]).toContain(': 200 {"status":"duplicate"');
});

it('signs v1a for an ed25519 key, from the key string alone', async () => {
  const { key: edKey, view } = await app.context.domain.keys.create({
    name: `sim-ed-${process.pid}`,
    ipLock: { mode: 'off' },
    algorithm: 'ed25519',
    actor: 'UADMIN',
  });
  expect(edKey).toHaveLength(55);
  const number = newNumber();
  const registered = await run(['--url', app.baseUrl, '--key', edKey, 'register', '--numbers', number]);
  expect(registered.errors).toEqual([]);
  expect(registered.lines[0]).toContain(': 202 ');
  const heartbeat = await run(['--url', app.baseUrl, '--key', edKey, 'heartbeat', '--phones', '1', '--base', number, '--count', '1']);
  expect(heartbeat.status).toBe(0);
  expect(await app.context.models.Phone.findOne({ number }).lean()).toMatchObject({ keyId: view.keyId, state: 'up' });
});

it('explains its usage and refuses bad arguments', async () => {
  const help = await run(['--help']);
  expect(help.status).toBe(0);
  expect(help.lines[0]).toContain('usage: npm run simulate -- [--url URL] [--key KEY] <command>');
  expect((await run(['register', '--numbers', '+2348012345678'])).errors[0]).toContain('give the phone key with --key or PHONEKEYS_KEY');
  expect((await run(['--key', key.key, 'register', '--numbers', '0801'])).errors[0]).toContain('not an E.164 number: 0801');
  expect((await run(['--key', key.key, 'fly'])).status).toBe(2);
  expect(parseDuration('30s')).toBe(30_000);
  expect(parseDuration('2m')).toBe(120_000);
  expect(numbersFrom('+2348000000009', 2)).toEqual(['+2348000000009', '+2348000000010']);
});
