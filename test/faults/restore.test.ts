import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type {
  ApprovalRequestedParams,
  SessionGetResult,
  SessionRestoreResult,
} from '../../server/protocol';
import { isFinished, sessionWhere } from '../support/sessions';
import { Approver, checkStore, faultWorldHooks, forgeCounts, startFaultWorld } from './fault-world';

/**
 * Restore through the protocol on a real Fix Pipeline session: the worktree and the
 * conversation go back to a checkpoint, the restore is undone by restoring the checkpoint it
 * made first, and a resume from the restored point completes without opening anything twice.
 */
describe('tandem/session/restore on a finished Fix Pipeline session (real git, real Docker, slow)', function () {
  this.timeout(300_000);
  const worlds = faultWorldHooks();

  it('puts the worktree back before the fix, undoes that, and resumes from there without duplicates', async () => {
    const world = worlds.track(await startFaultWorld());
    const client = await world.start();
    const approver = new Approver(
      client,
      () => 0,
      (p) => (p.kind === 'tool' ? 'ignore' : 'approve'),
    );
    const sessionId = await world.startFix(client);
    const done = await sessionWhere(client, sessionId, isFinished, 240_000);
    assert.equal(done.status, 'completed', done.error);
    const worktree = path.join(world.setup.stateDir, 'sandboxes', sessionId, 'worktree');
    const source = () => fs.readFileSync(path.join(worktree, 'src/paginate.js'), 'utf8');

    const details = await client.request<SessionGetResult>('tandem/session/get', { sessionId });
    const beforeFix = details.checkpoints.find((c) => c.label === 'After step reproduce');
    assert.ok(beforeFix?.worktree, 'a checkpoint with the worktree before the fix');
    const restored = await client.request<SessionRestoreResult>('tandem/session/restore', {
      sessionId,
      checkpointId: beforeFix.checkpointId,
    });
    assert.equal(restored.status, 'interrupted');
    // The ended session's worktree was removed; the restore made it again, as it was then.
    assert.match(source(), /Math\.floor\(items\.length \/ size\)/);
    const asked = await client.waitFor<ApprovalRequestedParams>(
      'tandem/approval/requested',
      (p) => p.kind === 'tool' && p.sessionId === sessionId,
    );
    assert.match(asked.title, /^Resume session .* after step reproduce\?$/);

    // Undo: back to the fixed worktree; the question about the replaced state is withdrawn.
    const undone = await client.request<SessionRestoreResult>('tandem/session/restore', {
      sessionId,
      checkpointId: restored.undoCheckpointId,
    });
    assert.match(source(), /Math\.ceil\(items\.length \/ size\)/);
    await assert.rejects(
      client.request('tandem/approval/respond', {
        approvalId: asked.approvalId,
        decision: 'approve',
      }),
      /already answered/,
    );

    // And once more to before the fix, then resume: the fix is made again, nothing is opened twice.
    await client.request('tandem/session/restore', {
      sessionId,
      checkpointId: undone.undoCheckpointId,
    });
    assert.match(source(), /Math\.floor/);
    const calls = world.setup.model.requests.length;
    // One question per restore; each restore withdrew the one before.
    const question = await client.waitUntil(
      () =>
        client
          .of<ApprovalRequestedParams>('tandem/approval/requested')
          .filter((p) => p.kind === 'tool' && p.sessionId === sessionId)[2],
      'the question the third restore asked',
    );
    const seq = (await client.request<SessionGetResult>('tandem/session/get', { sessionId }))
      .session.seq;
    await approver.answer(question.approvalId, 'approve');
    const again = await sessionWhere(
      client,
      sessionId,
      (s) => s.seq > seq && isFinished(s),
      240_000,
    );
    assert.equal(again.status, 'completed', again.error);
    assert.ok(world.setup.model.requests.length > calls, 'the fix step asked the model again');
    assert.deepEqual(
      [forgeCounts(world).mergeRequests, forgeCounts(world).notes],
      [1, 1],
      'the merge request and the note of the first run are found, not made again',
    );
    const after = await client.request<SessionGetResult>('tandem/session/get', { sessionId });
    assert.deepEqual(
      after.checkpoints.filter((c) => c.kind === 'undo' || c.kind === 'restore').map((c) => c.kind),
      ['undo', 'restore', 'undo', 'restore', 'undo', 'restore'],
    );
    await client.stop();
    assert.deepEqual(checkStore(world.setup.stateDir), { integrity: 'ok', problems: [] });
  });
});
