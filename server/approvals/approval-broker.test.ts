import * as assert from 'node:assert/strict';
import { silentLogger } from '../logger';
import type { ApprovalRequestedParams, ApprovalResolvedParams } from '../protocol';
import { type Db, openDatabase } from '../store/database';
import { tempDir } from '../../test/support/temp-dir';
import { ApprovalBroker, ApprovalError, type ApprovalOutcome } from './approval-broker';
import { ApprovalStore } from './approval-store';

describe('ApprovalBroker', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: Db;
  let broker: ApprovalBroker;
  let requested: ApprovalRequestedParams[];
  let resolved: ApprovalResolvedParams[];
  let outcomes: ApprovalOutcome[];

  beforeEach(() => {
    tmp = tempDir();
    db = openDatabase(tmp.dir);
    requested = [];
    resolved = [];
    outcomes = [];
    broker = new ApprovalBroker(
      new ApprovalStore(db),
      { requested: (p) => requested.push(p), resolved: (p) => resolved.push(p) },
      silentLogger,
    );
    broker.onResolved((o) => outcomes.push(o));
  });
  afterEach(() => {
    db.close();
    tmp.cleanup();
  });

  const ask = () =>
    broker.request({
      kind: 'command',
      title: 'Run npm test?',
      command: { command: 'npm test', cwd: '/w' },
      context: { secret: 'x' },
    });

  it('sends the request without the server-side context, with an unguessable id', () => {
    const a = ask();
    assert.equal(requested.length, 1);
    assert.equal((requested[0] as Record<string, unknown>).context, undefined);
    assert.match(a.approvalId, /^[A-Za-z0-9_-]{22}$/);
    assert.notEqual(ask().approvalId, a.approvalId);
  });

  it('lets the first answer win and refuses a second one', async () => {
    const a = ask();
    const result = await broker.respond({
      approvalId: a.approvalId,
      decision: 'approve',
      scope: 'session',
    });
    assert.deepEqual(result, { approvalId: a.approvalId, decision: 'approve', scope: 'session' });
    await assert.rejects(
      broker.respond({ approvalId: a.approvalId, decision: 'deny' }),
      ApprovalError,
    );
    assert.equal(resolved.length, 1);
    assert.equal(outcomes[0].context.secret, 'x');
  });

  it('refuses an answer that arrives while the guard is still checking', async () => {
    let release!: (reason: string | undefined) => void;
    broker.setGuard('command', () => new Promise((r) => (release = r)));
    const a = ask();
    const first = broker.respond({ approvalId: a.approvalId, decision: 'approve' });
    await assert.rejects(
      broker.respond({ approvalId: a.approvalId, decision: 'deny' }),
      /already answered/,
    );
    release(undefined);
    assert.equal((await first).decision, 'approve');
  });

  it('turns an approval into a denial with the guard’s reason', async () => {
    broker.setGuard('command', async () => 'needs Developer access');
    const a = ask();
    const result = await broker.respond({ approvalId: a.approvalId, decision: 'approve' });
    assert.equal(result.decision, 'deny');
    assert.equal(resolved[0].reason, 'needs Developer access');
  });

  it('does not run the guard for a denial, and keeps the feedback', async () => {
    broker.setGuard('command', async () => assert.fail('guard must not run'));
    const a = ask();
    await broker.respond({
      approvalId: a.approvalId,
      decision: 'deny',
      feedback: 'use npm run test:unit',
    });
    assert.equal(outcomes[0].feedback, 'use npm run test:unit');
  });

  it('answers unknown ids with an error and changes nothing', async () => {
    await assert.rejects(
      broker.respond({ approvalId: 'nope', decision: 'approve' }),
      /Unknown approval/,
    );
    assert.equal(resolved.length, 0);
  });

  it('keeps pending approvals across a restart and settles them there', async () => {
    const a = ask();
    const reopened = new ApprovalBroker(
      new ApprovalStore(db),
      { requested: () => undefined, resolved: (p) => resolved.push(p) },
      silentLogger,
    );
    assert.deepEqual(
      reopened.pending().map((p) => p.approvalId),
      [a.approvalId],
    );
    const waiting = reopened.waitFor(a.approvalId);
    await reopened.respond({ approvalId: a.approvalId, decision: 'approve' });
    assert.equal((await waiting).decision, 'approve');
    assert.deepEqual(reopened.pending(), []);
  });
});
