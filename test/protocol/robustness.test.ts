import * as assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import * as path from 'node:path';
import { ProtocolClient } from '../support/protocol-client';
import { tempDir } from '../support/temp-dir';

/** JSON-RPC error codes the server must answer with. */
const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;
const METHOD_NOT_FOUND = -32601;
const INVALID_PARAMS = -32602;

const HUGE = 'x'.repeat(300_000);
const ROUNDS = 14;

/** Bodies that are not JSON at all: each must get a Parse error with id null. */
const UNPARSEABLE = [
  '{',
  'not json',
  '[1, 2',
  '{"jsonrpc": "2.0", "id": 1, "method": ',
  '\u0000\u0001',
  '{"a": undefined}',
  "{'single': 'quotes'}",
  '{"jsonrpc":"2.0","id":1,}',
];

/** JSON that is not a JSON-RPC message: Invalid Request (with the id when usable). */
function invalidShapes(n: number): { body: unknown; id: string | null }[] {
  const id = `shape-${n}`;
  return [
    { body: { jsonrpc: '1.0', id, method: 'tandem/session/list' }, id },
    { body: { id }, id },
    { body: { jsonrpc: '2.0', id, method: 42 }, id },
    { body: { jsonrpc: '2.0', id, method: 'tandem/session/list', params: 'string' }, id },
    { body: { jsonrpc: '2.0', id, method: '' }, id },
    { body: [], id: null },
    { body: 7, id: null },
    { body: null, id: null },
  ];
}

/** Params that every request must refuse with InvalidParams. */
const BAD_PARAMS: Record<string, unknown[]> = {
  'tandem/chat/send': [
    {},
    { text: 1 },
    { text: '' },
    { text: HUGE },
    { text: 'hi', conversationId: 5 },
    { text: 'hi', conversationId: HUGE },
    { text: ['a'] },
    { text: 'hi', context: 'nope' },
    { text: 'hi', context: { activeFile: { uri: 3 } } },
  ],
  'tandem/approval/respond': [
    {},
    { approvalId: 'a' },
    { approvalId: 'a', decision: 'maybe' },
    { approvalId: 1, decision: 'approve' },
    { approvalId: 'a', decision: 'approve', scope: 'forever' },
    { approvalId: 'a', decision: 'deny', feedback: HUGE },
    { approvalId: HUGE, decision: 'approve' },
  ],
  'tandem/flow/start': [
    {},
    { flow: 'nope', reference: 'g/a!1', trigger: 'ui' },
    { flow: 'code_review', reference: '', trigger: 'ui' },
    { flow: 'code_review', reference: 'g/a!1', trigger: 'robot' },
    { flow: 'code_review', reference: HUGE, trigger: 'ui' },
  ],
  'tandem/session/list': [
    { limit: 0 },
    { limit: 'all' },
    { statuses: ['nope'] },
    { statuses: 'running' },
  ],
  'tandem/session/get': [{}, { sessionId: 1 }, { sessionId: '' }, { sessionId: HUGE }],
  'tandem/session/cancel': [{}, { sessionId: null }, { sessionId: {} }],
  'tandem/telemetry/summary': [{ since: 5 }],
};

