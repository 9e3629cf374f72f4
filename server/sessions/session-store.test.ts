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

  it('fails sessions of a dead server as interrupted, with an event', () => {
    const s = create();
    store.update(s.sessionId, { status: 'running' }, 'Running');
    db.prepare(`UPDATE sessions SET owner = '999999999:1'`).run();
    const failed = store.failInterrupted();
    assert.equal(failed.length, 1);
    assert.equal(failed[0].status, 'failed');
    assert.equal(failed[0].error, INTERRUPTED_ERROR);
    assert.equal(store.details(s.sessionId)?.events.at(-1)?.message, INTERRUPTED_ERROR);
  });

  it('leaves sessions of a live server alone, but not of a process that reused its pid', () => {
    const s = create();
    const parent = ownerOf(process.ppid);
    db.prepare('UPDATE sessions SET owner = ?').run(parent);
    assert.deepEqual(store.failInterrupted(), []);
    assert.equal(store.snapshot(s.sessionId).status, 'queued');
    db.prepare('UPDATE sessions SET owner = ?').run(`${process.ppid}:1`);
    assert.equal(store.failInterrupted().length, 1, 'same pid, other start time: a new process');
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
