/**
 * Part 4 of the bench: how fast Slack gets its HTTP answer (the ack; Slack gives up after 3 s)
 * while every Slack Web API call takes 2 s. The product's server runs in its own process,
 * pointed at the test suite's fake Slack Web API (test/support/fakeSlack.ts) with a 2 s delay on
 * every answer; the bench sends signed `/keys list` commands and create-modal submissions (as
 * Slack does, test/support/slackRequests.ts) and times each to its HTTP response.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeMetadata } from '../src/bot/metadata.js';
import { createKeyModal } from '../src/slack/blocks/createKeyModal.js';
import { startFakeSlack } from '../test/support/fakeSlack.js';
import { fillView, type SlackHttpResponse, type SlackTestClient, slackClient } from '../test/support/slackRequests.js';
import { REPO_ROOT, startChild } from './ipc.js';
import type { ServerReady } from './server.js';
import { benchContext, benchDatabaseUri, logFile, productEnv, webNodeFlags } from './setup.js';
import { percentile } from './stats.js';

export interface SlackAckOptions {
  databaseUri: string;
  /** Requests of each kind. */
  requests: number;
  /** One request every this many ms. */
  intervalMs: number;
  slackDelayMs: number;
  /** The server's CPUs (bench/cpus.ts). */
  cpus?: string;
  progress(line: string): void;
}

export interface AckLatency {
  requests: number;
  p50: number;
  p99: number;
  max: number;
  /** Answers other than 200 with an empty body (an ack). */
  notAcked: number;
}

export interface SlackAckReport {
  slackDelayMs: number;
  /** Requests per second. */
  rate: number;
  keysList: AckLatency;
  createSubmission: AckLatency;
  /** The very first Slack request after start: Bolt's authorize waits for auth.test (2 s) once. */
  firstRequestMs: number;
  /** Keys in the workspace while `/keys list` ran (the list itself is answered later, by response_url). */
  keysInWorkspace: number;
}

export async function benchSlackAck(options: SlackAckOptions): Promise<SlackAckReport> {
  const fake = await startFakeSlack({ delayMs: options.slackDelayMs });
  const env = productEnv(benchDatabaseUri(options.databaseUri, 'slack'), fake.url);
  const bench = await benchContext(env);
  const server = await startChild<ServerReady>('bench/server.ts', {
    env,
    logFile: logFile('slack-server'),
    cpus: options.cpus,
    nodeFlags: webNodeFlags(REPO_ROOT),
  });
  try {
    // Something to list: 50 keys.
    for (let i = 0; i < 50; i++) await bench.domain.keys.create({ name: `ack-seed-${i}`, ipLock: { mode: 'off' }, actor: 'UBENCH' });
    const slack = slackClient({
      baseUrl: `http://127.0.0.1:${server.ready.port}`,
      signingSecret: env.SLACK_SIGNING_SECRET!,
      responseUrl: () => fake.responseUrl(),
    });

    // Bolt authorizes every request through auth.test, cached after the first success.
    const first = await timed(() => slack.command('list'));
    await submitCreateModal(slack, fake.responseUrl(), 'ack-warm-up'); // the create path's first run (module loads)
    options.progress(
      `Slack ack: first request ${Math.round(first.ms)} ms (auth.test, once); now ${options.requests} of each, ${1000 / options.intervalMs} per second`,
    );

    const keysList = await measure(options, () => slack.command('list'));
    let submission = 0;
    const createSubmission = await measure(options, () => submitCreateModal(slack, fake.responseUrl(), `ack-key-${submission++}`));
    return {
      slackDelayMs: options.slackDelayMs,
      rate: 1000 / options.intervalMs,
      keysList,
      createSubmission,
      firstRequestMs: Math.round(first.ms),
      keysInWorkspace: await bench.models.Key.countDocuments({ status: { $ne: 'revoked' } }),
    };
  } finally {
    // The work after each ack (2 s Slack calls) may still be running: the server is simply stopped.
    await server.stop();
    await bench.database.close();
    await fake.close();
  }
}

/** The create modal as the app opens it, filled in and submitted. */
function submitCreateModal(slack: SlackTestClient, responseUrl: string, name: string): Promise<SlackHttpResponse> {
  const view = createKeyModal({ name: '', privateMetadata: encodeMetadata({ responseUrl, channelId: 'C0CMD' }) });
  return slack.viewSubmission(view, fillView(view, { name, description: 'bench' }));
}

async function timed(request: () => Promise<SlackHttpResponse>): Promise<{ ms: number; response: SlackHttpResponse }> {
  const started = performance.now();
  const response = await request();
  return { ms: performance.now() - started, response };
}

/**
 * `requests` requests sent at a steady rate (open loop: one every `intervalMs`, whether or not the
 * earlier ones were answered, as people's commands arrive), each timed from sending to its whole response.
 */
async function measure(options: SlackAckOptions, request: () => Promise<SlackHttpResponse>): Promise<AckLatency> {
  const sent: Promise<{ ms: number; response: SlackHttpResponse }>[] = [];
  for (let i = 0; i < options.requests; i++) {
    sent.push(timed(request));
    await sleep(options.intervalMs);
  }
  const answered = await Promise.all(sent);
  const times = answered.map((a) => a.ms);
  const notAcked = answered.filter(({ response }) => response.status !== 200 || response.text !== '').length;
  return { requests: times.length, p50: percentile(times, 50), p99: percentile(times, 99), max: Math.round(Math.max(...times)), notAcked };
}
