import { expect, test } from 'vitest';
import { createLogger, scrubSecrets } from '../../src/logger.js';

test('log lines are JSON and never carry keys, tokens or signatures, wherever they hide', () => {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
  const key = `pk_abcdefgh_${'A'.repeat(40)}-_${'b'.repeat(22)}`;
  logger.info(
    { token: 'xoxb-123-456-abc', headers: { 'webhook-signature': 'v1,abc' }, nested: { secret: 's3cr3t' } },
    `failed with ${key}`,
  );
  logger.warn({ err: new Error(`boom xoxb-999-888 v1,${'Q'.repeat(44)}=`) }, 'pk_abcdefgh is fine to log');
  expect(lines).toHaveLength(2);
  const text = lines.join('');
  for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  expect(text).not.toContain(key);
  expect(text).not.toContain('xoxb-');
  expect(text).not.toContain('v1,abc');
  expect(text).not.toContain('s3cr3t');
  expect(text).not.toMatch(/v1,Q{20}/);
  expect(text).toContain('pk_abcdefgh is fine to log');
  expect(scrubSecrets(`v0=${'a'.repeat(64)}`)).toBe('[REDACTED]');
});

test('a management API token is scrubbed wherever it hides; its public mk_<id> stays', () => {
  const token = `mk_abcdefgh_${'Z'.repeat(30)}_-${'c'.repeat(32)}`;
  expect(scrubSecrets(`{"msg":"Bearer ${token} refused","tokenId":"mk_abcdefgh"}`)).toBe(
    '{"msg":"Bearer [REDACTED] refused","tokenId":"mk_abcdefgh"}',
  );
});

test('LOG_FORMAT=pretty: one readable line per entry, scrubbed the same way', () => {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', format: 'pretty', destination: { write: (line: string) => void lines.push(line) } });
  const key = `pk_abcdefgh_${'A'.repeat(64)}`;
  logger.child({ component: 'webhooks' }).info({ method: 'POST', status: 202, keyId: 'pk_abcdefgh' }, `request with ${key}`);
  expect(lines).toHaveLength(1);
  const [line] = lines;
  expect(() => JSON.parse(line!)).toThrow();
  expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \(webhooks\) request with \[REDACTED\]/);
  expect(line).toContain('{"method":"POST","status":202,"keyId":"pk_abcdefgh"}');
  expect(line).not.toContain(key);
  expect(line!.trimEnd().split('\n')).toHaveLength(1);
});
