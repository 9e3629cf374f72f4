import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PROTOCOL_METHODS, request, type MethodDeclaration } from '../../server/protocol';
import { PROTOCOL_JAVA_PATH, renderProtocolJava } from '../../server/protocol/generate/java';
import { GENERATED_TARGETS } from '../../server/protocol/generate/targets';

const ROOT = path.resolve(__dirname, '../..');

const snapshot = {
  sessionId: 's1',
  seq: 1,
  flow: 'code_review',
  title: 'Review group/app!7',
  status: 'running',
  reference: {
    kind: 'merge_request',
    url: 'https://gitlab.example/group/app/-/merge_requests/7',
    label: 'group/app!7',
  },
  trigger: 'chat',
  startedAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:01.000Z',
};

const chatUpdate = {
  conversationId: 'c1',
  turnId: 't1',
  messageId: 'm1',
  role: 'assistant',
  done: false,
};

/** A minimal valid params value per method: required fields only. */
const VALID_PARAMS: Record<string, unknown> = {
  'tandem/chat/send': { text: 'fix my pipeline' },
  'tandem/chat/update': chatUpdate,
  'tandem/approval/requested': {
    approvalId: 'a1',
    kind: 'command',
    title: 'Run npm test',
    createdAt: '2025-01-01T00:00:00.000Z',
  },
  'tandem/approval/respond': { approvalId: 'a1', decision: 'approve' },
  'tandem/approval/resolved': { approvalId: 'a1', decision: 'deny' },
  'tandem/flow/start': { flow: 'fix_pipeline', reference: '#12', trigger: 'ui' },
  'tandem/session/status': snapshot,
  'tandem/session/list': {},
  'tandem/session/get': { sessionId: 's1' },
  'tandem/session/cancel': { sessionId: 's1' },
  'tandem/session/restore': { sessionId: 's1', checkpointId: '3' },
  'tandem/session/opened': { sessionId: 's1', source: 'widget' },
  'tandem/telemetry/summary': {},
  'tandem/webview/info': {},
};

/** Near misses: one field wrong each, so a loosened schema shows up here. */
const INVALID_PARAMS: [method: string, params: unknown, why: string][] = [
  ['tandem/chat/send', { text: '' }, 'empty text'],
  ['tandem/chat/send', { conversationId: '', text: 'hi' }, 'empty id'],
  ['tandem/chat/update', { ...chatUpdate, role: 'system' }, 'role'],
  ['tandem/approval/requested', { approvalId: 'a1', kind: 'command', title: 'x' }, 'no createdAt'],
  ['tandem/approval/respond', { approvalId: 'a1', decision: 'maybe' }, 'decision'],
  ['tandem/approval/respond', { approvalId: 'a1', decision: 'approve', scope: 'forever' }, 'scope'],
  ['tandem/approval/resolved', { decision: 'deny' }, 'no approvalId'],
  ['tandem/flow/start', { flow: 'deploy', reference: '#12', trigger: 'ui' }, 'unknown flow'],
  ['tandem/flow/start', { flow: 'fix_pipeline', reference: '#12', trigger: 'cron' }, 'trigger'],
  ['tandem/session/status', { ...snapshot, status: 'done' }, 'unknown status'],
  ['tandem/session/status', { ...snapshot, seq: 1.5 }, 'seq not an integer'],
  ['tandem/session/list', { limit: 0 }, 'limit below 1'],
  ['tandem/session/list', { statuses: ['paused'] }, 'unknown status'],
  ['tandem/session/get', {}, 'no sessionId'],
  ['tandem/session/cancel', { sessionId: 7 }, 'sessionId not a string'],
  ['tandem/session/restore', { sessionId: 's1' }, 'no checkpointId'],
  ['tandem/session/opened', { sessionId: 's1', source: 'email' }, 'source'],
  ['tandem/telemetry/summary', { since: 2025 }, 'since not a string'],
];

