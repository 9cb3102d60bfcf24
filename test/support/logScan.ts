import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The end-of-run log scan: every line any test app logged (unscrubbed) is checked
 * for anything shaped like a full phone key, a management API token, a Slack token or request signature, a
 * Standard Webhooks signature, and for the exact secrets the test apps were given.
 */
export const LEAK_PATTERNS: { name: string; pattern: RegExp }[] = [
  { name: 'full phone key (hmac: 64, ed25519: 43 characters of secret)', pattern: /pk_[a-z2-7]{8}_[A-Za-z0-9_-]{43}/ },
  { name: 'management API token', pattern: /mk_[a-z2-7]{8}_[A-Za-z0-9_-]{16,}/ },
  { name: 'Slack token', pattern: /xox[abposr]-[A-Za-z0-9-]{6,}/ },
  { name: 'Slack request signature', pattern: /v0=[a-f0-9]{64}/ },
  { name: 'webhook signature', pattern: /v1a?,[A-Za-z0-9+/]{40,}={0,2}/ },
];

export interface Leak {
  file: string;
  what: string;
  line: string;
}

export function scanLogs(dir: string): { lines: number; leaks: Leak[] } {
  if (!existsSync(dir)) return { lines: 0, leaks: [] };
  const files = readdirSync(dir);
  const secrets = files
    .filter((f) => f.startsWith('secrets-'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
    .filter((s) => s.length >= 8);
  const leaks: Leak[] = [];
  let lines = 0;
  for (const file of files.filter((f) => f.endsWith('.log'))) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (!line) continue;
      lines++;
      for (const { name, pattern } of LEAK_PATTERNS) if (pattern.test(line)) leaks.push({ file, what: name, line: line.slice(0, 300) });
      for (const secret of secrets) if (line.includes(secret)) leaks.push({ file, what: 'a configured secret', line: line.slice(0, 300) });
    }
  }
  return { lines, leaks };
}