describe('protocol robustness: hostile input never stops the server', function () {
  this.timeout(120_000);
  let tmp: ReturnType<typeof tempDir>;
  let client: ProtocolClient;

  before(async () => {
    tmp = tempDir();
    client = await ProtocolClient.start({ env: { TANDEM_STATE_DIR: tmp.dir } });
  });
  after(async () => {
    await client?.stop();
    tmp.cleanup();
  });

  it('answers ≥ 1,000 malformed or hostile messages each with an error and keeps serving', async () => {
    const expected: { id: string | null; code: number; label: string }[] = [];
    let n = 0;
    const send = (body: unknown, id: string | null, code: number, label: string) => {
      client.writeRaw(JSON.stringify(body));
      expected.push({ id, code, label });
      n++;
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const body of UNPARSEABLE) {
        client.writeRaw(body);
        expected.push({
          id: null,
          code: PARSE_ERROR,
          label: `unparseable ${JSON.stringify(body)}`,
        });
        n++;
      }
      for (const shape of invalidShapes(round)) {
        send(shape.body, shape.id, INVALID_REQUEST, `shape ${JSON.stringify(shape.body)}`);
      }
      for (const [method, cases] of Object.entries(BAD_PARAMS)) {
        cases.forEach((params, i) => {
          const id = `bad-${round}-${method}-${i}`;
          send({ jsonrpc: '2.0', id, method, params }, id, INVALID_PARAMS, `${method} ${i}`);
        });
      }
      for (let i = 0; i < 10; i++) {
        const id = `unknown-method-${round}-${i}`;
        const method = ['tandem/nope', 'foo', 'tandem/chat/delete', '__proto__', 'constructor'][
          i % 5
        ];
        send({ jsonrpc: '2.0', id, method, params: {} }, id, METHOD_NOT_FOUND, method);
      }
      for (let i = 0; i < 10; i++) {
        const id = `unknown-approval-${round}-${i}`;
        const params = { approvalId: `ghost-${round}-${i}`, decision: i % 2 ? 'approve' : 'deny' };
        send(
          { jsonrpc: '2.0', id, method: 'tandem/approval/respond', params },
          id,
          INVALID_PARAMS,
          'unknown approval',
        );
      }
      for (let i = 0; i < 6; i++) {
        const id = `unknown-session-${round}-${i}`;
        const method = i % 2 ? 'tandem/session/get' : 'tandem/session/cancel';
        send(
          { jsonrpc: '2.0', id, method, params: { sessionId: `ghost-${i}` } },
          id,
          INVALID_PARAMS,
          method,
        );
      }
      // Notifications get no answer, but must not hurt either.
      client.writeRaw(
        JSON.stringify({
          jsonrpc: '2.0',
          method: 'tandem/session/opened',
          params: { sessionId: 7 },
        }),
      );
      // Params that are not structured make even a notification an Invalid Request (id null).
      send(
        { jsonrpc: '2.0', method: 'tandem/x', params: HUGE },
        null,
        INVALID_REQUEST,
        'string params',
      );
      client.writeRaw(
        JSON.stringify({
          jsonrpc: '2.0',
          method: 'tandem/session/opened',
          params: { __proto__: { polluted: true } },
        }),
      );
    }
    assert.ok(n >= 1000, `sent ${n} hostile messages`);

    const withId = expected.filter((e) => e.id !== null);
    const nullIds = expected.length - withId.length;
    await client.waitUntil(
      () =>
        errorsWithNullId(client) >= nullIds && withId.every((e) => response(client, e.id!))
          ? true
          : undefined,
      `${expected.length} error responses`,
      90_000,
    );
    for (const e of withId) {
      const r = response(client, e.id!) as { error?: { code: number; message: string } };
      assert.ok(r.error, `${e.label}: answered with an error`);
      assert.equal(r.error.code, e.code, `${e.label}: ${r.error.message}`);
      assert.ok(r.error.message.length < 2000, `${e.label}: the message stays readable`);
    }
    assert.equal(errorsWithNullId(client), nullIds);
    const nullCodes = client.received
      .filter((m) => (m as { id?: unknown }).id === null)
      .map((m) => (m as unknown as { error: { code: number } }).error.code);
    assert.equal(nullCodes.filter((c) => c === PARSE_ERROR).length, UNPARSEABLE.length * ROUNDS);

    // Still serving, and still sane.
    const list = await client.request<{ sessions: unknown[] }>('tandem/session/list', {});
    assert.deepEqual(list.sessions, []);
    assert.equal(client.process.exitCode, null);
  });

  it('leaves a consistent store behind', async () => {
    await client.stop();
    const db = new Database(path.join(tmp.dir, 'tandem.db'), { readonly: true });
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    assert.deepEqual(db.pragma('foreign_key_check'), []);
    db.close();
  });
});

function response(client: ProtocolClient, id: string) {
  return client.received.find((m) => (m as { id?: unknown }).id === id && !('method' in m));
}

function errorsWithNullId(client: ProtocolClient): number {
  return client.received.filter(
    (m) => (m as { id?: unknown }).id === null && 'error' in (m as object),
  ).length;
}