const OBVIOUSLY_WRONG: unknown[] = [42, 'params', true, null, [], [{}]];

function declaration(method: string): MethodDeclaration {
  const found = PROTOCOL_METHODS.find((m) => m.method === method);
  assert.ok(found, `${method} is not declared`);
  return found;
}

function check(method: string, params: unknown, expectValid: boolean): void {
  const result = declaration(method).params.safeParse(params);
  const shown = JSON.stringify(params);
  if (expectValid) assert.ok(result.success, `${method} rejects ${shown}: ${result.error}`);
  else assert.ok(!result.success, `${method} accepts ${shown}`);
}

describe('protocol declarations', () => {
  it('names every method tandem/…, never $/', () => {
    for (const m of PROTOCOL_METHODS) {
      assert.match(m.method, /^tandem\//, m.method);
      assert.ok(!m.method.includes('$/'), m.method);
      assert.equal(m.type.method, m.method, `${m.method}: JSON-RPC type has another name`);
    }
  });

  it('declares each method once', () => {
    const names = PROTOCOL_METHODS.map((m) => m.method);
    const duplicates = names.filter((name, i) => names.indexOf(name) !== i);
    assert.deepEqual(duplicates, []);
  });

  it('sends every request client → server', () => {
    for (const m of PROTOCOL_METHODS.filter((d) => d.kind === 'request')) {
      // The type already says so; this catches a declaration built without `request()`.
      assert.equal<string>(m.direction, 'clientToServer', m.method);
    }
  });

  it('documents the semantics of every method', () => {
    for (const m of PROTOCOL_METHODS) assert.ok(m.semantics.trim().length > 0, m.method);
  });

  it('has a valid params example for exactly the declared methods', () => {
    assert.deepEqual(
      Object.keys(VALID_PARAMS).sort(),
      PROTOCOL_METHODS.map((m) => m.method).sort(),
    );
  });

  describe('params schemas', () => {
    for (const m of PROTOCOL_METHODS) {
      it(`${m.method} accepts a minimal valid example`, () => {
        check(m.method, VALID_PARAMS[m.method], true);
      });

      it(`${m.method} rejects obviously wrong input`, () => {
        for (const params of OBVIOUSLY_WRONG) check(m.method, params, false);
      });
    }

    for (const [method, params, why] of INVALID_PARAMS) {
      it(`${method} rejects params with a bad field (${why})`, () => {
        check(method, params, false);
      });
    }
  });
});

describe('generated protocol files', () => {
  for (const target of GENERATED_TARGETS) {
    it(`${target.path} is fresh (else run \`npm run gen\`)`, () => {
      const onDisk = readFileSync(path.join(ROOT, target.path), 'utf8');
      assert.ok(onDisk === target.render(), `${target.path} is stale: run \`npm run gen\``);
    });

    it(`${target.path} renders the same twice`, () => {
      assert.equal(target.render(), target.render());
    });
  }

  it(`${PROTOCOL_JAVA_PATH} goes stale when a method is declared without regenerating`, () => {
    const added = request({
      method: 'tandem/session/pin',
      params: z.object({ sessionId: z.string() }),
      result: z.object({ pinned: z.boolean() }),
      semantics: 'Keeps a session at the top of the list.',
    });
    const rendered = renderProtocolJava([...PROTOCOL_METHODS, added]);
    const onDisk = readFileSync(path.join(ROOT, PROTOCOL_JAVA_PATH), 'utf8');
    assert.notEqual(rendered, onDisk);
    assert.match(rendered, /public static final String SESSION_PIN = "tandem\/session\/pin";/);
    assert.match(
      rendered,
      /public static final class SessionPinParams \{\n\s+@Required public String sessionId;/,
    );
    assert.match(
      rendered,
      /new Method\(Methods\.SESSION_PIN, true, Direction\.CLIENT_TO_SERVER, null, SessionPinParams\.class, SessionPinResult\.class\)/,
    );
  });
});
