/** `/keys audit` in sentences: who did what to which key, the phones' own registrations folded into one line. */
import { describe, expect, it } from 'vitest';
import { type AuditEntryView, groupAutomaticPhoneChanges, isAutomaticPhoneChange } from '../../../src/domain/auditPages.js';
import { actorText, auditLine, auditSentence, phoneRunLine } from '../../../src/slack/blocks/auditSentences.js';
import { slackDate } from '../../../src/slack/format.js';

const AT = new Date('2026-11-22T10:00:00Z');
const GW = 'abcd2345';
const R2 = 'efgh2345';
const OTHER = 'ijkl2345';
const names = new Map([
  [GW, 'lagos-gw-1'],
  [R2, 'lagos-gw-1-r2'],
  [OTHER, '<!channel> & co'],
]);

const entry = (fields: Partial<AuditEntryView>): AuditEntryView => ({
  at: AT,
  actor: 'U0ANA',
  action: 'key.created',
  keyId: GW,
  phoneNumber: null,
  details: {},
  ...fields,
});
const say = (fields: Partial<AuditEntryView>) => auditSentence(entry(fields), names);

describe('who', () => {
  it('a person is mentioned; tokens, jobs and phones are named; all escaped', () => {
    expect(actorText('U0ANA')).toBe('<@U0ANA>');
    expect(actorText('api:deploy')).toBe('API token *deploy*');
    expect(actorText('api:<!here>')).toBe('API token *&lt;!here&gt;*');
    expect(actorText('system:key-rotation')).toBe('the key-rotation job');
    expect(actorText('system:expire-rotated-keys')).toBe('the rotation-expiry job');
    expect(actorText('system:new<job>')).toBe('the new&lt;job&gt; job');
    expect(actorText('phone:pk_abcd2345')).toBe('a phone using `pk_abcd2345`');
    expect(actorText('<!channel>')).toBe('`&lt;!channel&gt;`');
  });
});

describe('sentences', () => {
  it('key changes name the key by its name (escaped) and id', () => {
    expect(say({})).toBe('<@U0ANA> created *lagos-gw-1* (`pk_abcd2345`)');
    expect(say({ details: { environment: 'test' } })).toBe('<@U0ANA> created *lagos-gw-1* (`pk_abcd2345`), a test key');
    expect(say({ keyId: OTHER })).toBe('<@U0ANA> created *&lt;!channel&gt; &amp; co* (`pk_ijkl2345`)');
    // A key no longer stored: its id alone.
    expect(say({ keyId: 'mnop2345' })).toBe('<@U0ANA> created `pk_mnop2345`');
    const grace = new Date('2026-11-23T10:00:00Z');
    expect(say({ action: 'key.rotated', details: { successor: `pk_${R2}`, graceEndsAt: grace } })).toBe(
      `<@U0ANA> rotated *lagos-gw-1* (\`pk_abcd2345\`) → *lagos-gw-1-r2* (\`pk_efgh2345\`); the old key works until ${slackDate(grace)}`,
    );
    expect(say({ action: 'key.created_by_rotation', keyId: R2, details: { rotatedFrom: `pk_${GW}` } })).toBe(
      '<@U0ANA> created *lagos-gw-1-r2* (`pk_efgh2345`) to replace *lagos-gw-1* (`pk_abcd2345`)',
    );
    expect(say({ action: 'key.revoked', details: { reason: 'deleted' } })).toBe('<@U0ANA> deleted *lagos-gw-1* (`pk_abcd2345`)');
    expect(say({ action: 'key.revoked', actor: 'system:expire-rotated-keys', details: { reason: 'rotation grace ended' } })).toBe(
      'the rotation-expiry job revoked *lagos-gw-1* (`pk_abcd2345`): rotation grace ended',
    );
    expect(say({ action: 'key.rotation_cancelled', details: { successor: `pk_${R2}` } })).toBe(
      '<@U0ANA> deleted *lagos-gw-1-r2* (`pk_efgh2345`), which replaced *lagos-gw-1* (`pk_abcd2345`): the rotation is cancelled and the old key is active again',
    );
    expect(say({ action: 'key.rotation_due', actor: 'system:key-rotation', details: { createdAt: AT } })).toBe(
      `the key-rotation job flagged *lagos-gw-1* (\`pk_abcd2345\`) for rotation (created ${slackDate(AT)})`,
    );
  });

  it('edits say old → new; locks say where', () => {
    expect(say({ action: 'key.edited', details: { changes: { name: { from: 'gw', to: '<b>' } } } })).toBe(
      '<@U0ANA> edited *lagos-gw-1* (`pk_abcd2345`): name: “gw” → “&lt;b&gt;”',
    );
    expect(say({ action: 'key.locked', details: { mode: 'list', entries: ['203.0.113.7', '10.0.0.0/24'] } })).toBe(
      '<@U0ANA> locked *lagos-gw-1* (`pk_abcd2345`) to `203.0.113.7`, `10.0.0.0/24`',
    );
    expect(say({ action: 'key.locked', details: { mode: 'first', entries: [] } })).toBe(
      '<@U0ANA> locked *lagos-gw-1* (`pk_abcd2345`) to the first IP that uses it',
    );
    expect(say({ action: 'key.unlocked', details: { mode: 'off' } })).toBe(
      '<@U0ANA> unlocked *lagos-gw-1* (`pk_abcd2345`): any IP may use it',
    );
    expect(say({ action: 'key.ip_locked_on_first_use', actor: `phone:pk_${GW}`, details: { ip: '203.0.113.7' } })).toBe(
      '*lagos-gw-1* (`pk_abcd2345`) locked itself to `203.0.113.7`, the first IP a phone used it from',
    );
  });

  it('phones, alerts and tokens', () => {
    expect(say({ action: 'phone.linked', actor: `phone:pk_${GW}`, phoneNumber: '+2348012345678' })).toBe(
      'a phone registered +2348012345678 on *lagos-gw-1* (`pk_abcd2345`)',
    );
    expect(
      say({ action: 'phone.linked', actor: `phone:pk_${R2}`, keyId: R2, phoneNumber: '+2348012345678', details: { from: `pk_${GW}` } }),
    ).toBe('a phone registered +2348012345678 on *lagos-gw-1-r2* (`pk_efgh2345`), taking it from *lagos-gw-1* (`pk_abcd2345`)');
    expect(say({ action: 'phone.unlinked', actor: 'api:deploy', phoneNumber: '+2348012345678' })).toBe(
      'API token *deploy* unlinked +2348012345678 from *lagos-gw-1* (`pk_abcd2345`)',
    );
    const until = new Date('2026-11-22T11:30:00Z');
    expect(say({ action: 'phone.paused', phoneNumber: '+2348012345678', details: { minutes: 90, until } })).toBe(
      `<@U0ANA> paused the alerts of +2348012345678 on *lagos-gw-1* (\`pk_abcd2345\`) for 1 h 30 min, until ${slackDate(until)}`,
    );
    expect(say({ action: 'alert.acknowledged', keyId: null, details: { incident: 'x' } })).toBe('<@U0ANA> acknowledged an alert');
    expect(say({ action: 'token.created', keyId: null, details: { token: 'mk_abcd2345', name: 'deploy', scope: 'read' } })).toBe(
      '<@U0ANA> created API token *deploy* (`mk_abcd2345`), scope read',
    );
    expect(say({ action: 'key.reveal_redacted', actor: 'system:reveal-expiry' })).toBe(
      'the reveal timer hid the DM that revealed *lagos-gw-1* (`pk_abcd2345`)',
    );
  });

  it('an action not known here still reads as a sentence, details escaped', () => {
    expect(say({ action: 'key.<frobbed>', phoneNumber: '+2348012345678', details: { why: '<!here>', none: null } })).toBe(
      '<@U0ANA>: key.&lt;frobbed&gt; on *lagos-gw-1* (`pk_abcd2345`), +2348012345678 (why: &lt;!here&gt;)',
    );
  });

  it('a line starts with its time', () => {
    expect(auditLine(entry({}), names)).toBe(`${slackDate(AT)} · <@U0ANA> created *lagos-gw-1* (\`pk_abcd2345\`)`);
  });
});

