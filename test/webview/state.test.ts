import * as assert from 'node:assert/strict';
import type { SessionSnapshot } from '../../server/protocol';
import * as S from '../../webview/src/state';

const snap = (seq: number, status: SessionSnapshot['status']): SessionSnapshot => ({
  sessionId: 's',
  seq,
  flow: 'code_review',
  title: 'Code Review',
  status,
  reference: {
    kind: 'merge_request',
    url: 'https://gitlab.example/g/a/-/merge_requests/7',
    label: 'g/a!7',
  },
  trigger: 'chat',
  startedAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
});

describe('webview state', () => {
  it('streams deltas into one message, and the final text replaces them', () => {
    let s = S.initialState();
    const base = { conversationId: 'c', turnId: 't', messageId: 'm', role: 'assistant' as const };
    s = S.chatUpdate(s, { ...base, delta: 'Hel', done: false });
    s = S.chatUpdate(s, { ...base, delta: 'lo', done: false });
    assert.equal((s.items[0] as S.ChatMessage).text, 'Hello');
    s = S.chatUpdate(s, { ...base, text: 'Hello!', done: true });
    assert.equal(s.items.length, 1);
    assert.deepEqual(
      { ...(s.items[0] as S.ChatMessage) },
      {
        kind: 'message',
        conversationId: 'c',
        messageId: 'm',
        role: 'assistant',
        text: 'Hello!',
        done: true,
        sessionId: undefined,
        error: undefined,
      },
    );
  });

  it('a session status changes the snapshot only, never the chat items; older seq is ignored', () => {
    let s = S.initialState();
    s = S.chatUpdate(s, {
      conversationId: 'c',
      turnId: 't',
      messageId: 'w',
      role: 'assistant',
      text: '',
      done: true,
      widget: { sessionId: 's' },
    });
    const items = s.items;
    s = S.sessionStatus(s, snap(2, 'running'));
    s = S.sessionStatus(s, snap(1, 'queued'));
    assert.equal(s.sessions.s.status, 'running');
    s = S.sessionStatus(s, snap(3, 'completed'));
    assert.equal(s.items, items, 'the very same items array');
    assert.equal(s.sessions.s.status, 'completed');
    assert.deepEqual(s.sessionList.ids, ['s']);
  });

  it('places a conversation’s approval in the chat once; others are pending but not placed', () => {
    let s = S.initialState();
    const flow = {
      approvalId: 'a',
      kind: 'flow' as const,
      title: 'Run Code Review?',
      conversationId: 'c',
      createdAt: '2026-01-01T00:00:01Z',
    };
    s = S.approvalRequested(s, flow);
    s = S.approvalRequested(s, flow); // re-sent on reconnect
    s = S.approvalRequested(s, {
      ...flow,
      approvalId: 'b',
      conversationId: undefined,
      createdAt: '2026-01-01T00:00:00Z',
    });
    assert.deepEqual(
      s.items.map((i) => (i.kind === 'approval' ? i.approvalId : '')),
      ['a'],
    );
    assert.deepEqual(
      S.pendingApprovals(s).map((a) => a.params.approvalId),
      ['b', 'a'],
    );
    s = S.approvalAnswering(s, 'a', 'approve');
    s = S.approvalAnswerFailed(s, 'a', 'already answered');
    assert.equal(s.approvals.a.state.status, 'pending');
    assert.equal(s.approvals.a.error, 'already answered');
    s = S.approvalResolved(s, { approvalId: 'a', decision: 'deny', reason: 'Needs Reporter' });
    assert.deepEqual(s.approvals.a.state, {
      status: 'resolved',
      decision: 'deny',
      scope: undefined,
      reason: 'Needs Reporter',
    });
    // A late re-send of a resolved approval does not reopen it.
    s = S.approvalRequested(s, flow);
    assert.equal(s.approvals.a.state.status, 'resolved');
  });

  it('keeps the conversation on screen across a reload, and ignores a damaged saved state', () => {
    let s = S.initialState();
    s = { ...s, conversationId: 'c' };
    s = S.chatUpdate(s, {
      conversationId: 'c',
      turnId: 't',
      messageId: 'm',
      role: 'user',
      text: 'hi',
      done: true,
    });
    s = S.chatUpdate(s, {
      conversationId: 'x',
      turnId: 't',
      messageId: 'n',
      role: 'user',
      text: 'other',
      done: true,
    });
    const saved = JSON.parse(JSON.stringify(S.persisted(s)));
    const restored = S.restore(S.initialState(), saved);
    assert.equal(restored.conversationId, 'c');
    assert.deepEqual(
      restored.items.map((i) => (i as S.ChatMessage).text),
      ['hi'],
    );
    assert.deepEqual(S.restore(S.initialState(), { version: 9 }), S.initialState());
    assert.deepEqual(S.restore(S.initialState(), 'garbage'), S.initialState());
  });
});
