/**
 * Adding a kind to the outbox (README: Slack outbox → adding a kind), the way the weekly fleet
 * report will: a kind that uploads a file to the alert channel and then posts a summary. The
 * outbox owes it once however often it is asked for, and its steps are done once each, even
 * when Slack loses an answer or refuses the second step.
 */
import { describe, expect, test } from 'vitest';
import type { OutboxRef } from '../../src/domain/outbox.js';
import { SlackOutbox } from '../../src/slack/outbox/index.js';
import type { OutboxKind } from '../../src/slack/outbox/kind.js';
import { ALERT_CHANNEL } from '../support/testApp.js';
import { MINUTE, useJobsApp } from './helpers.js';

const jobs = useJobsApp();
const { clock } = jobs;

const reportKind: OutboxKind = {
  kind: 'test.report',
  method: 'files.uploadV2',
  async render([item], context) {
    const week = String(item!.payload.week);
    return {
      steps: [
        {
          call: 'upload',
          channel: context.config.slack.alertChannelId,
          file: Buffer.from('not really a png'),
          filename: 'fleet.png',
          title: `Fleet, week ${week}`,
        },
        { call: 'post', channel: context.config.slack.alertChannelId, message: { text: `Fleet report for week ${week}: all good.` } },
      ],
    };
  },
};

const ref: OutboxRef = { kind: 'test.report', subject: 'fleet', episode: '2026-W47' };
const owe = () => jobs.app.context.domain.outbox.enqueue(ref, { payload: { week: '2026-W47' } });
const outboxWithReport = () => new SlackOutbox(jobs.app.context, [reportKind]);
const fileMessages = () => jobs.app.fake.messagesIn(ALERT_CHANNEL).filter((m) => (m.files ?? []).length > 0);
const summaries = () => jobs.app.fake.messagesIn(ALERT_CHANNEL).filter((m) => m.text?.startsWith('Fleet report'));

describe('a kind that uploads a file, then posts', () => {
  test('owed twice (two instances, two runs), delivered once: one file, one summary, the file named after the outbox id', async () => {
    await Promise.all([owe(), owe()]);
    const outbox = outboxWithReport();
    await Promise.all([outbox.drain(), outbox.drain()]);
    await owe();
    await outbox.drain();
    expect(fileMessages()).toHaveLength(1);
    expect(summaries()).toHaveLength(1);
    const item = await jobs.app.context.domain.outbox.find(ref);
    expect(item).toMatchObject({ state: 'sent', channel: ALERT_CHANNEL });
    expect(fileMessages()[0]!.files![0]!.name).toBe(`fleet-${String(item!._id)}.png`);
  });

  /** One failed first pass (`failure` injected), then a retry a minute later: the file once, the summary once. */
  async function retriedOnce(inject: () => void): Promise<void> {
    await owe();
    inject();
    const outbox = outboxWithReport();
    expect((await outbox.drain()).failed).toBe(1);
    expect([fileMessages().length, summaries().length]).toEqual([1, 0]);
    clock.advance(MINUTE);
    await outbox.drain();
    expect([fileMessages().length, summaries().length]).toEqual([1, 1]);
    expect(jobs.app.fake.callsTo('files.getUploadURLExternal')).toHaveLength(1);
  }

  test('the upload was accepted but its answer lost: the retry finds the file and does not upload it again', () =>
    retriedOnce(() => jobs.app.fake.failNext('files.completeUploadExternal', { status: 500, afterAccepting: true })));

  test('the summary is refused after the upload went through: the retry posts only the summary', () =>
    retriedOnce(() => jobs.app.fake.failNext('chat.postMessage', { error: 'invalid_blocks' })));
});
