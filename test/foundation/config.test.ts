import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const valid = { SLACK_BOT_TOKEN: 'xoxb-1-2-3', SLACK_SIGNING_SECRET: 'abcdef0123456789', ALERT_CHANNEL_ID: 'C0ALERTS' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  test('the three required variables are enough, with the documented defaults', () => {
    const config = loadConfig(valid);
    expect(config.port).toBe(3000);
    expect(config.silentAfterMs).toBe(30 * 60_000);
    expect(config.silentRemindMs).toBe(0);
    expect(config.keyRotationMs).toBe(90 * 24 * 3600_000);
    expect(config.rotationGraceMs).toBe(24 * 3600_000);
    expect(config.revealTtlMs).toBe(15 * 60_000);
    expect(config.cron).toEqual({ silentPhones: '* * * * *', keyRotation: '0 9 * * *', fleetReport: '0 9 * * 1' });
    expect(config.eventRetentionMs).toBe(30 * 24 * 3600_000);
    expect(config.runJobs).toBe(true);
    expect(config.slack.adminUserIds).toEqual([]);
    expect(config.trustProxy).toBeUndefined();
    expect(config.usingDevelopmentEncryptionKey).toBe(true);
  });

  test('every problem is reported at once, each naming its variable', () => {
    const problems = problemsOf({
      SLACK_BOT_TOKEN: 'not-a-token',
      ALERT_CHANNEL_ID: 'general',
      PORT: 'eighty',
      SILENT_AFTER_MINUTES: '-5',
      KEY_ENCRYPTION_KEY: 'c2hvcnQ=',
      SILENT_PHONES_CRON: 'every minute',
      FLEET_REPORT_CRON: 'mondays',
      EVENT_RETENTION_DAYS: '0',
      ADMIN_USER_IDS: 'U123ABC,alice',
      RUN_JOBS: 'sometimes',
      LOG_LEVEL: 'loud',
      MONGODB_URI: 'postgres://x',
    });
    const named = (variable: string) => problems.some((p) => p.startsWith(`${variable} `));
    for (const variable of [
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
      'ALERT_CHANNEL_ID',
      'PORT',
      'SILENT_AFTER_MINUTES',
      'KEY_ENCRYPTION_KEY',
      'SILENT_PHONES_CRON',
      'FLEET_REPORT_CRON',
      'EVENT_RETENTION_DAYS',
      'ADMIN_USER_IDS',
      'RUN_JOBS',
      'LOG_LEVEL',
      'MONGODB_URI',
    ]) {
      expect(named(variable), `${variable} in ${JSON.stringify(problems)}`).toBe(true);
    }
  });

  test('durations may be fractions; cron may have a seconds field; lists are trimmed', () => {
    const config = loadConfig({
      ...valid,
      SILENT_AFTER_MINUTES: '0.5',
      ROTATION_GRACE_HOURS: '1.5',
      EVENT_RETENTION_DAYS: '0.5',
      SILENT_PHONES_CRON: '*/10 * * * * *',
      ADMIN_USER_IDS: ' U1AAA , U2BBB ',
      TRUST_PROXY: '1',
      SLACK_API_URL: 'http://127.0.0.1:9/api',
    });
    expect(config.silentAfterMs).toBe(30_000);
    expect(config.rotationGraceMs).toBe(90 * 60_000);
    expect(config.eventRetentionMs).toBe(12 * 3600_000);
    expect(config.cron.silentPhones).toBe('*/10 * * * * *');
    expect(config.slack.adminUserIds).toEqual(['U1AAA', 'U2BBB']);
    expect(config.trustProxy).toBe(1);
    expect(loadConfig({ ...valid, RUN_JOBS: 'FALSE' }).runJobs).toBe(false);
    expect(config.slack.apiUrl).toBe('http://127.0.0.1:9/api/');
  });

  test('production requires a real encryption key, listed with any other problem', () => {
    expect(problemsOf({ ...valid, NODE_ENV: 'production' })).toEqual([expect.stringMatching(/^KEY_ENCRYPTION_KEY is required/)]);
    const both = problemsOf({ ...valid, NODE_ENV: 'production', PORT: 'eighty' });
    expect(both).toHaveLength(2);
    expect(both.some((p) => p.startsWith('KEY_ENCRYPTION_KEY '))).toBe(true);
    expect(both.some((p) => p.startsWith('PORT '))).toBe(true);
    const key = Buffer.alloc(32, 7).toString('base64');
    const config = loadConfig({ ...valid, NODE_ENV: 'production', KEY_ENCRYPTION_KEY: key });
    expect(config.encryptionKey.equals(Buffer.alloc(32, 7))).toBe(true);
    expect(config.usingDevelopmentEncryptionKey).toBe(false);
  });

  describe('production', () => {
    const production = {
      ...valid,
      KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    };

    test('NODE_ENV=production in any case is production', () => {
      for (const nodeEnv of ['production', 'Production', 'PRODUCTION', ' production ']) {
        expect(problemsOf({ ...valid, NODE_ENV: nodeEnv }), nodeEnv).toEqual([
          'KEY_ENCRYPTION_KEY is required when NODE_ENV=production (32 bytes, base64)',
        ]);
        expect(loadConfig({ ...production, NODE_ENV: nodeEnv }).production).toBe(true);
      }
      expect(loadConfig({ ...valid, NODE_ENV: 'staging' }).production).toBe(false);
    });

    test('refuses the public development key and .env.example placeholders, all at once', () => {
      const problems = problemsOf({
        ...valid,
        NODE_ENV: 'Production',
        KEY_ENCRYPTION_KEY: Buffer.from('phonekeys-development-only-key!!').toString('base64'),
        SLACK_BOT_TOKEN: 'xoxb-your-bot-token',
        SLACK_SIGNING_SECRET: 'your-signing-secret',
      });
      expect(problems).toEqual([
        'KEY_ENCRYPTION_KEY is the public development key: in production use your own (openssl rand -base64 32)',
        'SLACK_BOT_TOKEN is still the placeholder from .env.example (xoxb-your-bot-token): set the real value',
        'SLACK_SIGNING_SECRET is still the placeholder from .env.example (your-signing-secret): set the real value',
      ]);
      // Outside production the development key is allowed, and flagged for the start-up warning.
      expect(
        loadConfig({ ...valid, KEY_ENCRYPTION_KEY: Buffer.from('phonekeys-development-only-key!!').toString('base64') })
          .usingDevelopmentEncryptionKey,
      ).toBe(true);
    });

    test('TRUST_PROXY=true is refused in production with the fix; a hop count or addresses are fine', () => {
      const [problem, ...rest] = problemsOf({ ...production, NODE_ENV: 'production', TRUST_PROXY: 'TRUE' });
      expect(rest).toEqual([]);
      expect(problem).toMatch(
        /^TRUST_PROXY=true trusts every X-Forwarded-For hop, so any client can claim any IP and pass IP locks: set the number of proxies/,
      );
      expect(loadConfig({ ...production, NODE_ENV: 'production', TRUST_PROXY: '1' }).trustProxy).toBe(1);
      expect(loadConfig({ ...production, NODE_ENV: 'production', TRUST_PROXY: '10.0.0.0/8' }).trustProxy).toBe('10.0.0.0/8');
      expect(loadConfig({ ...valid, TRUST_PROXY: 'True' }).trustProxy).toBe(true);
    });
  });
});