describe('runs of automatic phone changes', () => {
  const minute = (i: number) => new Date(AT.getTime() - i * 60_000);
  const registration = (i: number, keyId = GW): AuditEntryView =>
    entry({
      at: minute(i),
      actor: `phone:pk_${keyId}`,
      action: 'phone.linked',
      keyId,
      phoneNumber: `+23480100000${String(i).padStart(2, '0')}`,
    });

  it('only phones and jobs linking or unlinking phones are folded; people never', () => {
    expect(isAutomaticPhoneChange({ actor: 'phone:pk_abcd2345', action: 'phone.linked' })).toBe(true);
    expect(isAutomaticPhoneChange({ actor: 'system:cleanup', action: 'phone.unlinked' })).toBe(true);
    expect(isAutomaticPhoneChange({ actor: 'U0ANA', action: 'phone.unlinked' })).toBe(false);
    expect(isAutomaticPhoneChange({ actor: 'api:deploy', action: 'phone.linked' })).toBe(false);
    expect(isAutomaticPhoneChange({ actor: 'phone:pk_abcd2345', action: 'key.ip_locked_on_first_use' })).toBe(false);
  });

  it('consecutive ones become one item; a single one stays an entry; people split runs', () => {
    const rotation = entry({ at: minute(5), action: 'key.rotated', details: { successor: `pk_${R2}` } });
    const entries = [registration(1), registration(2), registration(3), rotation, registration(6), entry({ at: minute(7) })];
    const items = groupAutomaticPhoneChanges(entries);
    expect(items.map((i) => (i.kind === 'phones' ? `phones×${i.entries.length}` : i.entry.action))).toEqual([
      'phones×3',
      'key.rotated',
      'phone.linked',
      'key.created',
    ]);
  });

  it('one line: how many, on which key, between when and when, which numbers', () => {
    const run = Array.from({ length: 12 }, (_, i) => registration(i + 1));
    expect(phoneRunLine(run, names)).toBe(
      `:iphone: 12 phones registered on *lagos-gw-1* (\`pk_abcd2345\`) between ${slackDate(minute(12))} and ${slackDate(minute(1))}: ` +
        '+2348010000001, +2348010000002, +2348010000003, +2348010000004, +2348010000005 and 7 more',
    );
  });

  it('a run over several keys says how many each, moved numbers too', () => {
    const run = [registration(1, R2), { ...registration(2, R2), details: { from: `pk_${GW}` } }, registration(3, OTHER)];
    expect(phoneRunLine(run, names)).toBe(
      `:iphone: 3 phone changes between ${slackDate(minute(3))} and ${slackDate(minute(1))}: ` +
        '2 registered on *lagos-gw-1-r2* (`pk_efgh2345`) (1 moved from other keys), 1 registered on *&lt;!channel&gt; &amp; co* (`pk_ijkl2345`)',
    );
  });
});
