import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { type Db, openDatabase } from '../store/database';
import { tempDir } from '../../test/support/temp-dir';
import { INTERRUPTED_ERROR, SessionStore } from './session-store';

function ownerOf(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return `${pid}:${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
}

describe('SessionStore', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: Db;
  let store: SessionStore;
  const reference = {
    kind: 'merge_request' as const,
    url: 'https://gitlab.example.com/g/a/-/merge_requests/7',
    label: 'g/a!7',
  };

  beforeEach(() => {
    tmp = tempDir();
    db = openDatabase(tmp.dir);
    store = new SessionStore(db);
  });
  afterEach(() => {
    db.close();
    tmp.cleanup();
  });

  const create = () =>
    store.create({ flow: 'code_review', title: 'Code Review: g/a!7', reference, trigger: 'chat' });

  it('creates queued sessions with seq 1 and an event', () => {
    const s = create();
    assert.equal(s.status, 'queued');
    assert.equal(s.seq, 1);
    assert.deepEqual(
      store.details(s.sessionId)?.events.map((e) => e.type),
      ['status'],
    );
  });

  it('raises seq on every change and follows the status machine', () => {
    const s = create();
    const running = store.update(s.sessionId, { status: 'running' }, 'Running');
    const waiting = store.update(s.sessionId, { status: 'awaiting_approval' }, 'Waiting');
    const back = store.update(s.sessionId, { status: 'running', step: 'review' }, 'Back');
    const done = store.update(
      s.sessionId,
      { status: 'completed', result: { summary: 'ok', links: [] } },
      'Done',
    );
    assert.deepEqual([running.seq, waiting.seq, back.seq, done.seq], [2, 3, 4, 5]);
    assert.equal(done.step, 'review');
    assert.deepEqual(done.result, { summary: 'ok', links: [] });
  });

  const illegal: [string, ('running' | 'completed' | 'queued')[]][] = [
    ['queued → completed', ['completed']],
    ['completed → running', ['running', 'completed', 'running']],
    ['running → queued', ['running', 'queued']],
  ];
  for (const [name, path] of illegal) {
    it(`refuses ${name} and changes nothing`, () => {
      const s = create();
      const seqs: number[] = [];
      assert.throws(() => {
        for (const status of path) seqs.push(store.update(s.sessionId, { status }, status).seq);
      }, /cannot go from/);
      const after = store.snapshot(s.sessionId);
      assert.equal(after.seq, 1 + seqs.length, 'a refused change leaves seq alone');
    });
  }

  it('takes over sessions of a dead server as interrupted, with an event, to resume', () => {
    const s = create();
    store.update(s.sessionId, { status: 'running', step: 'fix' }, 'Running');
    db.prepare(`UPDATE sessions SET owner = '999999999:1'`).run();
    const taken = store.takeOverInterrupted();
    assert.equal(taken.length, 1);
    assert.equal(taken[0].status, 'interrupted');
    assert.equal(taken[0].step, 'fix', 'the step it stopped in stays');
    assert.equal(
      store.details(s.sessionId)?.events.at(-1)?.message,
      `${INTERRUPTED_ERROR} during fix`,
    );
    assert.deepEqual(
      store.interruptedOwned().map((x) => x.sessionId),
      [s.sessionId],
    );
    assert.deepEqual(store.takeOverInterrupted(), [], 'taken once');
  });

  it('leaves sessions of a live server alone, but not of a process that reused its pid', () => {
    const s = create();
    const parent = ownerOf(process.ppid);
    db.prepare('UPDATE sessions SET owner = ?').run(parent);
    assert.deepEqual(store.takeOverInterrupted(), []);
    assert.equal(store.snapshot(s.sessionId).status, 'queued');
    db.prepare('UPDATE sessions SET owner = ?').run(`${process.ppid}:1`);
    assert.equal(
      store.takeOverInterrupted().length,
      1,
      'same pid, other start time: a new process',
    );
  });

  it('writes a checkpoint with its event or not at all', () => {
    const s = create();
    const state = { steps: [], budgets: { promptTokens: 0, completionTokens: 0, modelCalls: 0 } };
    const n = store.checkpoint(
      s.sessionId,
      { type: 'model_call', message: 'fix round 1' },
      { kind: 'model', label: 'fix round 1', step: 'fix', state },
    );
    assert.equal(n, 1);
    const events = store.details(s.sessionId)!.events;
    const row = db
      .prepare('SELECT event_id FROM session_checkpoints WHERE session_id = ?')
      .get(s.sessionId) as { event_id: number };
    assert.equal(row.event_id, events.at(-1)!.id);
    const before = events.length;
    assert.throws(() =>
      store.checkpoint(
        'no-such-session',
        { type: 'model_call', message: 'x' },
        { kind: 'model', label: 'x', state },
      ),
    );
    assert.equal(store.details(s.sessionId)!.events.length, before);
    assert.equal(
      (db.prepare('SELECT COUNT(*) AS n FROM session_events').get() as { n: number }).n,
      before,
      'the refused checkpoint left no event behind',
    );
  });

  it('restores a finished session to a checkpoint after keeping its state, and reopens it', () => {
    const s = create();
    const state = (steps: string[]) => ({
      steps: steps.map((name) => ({ name, replayable: true, result: name })),
      budgets: { promptTokens: 0, completionTokens: 0, modelCalls: 0 },
    });
    store.update(s.sessionId, { status: 'running' }, 'Running');
    store.startStep(s.sessionId, 'a');
    store.endStep(s.sessionId, 'a', 'completed', {
      kind: 'step',
      label: 'After step a',
      step: 'a',
      state: state(['a']),
      worktree: 'c1',
    });
    store.endStep(s.sessionId, 'b', 'completed', {
      kind: 'step',
      label: 'After step b',
      step: 'b',
      state: state(['a', 'b']),
      worktree: 'c2',
    });
    store.update(s.sessionId, { status: 'completed', result: { summary: 'ok', links: [] } }, 'ok');
    const target = store.findCheckpoint(s.sessionId, 1)!;
    const { snapshot, undo, restored } = store.restore(s.sessionId, target, { undo: 'c3' });
    assert.equal(snapshot.status, 'interrupted');
    assert.equal(snapshot.result, undefined);
    assert.deepEqual([undo, restored], [3, 4]);
    const all = store.checkpoints(s.sessionId);
    assert.deepEqual(
      all.map((c) => [c.kind, c.worktree, c.state.steps.map((x) => x.name).join()]),
      [
        ['step', 'c1', 'a'],
        ['step', 'c2', 'a,b'],
        ['undo', 'c3', 'a,b'],
        ['restore', 'c1', 'a'],
      ],
    );
    assert.deepEqual(
      store.details(s.sessionId)!.checkpoints.map((c) => c.checkpointId),
      ['1', '2', '3', '4'],
    );
  });

  it('lists newest first, filtered by status', () => {
    const a = create();
    const b = create();
    store.update(b.sessionId, { status: 'running' }, 'Running');
    assert.deepEqual(
      store.list(['running']).map((s) => s.sessionId),
      [b.sessionId],
    );
    assert.deepEqual(
      new Set(store.list().map((s) => s.sessionId)),
      new Set([a.sessionId, b.sessionId]),
    );
  });

  it('records steps and token usage in details', () => {
    const s = create();
    store.startStep(s.sessionId, 'review');
    store.addUsage(s.sessionId, 100, 20);
    store.endStep(s.sessionId, 'review', 'completed');
    const details = store.details(s.sessionId)!;
    assert.equal(details.steps[0].name, 'review');
    assert.equal(details.steps[0].status, 'completed');
    assert.deepEqual(
      [details.metrics.promptTokens, details.metrics.completionTokens, details.metrics.modelCalls],
      [100, 20, 1],
    );
  });
});
