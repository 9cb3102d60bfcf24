import { expect, test } from 'vitest';
import type { KeyView } from '../../../src/domain/keys.js';
import { keyListPage } from '../../../src/slack/blocks/keyList.js';

const key: KeyView = {
  keyId: 'abcdefgh',
  publicId: 'pk_abcdefgh',
  name: 'gw',
  description: '',
  createdBy: 'UADMIN',
  createdAt: new Date('2026-11-22T10:00:00Z'),
  lastUsedAt: null,
  timesUsed: 0,
  status: 'active',
  ipLock: { mode: 'off', entries: [], firstIp: null },
  scopes: ['heartbeat', 'messages', 'sends'],
  environment: 'live',
  algorithm: 'hmac',
  phoneNumbers: [],
  phoneCount: 0,
  rotationDue: false,
  graceEndsAt: null,
  rotatedTo: null,
  rotatedFrom: null,
};

test('the /keys list header escapes `<key>` (Slack would read a bare <key> as markup and drop it)', () => {
  const header = JSON.stringify(keyListPage({ keys: [key], next: null }).blocks!.find((b) => b.type === 'context'));
  expect(header).toContain('`&lt;key&gt;` in commands is the pk_ id or the name');
  expect(header).not.toMatch(/<key>/);
});
