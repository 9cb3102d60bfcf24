/**
 * Part 3's revocation figure: while the fleet keeps posting, the bench revokes one phone's key
 * through its own KeyService, as `/keys delete` on another instance would (the measured server
 * learns of it only from the database), and probes the server with that key until it is refused.
 * Also the one signed POST the bench makes outside autocannon (registrations, probes).
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppContext } from '../src/context.js';
import { signWebhook } from '../src/webhooks/signing.js';
import { type BenchPhone, heartbeatBody, runLoad, WEBHOOK_PATH } from './load.js';

export interface RevocationReport {
  /** From `revoke` returning to the first probe sent after which every probe was refused (401). */
  refusedAfterMs: number;
  /** The last probe accepted (202) was sent this long after `revoke` returned (negative: none after). */
  lastAcceptedAfterMs: number;
  probes: number;
  /** Probes answered 503 (the database too slow for the deadline: neither accepted nor refused). */
  unavailable: number;
  underLoad: true;
}

/** One phone's signed webhook, as the phone would send it. */
export function post(baseUrl: string, phone: BenchPhone, body: string, agent?: http.Agent): Promise<{ status: number; text: string }> {
  const headers = signWebhook({ key: phone.key, body });
  return new Promise((resolve, reject) => {
    const request = http.request(`${baseUrl}${WEBHOOK_PATH}`, { method: 'POST', headers, agent }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * Sends the revoked phone's heartbeats every 25 ms without waiting for answers. Times are by
 * when a probe was sent, not answered: requests are slow under this load, and what counts is
 * which requests are still let through.
 */
export async function revokeUnderLoad(
  bench: AppContext,
  baseUrl: string,
  phones: BenchPhone[],
  connections: number,
): Promise<RevocationReport> {
  const victim = phones[0]!;
  const others = phones.slice(1);
  const load = runLoad({ baseUrl, phones: others, connections: Math.min(connections, others.length), seconds: 5 });
  await sleep(1000);
  // The key works before it is revoked (a 503 — the database slower than the deadline on a busy machine — is asked again).
  for (let attempt = 1; ; attempt++) {
    const before = await post(baseUrl, victim, heartbeatBody(victim));
    if (before.status === 202) break;
    if (before.status !== 503 || attempt === 5) {
      throw new Error(`the phone to revoke was refused before revocation: ${before.status} ${before.text}`);
    }
  }
  const publicId = /^(pk_[a-z2-7]{8})_/.exec(victim.key)![1]!;
  await bench.domain.keys.revoke(publicId, 'UBENCH');
  const revokedAt = performance.now();
  const agent = new http.Agent({ keepAlive: true });
  const probes: Promise<{ sentAfterMs: number; status: number }>[] = [];
  while (performance.now() - revokedAt < 2500) {
    const sentAfterMs = performance.now() - revokedAt;
    probes.push(post(baseUrl, victim, heartbeatBody(victim), agent).then(({ status }) => ({ sentAfterMs, status })));
    await sleep(25);
  }
  const answered = await Promise.all(probes);
  agent.destroy();
  await load;
  const unexpected = answered.find((p) => ![202, 401, 503].includes(p.status));
  if (unexpected) throw new Error(`a revocation probe was answered ${unexpected.status}`);
  const lastAccepted = Math.max(-1, ...answered.filter((p) => p.status === 202).map((p) => p.sentAfterMs));
  const firstRefused = answered.find((p) => p.status === 401 && p.sentAfterMs > lastAccepted);
  return {
    refusedAfterMs: Math.round(firstRefused?.sentAfterMs ?? Number.POSITIVE_INFINITY),
    lastAcceptedAfterMs: Math.round(lastAccepted),
    probes: answered.length,
    unavailable: answered.filter((p) => p.status === 503).length,
    underLoad: true,
  };
}
