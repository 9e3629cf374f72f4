import * as assert from 'node:assert/strict';
import type { SessionCheckpoint, SessionStatus } from '../../server/protocol';
import * as C from '../../webview/src/checkpoints';

const point = (
  checkpointId: string,
  kind: SessionCheckpoint['kind'],
  worktree?: string,
): SessionCheckpoint => ({
  checkpointId,
  kind,
  worktree,
  at: '2026-01-05T09:30:00Z',
  label: `${kind} ${checkpointId}`,
});

describe('webview checkpoints', () => {
  function check(
    checkpoints: SessionCheckpoint[],
    expected: { listed: string[]; changedFiles: string[]; hidden: number },
  ) {
    const rows = C.checkpointRows(checkpoints, false);
    assert.deepEqual(
      rows.map((r) => r.checkpoint.checkpointId),
      expected.listed,
    );
    assert.deepEqual(
      rows.filter((r) => r.changedFiles).map((r) => r.checkpoint.checkpointId),
      expected.changedFiles,
    );
    assert.equal(C.hiddenCount(checkpoints), expected.hidden);
    assert.deepEqual(
      C.checkpointRows(checkpoints, true).map((r) => r.checkpoint.checkpointId),
      checkpoints.map((c) => c.checkpointId).reverse(),
    );
  }

  it('lists finished steps, restores, undo points and tools that changed files, newest first', () => {
    check([], { listed: [], changedFiles: [], hidden: 0 });
    check([point('1', 'step_started'), point('2', 'model'), point('3', 'step')], {
      listed: ['3'],
      changedFiles: [],
      hidden: 2,
    });
    // A read-only tool keeps the worktree's commit; a tool that wrote makes a new one.
    check(
      [
        point('1', 'step', 'a'),
        point('2', 'tool', 'a'),
        point('3', 'model', 'a'),
        point('4', 'tool', 'b'),
        point('5', 'tool', 'b'),
      ],
      { listed: ['4', '1'], changedFiles: ['4'], hidden: 3 },
    );
    // The first snapshot of a session that had none before is a change.
    check([point('1', 'tool'), point('2', 'tool', 'a')], {
      listed: ['2'],
      changedFiles: ['2'],
      hidden: 1,
    });
    check([point('1', 'step', 'a'), point('2', 'undo', 'b'), point('3', 'restore', 'a')], {
      listed: ['3', '2', '1'],
      changedFiles: [],
      hidden: 0,
    });
  });

  it('refuses a restore while the session is queued, running or waiting, as the server does', () => {
    const statuses: [SessionStatus, boolean][] = [
      ['queued', true],
      ['running', true],
      ['awaiting_approval', true],
      ['interrupted', false],
      ['completed', false],
      ['failed', false],
      ['cancelled', false],
    ];
    for (const [status, blocked] of statuses) {
      assert.equal(C.restoreBlocked(status) !== undefined, blocked, status);
    }
  });

  it('a restore: asked, sent (one at a time), refused or done with its undo', () => {
    let ui = C.restoreAsked(C.initialCheckpointsUi(), '2');
    assert.equal(ui.confirming, '2');
    assert.equal(C.restoreDismissed(ui).confirming, undefined);
    ui = C.restoreSent(ui, '2');
    assert.deepEqual(ui, {
      showAll: false,
      confirming: undefined,
      restoring: '2',
      error: undefined,
    });
    assert.equal(C.restoreAsked(ui, '3'), ui, 'no second restore while one is on its way');
    const refused = C.restoreFailed(ui, '2', 'Session s is running: cancel it first.');
    assert.deepEqual(refused.error, {
      checkpointId: '2',
      message: 'Session s is running: cancel it first.',
    });
    assert.equal(refused.restoring, undefined);
    const done = C.restoreDone(C.restoreSent(refused, '2'), '2', {
      sessionId: 's',
      status: 'interrupted',
      checkpointId: '11',
      undoCheckpointId: '10',
    });
    assert.deepEqual(done.restored, { checkpointId: '2', undoCheckpointId: '10' });
    assert.equal(done.error, undefined);
  });
});
