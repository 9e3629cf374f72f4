import * as assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import * as path from 'node:path';
import type {
  ApprovalRequestedParams,
  ChatUpdateParams,
  SessionGetResult,
  SessionSnapshot,
} from '../../server/protocol';
import { ProtocolClient } from '../support/protocol-client';
import { DEFAULT_ANSWERS, playRecordedModel } from '../support/recorded-model';
import { FAST_SETTINGS, type ReviewWorld, startReviewWorld } from '../support/review-world';
import { isFinished, startReview, startStuckReview, sessionWhere } from '../support/sessions';
import { tempDir } from '../support/temp-dir';

describe('restarts lose nothing: sessions, events and pending approvals survive', function () {
  this.timeout(60_000);
  let world: ReviewWorld;
  let tmp: ReturnType<typeof tempDir>;
  const clients: ProtocolClient[] = [];

  beforeEach(async () => {
    world = await startReviewWorld();
    tmp = tempDir();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.stop();
    await world.stop();
    tmp.cleanup();
  });

  async function start(): Promise<ProtocolClient> {
    const c = await ProtocolClient.start({ env: world.env(tmp.dir), settings: FAST_SETTINGS });
    clients.push(c);
    return c;
  }

  it('re-sends a pending approval on initialized, and approving it after the restart runs the flow', async () => {
    playRecordedModel(world.model, world.base, world.head);
    const first = await start();
    const { conversationId } = await first.request<{ conversationId: string }>('tandem/chat/send', {
      text: `review ${world.mr.webUrl}`,
    });
    const asked = await first.waitFor<ApprovalRequestedParams>('tandem/approval/requested');
    assert.equal(await first.stop(), 0);

    const second = await start();
    const again = await second.waitFor<ApprovalRequestedParams>('tandem/approval/requested');
    assert.deepEqual(again, asked, 'the same approval, unchanged');

    await second.request('tandem/approval/respond', {
      approvalId: again.approvalId,
      decision: 'approve',
    });
    const widget = await second.waitFor<ChatUpdateParams>('tandem/chat/update', (p) => !!p.widget);
    assert.equal(widget.conversationId, conversationId);
    await second.waitFor<ChatUpdateParams>(
      'tandem/chat/update',
      (p) => p.text === DEFAULT_ANSWERS.confirmation,
    );
    const done = await second.waitFor<SessionSnapshot>(
      'tandem/session/status',
      (s) => s.sessionId === widget.widget!.sessionId && s.status === 'completed',
    );
    assert.equal(done.conversationId, conversationId);
    // The model saw the whole conversation from before the restart.
    const lastChat = world.model.requests.filter((r) => !r.forcedTool).at(-1)!;
    assert.ok(lastChat.rawBody.includes(`review ${world.mr.webUrl}`));

    // Answered once: a third start has nothing pending.
    await second.stop();
    const third = await start();
    await third.request('tandem/session/list', {});
    assert.equal(third.of('tandem/approval/requested').length, 0);
  });

  it('applies an approval a stop cut short (decided, but no session yet) at the next start', async () => {
    playRecordedModel(world.model, world.base, world.head);
    const first = await start();
    await first.request('tandem/chat/send', { text: `review ${world.mr.webUrl}` });
    const asked = await first.waitFor<ApprovalRequestedParams>('tandem/approval/requested');
    await first.stop();
    // The state a crash right after recording the answer leaves behind.
    const db = new Database(path.join(tmp.dir, 'tandem.db'));
    db.prepare(
      `UPDATE approvals SET status = 'resolved', decision = 'approve', resolved_at = ? WHERE id = ?`,
    ).run(new Date().toISOString(), asked.approvalId);
    db.close();

    const second = await start();
    const widget = await second.waitFor<ChatUpdateParams>('tandem/chat/update', (p) => !!p.widget);
    assert.equal(widget.conversationId, asked.conversationId);
    await second.waitFor<SessionSnapshot>('tandem/session/status', (s) => s.status === 'completed');
    assert.equal(second.of('tandem/approval/requested').length, 0);
    await second.stop();
    const third = await start();
    await third.request('tandem/session/list', {});
    assert.equal(
      third.of<ChatUpdateParams>('tandem/chat/update').filter((p) => p.widget).length,
      0,
      'applied once',
    );
    assert.equal(world.gitlab.notes().length, 1);
  });

  it('keeps sessions and their events across a restart', async () => {
    playRecordedModel(world.model, world.base, world.head);
    const first = await start();
    const sessionId = await startReview(first);
    await sessionWhere(first, sessionId, (s) => s.status === 'completed');
    const before = await first.request<SessionGetResult>('tandem/session/get', { sessionId });
    await first.stop();

    const second = await start();
    const after = await second.request<SessionGetResult>('tandem/session/get', { sessionId });
    assert.deepEqual(after, before);
    const list = await second.request<{ sessions: SessionSnapshot[] }>('tandem/session/list', {});
    assert.deepEqual(
      list.sessions.map((s) => [s.sessionId, s.status]),
      [[sessionId, 'completed']],
    );
  });

  it('resumes a session a killed server left running: interrupted, re-announced, then completed', async () => {
    let hang = true;
    world.model.respond((r) => (hang && r.forcedTool ? { hang: true } : undefined));
    const first = await start();
    const sessionId = await startStuckReview(first);
    await first.kill();

    hang = false;
    playRecordedModel(world.model, world.base, world.head);
    const second = await start();
    // The review step only reads and asks the model: it resumes without asking anyone.
    await sessionWhere(second, sessionId, (s) => s.status === 'interrupted');
    const done = await sessionWhere(second, sessionId, isFinished, 30_000);
    assert.equal(done.status, 'completed', done.error);
    assert.equal(second.of('tandem/approval/requested').length, 0);
    const details = await second.request<SessionGetResult>('tandem/session/get', { sessionId });
    const messages = details.events.map((e) => e.message);
    assert.ok(
      messages.includes('interrupted: the server stopped during review'),
      messages.join('\n'),
    );
    assert.ok(messages.includes('Resuming on its own: step review is safe to run again'));
    assert.ok(
      messages.includes('Step fetch_merge_request: done before the interruption'),
      'finished steps are not run again',
    );
    assert.equal(world.gitlab.notes().length, 1, 'one summary note');
    await second.stop();

    const db = new Database(path.join(tmp.dir, 'tandem.db'), { readonly: true });
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    db.close();
  });

  it('leaves its own running sessions interrupted when shut down; the next start resumes them', async () => {
    let hang = true;
    world.model.respond((r) => (hang && r.forcedTool ? { hang: true } : undefined));
    const first = await start();
    const sessionId = await startStuckReview(first);
    await first.stop();
    const db = new Database(path.join(tmp.dir, 'tandem.db'), { readonly: true });
    const row = db.prepare('SELECT status, error FROM sessions WHERE id = ?').get(sessionId);
    db.close();
    assert.deepEqual(row, { status: 'interrupted', error: null });

    hang = false;
    playRecordedModel(world.model, world.base, world.head);
    const second = await start();
    const done = await sessionWhere(second, sessionId, isFinished, 30_000);
    assert.equal(done.status, 'completed', done.error);
  });

  for (const point of [
    { what: 'the second inline comment', at: /\/discussions$/, n: 2 },
    { what: 'the summary note', at: /\/notes$/, n: 1 },
  ]) {
    it(`Code Review killed once GitLab took ${point.what}: the restart resumes it on its own and posts nothing twice`, async () => {
      playRecordedModel(world.model, world.base, world.head);
      let seen = 0;
      world.gitlab.beforeReply = async (request) => {
        if (request.method !== 'POST' || !point.at.test(request.path)) return;
        if (++seen === point.n) await first.kill();
      };
      const first = await start();
      const sessionId = await startReview(first, 'group/app!7', 'cli');
      await first.exited;
      world.gitlab.beforeReply = undefined;
      const where = { project: 'group/app', iid: 7 };
      const before = {
        discussions: world.gitlab.discussions(where).length,
        notes: world.gitlab.notes(where).length,
      };

      const second = await start();
      const done = await sessionWhere(second, sessionId, isFinished);
      assert.equal(done.status, 'completed', done.error);
      const discussions = world.gitlab.discussions(where);
      const notes = world.gitlab.notes(where);
      console.log(
        `      killed with ${before.discussions} comments and ${before.notes} notes on GitLab; after the restart ${discussions.length} and ${notes.length}`,
      );
      assert.equal(discussions.length, 4, 'each inline finding once');
      assert.equal(new Set(discussions.map((d) => d.body)).size, 4);
      assert.equal(notes.length, 1, 'one summary note');
      assert.match(notes[0].body, /4 posted as inline comments\./);
      assert.match(done.result?.summary ?? '', /5 findings, 4 posted inline, and a summary note/);
      assert.match(done.result!.links[1].url, /#note_\d+$/);

      // Resumed on its own (posting is safe to repeat): nobody was asked.
      const details = await second.request<SessionGetResult>('tandem/session/get', { sessionId });
      assert.ok(details.events.some((e) => e.type === 'resume' && /on its own/.test(e.message)));
      assert.ok(details.events.some((e) => e.type === 'step_replayed'));
    });
  }
});
