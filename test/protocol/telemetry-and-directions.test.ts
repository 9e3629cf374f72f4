import * as assert from 'node:assert/strict';
import {
  type ApprovalRequestedParams,
  type ChatUpdateParams,
  SERVER_TO_CLIENT_METHODS,
  type SessionSnapshot,
  type TelemetrySummaryResult,
} from '../../server/protocol';
import { ProtocolClient } from '../support/protocol-client';
import { DEFAULT_ANSWERS, playRecordedModel } from '../support/recorded-model';
import { FAST_SETTINGS, type ReviewWorld, startReviewWorld } from '../support/review-world';
import { tempDir } from '../support/temp-dir';

/** Standard LSP traffic a server may send to the client. */
const LSP_SERVER_TO_CLIENT = new Set([
  'window/logMessage',
  'window/showMessage',
  'window/workDoneProgress/create',
  '$/progress',
  'workspace/configuration',
  'client/registerCapability',
]);

describe('telemetry summary and message directions over a full working day', function () {
  this.timeout(90_000);
  let world: ReviewWorld;
  let tmp: ReturnType<typeof tempDir>;
  let client: ProtocolClient;

  before(async () => {
    world = await startReviewWorld();
    playRecordedModel(world.model, world.base, world.head);
    tmp = tempDir();
    client = await ProtocolClient.start({ env: world.env(tmp.dir), settings: FAST_SETTINGS });

    // From chat: one approved (and its widget opened), one denied.
    const approvedId = await recommendAndAnswer('approve');
    await finished(approvedId);
    await client.notify('tandem/session/opened', { sessionId: approvedId, source: 'widget' });
    await recommendAndAnswer('deny');
    // From a button and from the terminal; the terminal one fails.
    const ui = await client.request<{ sessionId: string }>('tandem/flow/start', {
      flow: 'code_review',
      reference: 'group/app!7',
      trigger: 'ui',
    });
    await finished(ui.sessionId);
    await client.notify('tandem/session/opened', { sessionId: ui.sessionId, source: 'list' });
    world.gitlab.failNext({ path: /merge_requests\/7\/versions$/, status: 500, times: 100 });
    const cli = await client.request<{ sessionId: string }>('tandem/flow/start', {
      flow: 'code_review',
      reference: 'group/app!7',
      trigger: 'cli',
    });
    await finished(cli.sessionId);
  });
  after(async () => {
    await client.stop();
    await world.stop();
    tmp.cleanup();
  });

  async function recommendAndAnswer(decision: 'approve' | 'deny'): Promise<string> {
    const before = client.of('tandem/approval/requested').length;
    await client.request('tandem/chat/send', { text: `review ${world.mr.webUrl}` });
    await client.waitUntil(
      () => (client.of('tandem/approval/requested').length > before ? true : undefined),
      'an approval',
    );
    const approval = client.of<ApprovalRequestedParams>('tandem/approval/requested').at(-1)!;
    await client.request('tandem/approval/respond', { approvalId: approval.approvalId, decision });
    const expected =
      decision === 'approve' ? DEFAULT_ANSWERS.confirmation : DEFAULT_ANSWERS.afterDenial;
    const reply = await client.waitFor<ChatUpdateParams>(
      'tandem/chat/update',
      (p) => p.conversationId === approval.conversationId && p.text === expected,
    );
    const widget = client
      .of<ChatUpdateParams>('tandem/chat/update')
      .find((p) => p.conversationId === reply.conversationId && p.widget);
    return widget?.widget?.sessionId ?? '';
  }

  function finished(sessionId: string): Promise<SessionSnapshot> {
    return client.waitFor<SessionSnapshot>(
      'tandem/session/status',
      (s) => s.sessionId === sessionId && ['completed', 'failed', 'cancelled'].includes(s.status),
    );
  }

  it('summarises approval rate, trigger sources, success per trigger and widget click-through', async () => {
    const summary = await client.request<TelemetrySummaryResult>('tandem/telemetry/summary', {});
    assert.deepEqual(summary.approvalRate, {
      code_review: { numerator: 1, denominator: 2, rate: 0.5 },
    });
    assert.deepEqual(summary.recommendations, { code_review: 2 });
    assert.deepEqual(summary.triggerSource, { chat: 1, ui: 1, cli: 1 });
    assert.deepEqual(summary.successRate, {
      code_review: {
        chat: { numerator: 1, denominator: 1, rate: 1 },
        ui: { numerator: 1, denominator: 1, rate: 1 },
        cli: { numerator: 0, denominator: 1, rate: 0 },
      },
    });
    assert.deepEqual(summary.widgetClickThrough, { numerator: 1, denominator: 1, rate: 1 });
    assert.ok(summary.approvalLatencyMs.code_review >= 0);
    assert.ok(summary.tokens.prompt > 0 && summary.tokens.completion > 0);
  });

  it('filters by time', async () => {
    const future = new Date(Date.now() + 60_000).toISOString();
    const summary = await client.request<TelemetrySummaryResult>('tandem/telemetry/summary', {
      since: future,
    });
    assert.deepEqual(summary.triggerSource, {});
  });

  it('only ever sends server → client methods (and requests only standard LSP ones)', () => {
    const methods = new Set(
      client.received.filter((m) => 'method' in m).map((m) => (m as { method: string }).method),
    );
    assert.ok(methods.has('tandem/session/status') && methods.has('tandem/approval/requested'));
    for (const method of methods) {
      if (method.startsWith('tandem/')) {
        assert.ok(SERVER_TO_CLIENT_METHODS.has(method), `${method} is a server → client method`);
      } else {
        assert.ok(LSP_SERVER_TO_CLIENT.has(method), `${method} is standard server → client LSP`);
      }
    }
    assert.ok(methods.has('$/progress'), 'sessions report work-done progress');
  });
});
