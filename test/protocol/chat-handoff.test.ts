import * as assert from 'node:assert/strict';
import type {
  ApprovalRequestedParams,
  ApprovalResolvedParams,
  ChatUpdateParams,
  SessionGetResult,
  SessionSnapshot,
} from '../../server/protocol';
import { ProtocolClient, type ProtocolClientOptions } from '../support/protocol-client';
import { chatResponder, DEFAULT_ANSWERS, playRecordedModel } from '../support/recorded-model';
import {
  FAST_SETTINGS,
  MODEL_KEY,
  type ReviewWorld,
  startReviewWorld,
  USERS,
} from '../support/review-world';
import { tempDir } from '../support/temp-dir';

const isAssistantDone = (p: ChatUpdateParams) => p.role === 'assistant' && p.done && !p.widget;

describe('chat → flow hand-off (seed scenarios, real server over stdio)', function () {
  this.timeout(60_000);
  let world: ReviewWorld;
  let tmp: ReturnType<typeof tempDir>;
  let client: ProtocolClient | undefined;

  beforeEach(async () => {
    world = await startReviewWorld();
    tmp = tempDir();
  });
  afterEach(async () => {
    await client?.stop();
    client = undefined;
    await world.stop();
    tmp.cleanup();
  });

  async function start(user: keyof typeof USERS = 'dev') {
    client = await ProtocolClient.start({ env: world.env(tmp.dir, user), settings: FAST_SETTINGS });
    return client;
  }

  async function askForReview(c: ProtocolClient) {
    const sent = await c.request<{ conversationId: string; turnId: string }>('tandem/chat/send', {
      text: `review ${world.mr.webUrl}`,
    });
    const approval = await c.waitFor<ApprovalRequestedParams>('tandem/approval/requested');
    return { ...sent, approval };
  }

  it('recommend → approve → widget and confirmation; the review lands on the merge request', async () => {
    playRecordedModel(world.model, world.base, world.head);
    const c = await start();
    const { conversationId, approval } = await askForReview(c);

    assert.equal(approval.kind, 'flow');
    assert.deepEqual(approval.flow, { id: 'code_review', name: 'Code Review' });
    assert.deepEqual(approval.reference, {
      kind: 'merge_request',
      url: world.mr.webUrl,
      label: 'group/app!7',
    });
    assert.equal(approval.conversationId, conversationId);
    assert.match(approval.title, /Code Review.*group\/app!7/);

    const answer = await c.request('tandem/approval/respond', {
      approvalId: approval.approvalId,
      decision: 'approve',
    });
    assert.deepEqual(answer, { approvalId: approval.approvalId, decision: 'approve' });
    const resolved = await c.waitFor<ApprovalResolvedParams>('tandem/approval/resolved');
    assert.equal(resolved.decision, 'approve');

    const widget = await c.waitFor<ChatUpdateParams>('tandem/chat/update', (p) => !!p.widget);
    assert.equal(widget.conversationId, conversationId);
    const sessionId = widget.widget!.sessionId;
    const confirmation = await c.waitFor<ChatUpdateParams>(
      'tandem/chat/update',
      (p) => isAssistantDone(p) && p.text === DEFAULT_ANSWERS.confirmation,
    );
    assert.equal(confirmation.conversationId, conversationId);

    const done = await c.waitFor<SessionSnapshot>(
      'tandem/session/status',
      (s) => s.sessionId === sessionId && s.status === 'completed',
    );
    assert.equal(done.flow, 'code_review');
    assert.equal(done.trigger, 'chat');
    assert.equal(done.conversationId, conversationId);
    assert.deepEqual(done.result?.links[0], { label: 'Merge request !7', url: world.mr.webUrl });

    const statuses = c
      .of<SessionSnapshot>('tandem/session/status')
      .filter((s) => s.sessionId === sessionId);
    const seqs = statuses.map((s) => s.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
      'seq rises',
    );
    assert.deepEqual(
      [...new Set(statuses.map((s) => s.status))],
      ['queued', 'running', 'completed'],
    );

    // Four findings sit on changed lines; the one on unchanged src/db.ts goes into the summary.
    assert.equal(world.gitlab.discussions({ project: 'group/app', iid: 7 }).length, 4);
    const notes = world.gitlab.notes({ project: 'group/app', iid: 7 });
    assert.equal(notes.length, 1);
    assert.match(notes[0].body, /`src\/db\.ts:3`/);

    const details = await c.request<SessionGetResult>('tandem/session/get', { sessionId });
    assert.deepEqual(
      details.steps.map((s) => [s.name, s.status]),
      [
        ['fetch_merge_request', 'completed'],
        ['read_files', 'completed'],
        ['review', 'completed'],
        ['post_comments', 'completed'],
        ['post_summary', 'completed'],
      ],
    );
    assert.ok(details.metrics.promptTokens > 0 && details.metrics.modelCalls === 1);
    assert.ok(details.events.some((e) => e.type === 'comment_posted'));
  });

  it('status changes emit tandem/session/status but never chat messages', async () => {
    playRecordedModel(world.model, world.base, world.head);
    const c = await start();
    const { approval } = await askForReview(c);
    await c.request('tandem/approval/respond', {
      approvalId: approval.approvalId,
      decision: 'approve',
    });
    const widget = await c.waitFor<ChatUpdateParams>('tandem/chat/update', (p) => !!p.widget);
    await c.waitFor<SessionSnapshot>('tandem/session/status', (s) => s.status === 'completed');
    await c.waitFor<ChatUpdateParams>(
      'tandem/chat/update',
      (p) => isAssistantDone(p) && p.text === DEFAULT_ANSWERS.confirmation,
    );

    const statusCount = c.of('tandem/session/status').length;
    assert.ok(
      statusCount >= 8,
      `${statusCount} status snapshots (queued, running, 5 steps, completed)`,
    );
    const index = c.notifications.findIndex((n) => n.params === widget);
    const chatAfterWidget = c.notifications
      .slice(index + 1)
      .filter((n) => n.method === 'tandem/chat/update')
      .map((n) => n.params as ChatUpdateParams)
      .filter((p) => p.done);
    assert.deepEqual(
      chatAfterWidget.map((p) => p.text),
      [DEFAULT_ANSWERS.confirmation],
      'the only message after the widget is the model’s confirmation',
    );
    const chatRequests = world.model.requests.filter((r) => !r.forcedTool).length;
    assert.equal(chatRequests, 2, 'no extra model turn was triggered by status changes');
  });

  it('recommend → deny → no session; the model is told (with feedback) and keeps helping', async () => {
    playRecordedModel(world.model, world.base, world.head);
    const c = await start();
    const { approval } = await askForReview(c);
    const answer = await c.request<{ decision: string }>('tandem/approval/respond', {
      approvalId: approval.approvalId,
      decision: 'deny',
      feedback: 'Just explain the risky parts to me.',
    });
    assert.equal(answer.decision, 'deny');
    const reply = await c.waitFor<ChatUpdateParams>(
      'tandem/chat/update',
      (p) => isAssistantDone(p) && p.text === DEFAULT_ANSWERS.afterDenial,
    );
    assert.ok(reply);
    const toolResult = world.model.requests.at(-1)!.body.messages.find((m) => m.role === 'tool');
    assert.match(String(toolResult?.content), /denied/);
    assert.match(String(toolResult?.content), /Just explain the risky parts to me\./);

    const list = await c.request<{ sessions: SessionSnapshot[] }>('tandem/session/list', {});
    assert.deepEqual(list.sessions, []);
    assert.equal(c.of('tandem/session/status').length, 0);
    assert.equal(c.of<ChatUpdateParams>('tandem/chat/update').filter((p) => p.widget).length, 0);
    assert.equal(world.gitlab.discussions().length + world.gitlab.notes().length, 0);

    // The conversation goes on normally.
    await c.request('tandem/chat/send', {
      conversationId: approval.conversationId,
      text: 'what is risky in searchUsers?',
    });
    await c.waitFor<ChatUpdateParams>(
      'tandem/chat/update',
      (p) => isAssistantDone(p) && /searchUsers\?/.test(p.text ?? ''),
    );
  });

  it('approve with insufficient permission → a clear refusal; no session starts', async () => {
    playRecordedModel(world.model, world.base, world.head);
    const c = await start('guest');
    const { approval } = await askForReview(c);
    const answer = await c.request<{ decision: string }>('tandem/approval/respond', {
      approvalId: approval.approvalId,
      decision: 'approve',
    });
    assert.equal(answer.decision, 'deny', 'the approval resolves as a refusal');
    const resolved = await c.waitFor<ApprovalResolvedParams>('tandem/approval/resolved');
    assert.equal(resolved.decision, 'deny');
    assert.match(
      resolved.reason ?? '',
      /Code Review needs Reporter access or higher on group\/app, and guest has guest access/,
    );
    const said = await c.waitFor<ChatUpdateParams>(
      'tandem/chat/update',
      (p) => isAssistantDone(p) && /needs Reporter/.test(p.text ?? ''),
    );
    assert.match(said.text!, /was not started on group\/app!7/);
    assert.deepEqual(
      (await c.request<{ sessions: unknown[] }>('tandem/session/list', {})).sessions,
      [],
    );
    assert.equal(world.gitlab.discussions().length, 0);
  });

  it('a second chat message while the flow runs is answered; the session keeps running', async () => {
    const question = 'meanwhile, what does LIMIT do in SQL?';
    // The reviewer holds its answer until the chat has seen the second question: the flow is
    // provably still running while the chat answers, whatever the machine's speed.
    world.model.respond((request) => {
      if (request.forcedTool !== 'submit_review') return undefined;
      const asked = world.model.requests.some((r) => !r.forcedTool && r.lastUserText === question);
      return asked ? undefined : { hang: true };
    });
    playRecordedModel(world.model, world.base, world.head);
    client = await ProtocolClient.start({
      env: world.env(tmp.dir),
      settings: { model: { retryBaseMs: 10, timeoutMs: 800, maxRetries: 20 } },
    });
    const c = client;
    const { conversationId, approval } = await askForReview(c);
    await c.request('tandem/approval/respond', {
      approvalId: approval.approvalId,
      decision: 'approve',
    });
    const widget = await c.waitFor<ChatUpdateParams>('tandem/chat/update', (p) => !!p.widget);
    const sessionId = widget.widget!.sessionId;
    await c.waitFor<SessionSnapshot>(
      'tandem/session/status',
      (s) => s.sessionId === sessionId && s.step === 'review',
    );

    await c.request('tandem/chat/send', { conversationId, text: question });
    const reply = await c.waitFor<ChatUpdateParams>(
      'tandem/chat/update',
      (p) => isAssistantDone(p) && p.text === DEFAULT_ANSWERS.answer(question),
    );
    const atReply = c.notifications.findIndex((n) => n.params === reply);
    const statusBefore = c.notifications
      .slice(0, atReply)
      .filter((n) => n.method === 'tandem/session/status')
      .map((n) => n.params as SessionSnapshot)
      .at(-1);
    assert.equal(
      statusBefore?.status,
      'running',
      'the session was running when the answer arrived',
    );

    const done = await c.waitFor<SessionSnapshot>(
      'tandem/session/status',
      (s) => s.sessionId === sessionId && s.status === 'completed',
      30_000,
    );
    assert.ok(done.seq > statusBefore!.seq);
    assert.equal(world.gitlab.notes().length, 1);
  });

  it('never puts the GitLab token or the model key into a prompt', async () => {
    playRecordedModel(world.model, world.base, world.head);
    const c = await start();
    const { approval } = await askForReview(c);
    await c.request('tandem/approval/respond', {
      approvalId: approval.approvalId,
      decision: 'approve',
    });
    await c.waitFor<SessionSnapshot>('tandem/session/status', (s) => s.status === 'completed');
    for (const request of world.model.requests) {
      assert.ok(!request.rawBody.includes(USERS.dev.token), 'no GitLab token in a model request');
      assert.ok(!request.rawBody.includes(MODEL_KEY), 'no model key in a model request body');
    }
    assert.ok(!c.stderr.includes(USERS.dev.token));
    const logs = c
      .of<{ message: string }>('window/logMessage')
      .map((m) => m.message)
      .join('\n');
    assert.ok(!logs.includes(USERS.dev.token) && !logs.includes(MODEL_KEY));
  });

  const withoutApprovals: [string, ProtocolClientOptions['tandem']][] = [
    ['approvals: false', { protocolVersion: 1, approvals: false, sessionWidget: true }],
    ['approvals not advertised', { protocolVersion: 1 }],
    ['a plain LSP client', null],
  ];
  for (const [name, tandem] of withoutApprovals) {
    it(`denies flows by policy for a client that cannot show approvals (${name})`, async () => {
      world.model.respond(chatResponder());
      client = await ProtocolClient.start({
        env: world.env(tmp.dir),
        settings: FAST_SETTINGS,
        tandem,
      });
      await client.request('tandem/chat/send', { text: `review ${world.mr.webUrl}` });
      await client.waitFor<ChatUpdateParams>(
        'tandem/chat/update',
        (p) => isAssistantDone(p) && /cannot show approval prompts/.test(p.text ?? ''),
      );
      assert.equal(client.of('tandem/approval/requested').length, 0);
      assert.deepEqual(
        (await client.request<{ sessions: unknown[] }>('tandem/session/list', {})).sessions,
        [],
      );
    });
  }

  it('starts an approved flow at once, even while the conversation is busy with a slow answer', async () => {
    const slow = 'explain the whole codebase in detail';
    // The slow answer waits until the review has been asked for: it can only arrive after the
    // session ran, so the session cannot have waited for it.
    world.model.respond((request) => {
      if (request.forcedTool || request.lastUserText !== slow) return undefined;
      const reviewing = world.model.requests.some((r) => r.forcedTool === 'submit_review');
      return reviewing ? { text: 'A long explanation.' } : { hang: true };
    });
    playRecordedModel(world.model, world.base, world.head);
    client = await ProtocolClient.start({
      env: world.env(tmp.dir),
      settings: { model: { retryBaseMs: 10, timeoutMs: 800, maxRetries: 20 } },
    });
    const c = client;
    const { conversationId, approval } = await askForReview(c);
    await c.waitFor<ChatUpdateParams>('tandem/chat/update', (p) => isAssistantDone(p));
    await c.request('tandem/chat/send', { conversationId, text: slow });
    await world.model.waitForRequests(2);
    await c.request('tandem/approval/respond', {
      approvalId: approval.approvalId,
      decision: 'approve',
    });
    const done = await c.waitFor<SessionSnapshot>(
      'tandem/session/status',
      (s) => s.status === 'completed',
      30_000,
    );
    const answer = await c.waitFor<ChatUpdateParams>(
      'tandem/chat/update',
      (p) => p.text === 'A long explanation.',
      30_000,
    );
    const order = (params: unknown) => c.notifications.findIndex((n) => n.params === params);
    assert.ok(order(done) < order(answer), 'the session finished before the busy turn answered');
    await c.waitFor<ChatUpdateParams>(
      'tandem/chat/update',
      (p) => p.text === DEFAULT_ANSWERS.confirmation,
    );
  });
});
