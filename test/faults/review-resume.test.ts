import * as assert from 'node:assert/strict';
import type { SessionGetResult } from '../../server/protocol';
import { ProtocolClient } from '../support/protocol-client';
import { playRecordedModel } from '../support/recorded-model';
import { FAST_SETTINGS, type ReviewWorld, startReviewWorld } from '../support/review-world';
import { isFinished, sessionWhere, startReview } from '../support/sessions';
import { tempDir } from '../support/temp-dir';

describe('Code Review killed while it posts: the restart finishes it, posting nothing twice', function () {
  this.timeout(120_000);
  let world: ReviewWorld;
  let tmp: ReturnType<typeof tempDir>;
  const clients: ProtocolClient[] = [];

  beforeEach(async () => {
    world = await startReviewWorld();
    tmp = tempDir();
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.stop().catch(() => undefined);
    await world.stop();
    tmp.cleanup();
  });

  const start = async () => {
    const client = await ProtocolClient.start({ env: world.env(tmp.dir), settings: FAST_SETTINGS });
    clients.push(client);
    return client;
  };

  for (const point of [
    { what: 'the second inline comment', at: /\/discussions$/, n: 2 },
    { what: 'the summary note', at: /\/notes$/, n: 1 },
  ]) {
    it(`kill -9 once GitLab took ${point.what}, before it answered`, async () => {
      playRecordedModel(world.model, world.base, world.head);
      let first: ProtocolClient | undefined;
      let seen = 0;
      world.gitlab.beforeReply = async (request) => {
        if (request.method !== 'POST' || !point.at.test(request.path)) return;
        if (++seen === point.n) await first?.kill();
      };
      first = await start();
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
