import * as assert from 'node:assert/strict';
import { z } from 'zod';
import { agentTools } from '../../sandbox/tools';
import { FakeSandbox } from '../../test/support/fake-sandbox';
import type { ChatModel, ModelRequest, ModelResponse } from '../chat/model';
import type { FlowContext } from '../flows/flow';
import { FlowError } from '../flows/flow';
import { resolveSettings } from '../settings';
import { silentLogger } from '../logger';
import { runAgentStep } from './agent-loop';
import { trimContext } from './agent-context';
import type { AgentState } from '../sessions/session-state';

type Reply = Partial<ModelResponse> & { calls?: [string, unknown][] };

/** A model in the process: answers from a list, records what it was asked. */
function listModel(replies: Reply[]): ChatModel & { requests: ModelRequest[] } {
  const requests: ModelRequest[] = [];
  let n = 0;
  return {
    requests,
    async complete(request) {
      requests.push(structuredClone({ ...request, signal: undefined, onRetry: undefined }));
      const reply = replies[Math.min(n++, replies.length - 1)];
      return {
        text: reply.text ?? '',
        toolCalls: (reply.calls ?? []).map(([name, args], i) => ({
          id: `call_${n}_${i}`,
          name,
          arguments: typeof args === 'string' ? args : JSON.stringify(args),
        })),
        usage: { promptTokens: 100, completionTokens: 10 },
        finishReason: 'stop',
      };
    },
  };
}

interface Checkpoint {
  agent: AgentState;
  kind: string;
  worktree: boolean;
}

function context(model: ChatModel, overrides: Partial<FlowContext> = {}) {
  const events: { type: string; message: string; data?: unknown }[] = [];
  const checkpoints: Checkpoint[] = [];
  const timings: Record<string, number> = { modelMs: 0, toolMs: 0, toolCalls: 0 };
  const ctx = {
    sessionId: 's',
    reference: { kind: 'issue', projectPath: 'g/a', id: 1, url: 'u', label: 'g/a#1' },
    signal: new AbortController().signal,
    model,
    config: resolveSettings({ flows: { maxCycles: 4 } }, {}).config,
    logger: silentLogger,
    event: (type: string, message: string, data?: unknown) => events.push({ type, message, data }),
    modelUsage: () => undefined,
    timing: (t: Record<string, number>) => {
      for (const [k, v] of Object.entries(t)) timings[k] += v;
    },
    checkBudget: () => undefined,
    checkpoint: async (
      event: { type: string; message: string; data?: unknown },
      agent: AgentState,
      options: { kind: string; worktree: boolean },
    ) => {
      events.push(event);
      checkpoints.push({ agent: structuredClone(agent), ...options });
    },
    resumeConversation: () => undefined,
    ...overrides,
  } as unknown as FlowContext;
  return { ctx, events, timings, checkpoints };
}

const finish = {
  name: 'report',
  description: 'Report the result',
  answer: z.object({ summary: z.string().min(1) }),
};

describe('agent loop', () => {
  let sandbox: FakeSandbox;
  beforeEach(async () => {
    sandbox = await FakeSandbox.create({ 'src/a.ts': 'export const a = 1;\n' });
  });
  afterEach(() => sandbox.dispose());

  const step = {
    name: 'implement',
    system: 'You are careful.',
    goal: 'Do it.',
    tools: agentTools,
    finish,
  };

  it('runs tools, records events and timing, and returns the validated answer', async () => {
    const model = listModel([
      { calls: [['read_file', { path: 'src/a.ts' }]] },
      { calls: [['report', { summary: 'read it' }]] },
    ]);
    const { ctx, events, timings } = context(model);
    const outcome = await runAgentStep(ctx, step, { sandbox });
    assert.deepEqual(outcome.answer, { summary: 'read it' });
    assert.equal(outcome.cycles, 2);
    const toolMessage = model.requests[1].messages.find((m) => m.role === 'tool');
    assert.match(String(toolMessage?.content), /export const a = 1/);
    assert.deepEqual(
      events.map((e) => e.type),
      ['model_call', 'tool_call', 'model_call', 'agent_finished'],
    );
    assert.equal(timings.toolCalls, 1);
    assert.ok(timings.modelMs >= 0 && timings.toolMs >= 0);
    assert.ok(JSON.stringify(model.requests[0].tools).includes('"name":"report"'));
  });

  it('checkpoints the conversation after each model call and tool call, with the pending call', async () => {
    const model = listModel([
      {
        calls: [
          ['read_file', { path: 'src/a.ts' }],
          ['edit_file', { path: 'src/a.ts', old_text: '= 1', new_text: '= 2' }],
        ],
      },
      { calls: [['report', { summary: 'edited' }]] },
    ]);
    const { ctx, checkpoints } = context(model);
    await runAgentStep(ctx, step, { sandbox });
    assert.deepEqual(
      checkpoints.map((c) => [c.kind, c.worktree, c.agent.pendingToolCall?.name ?? null]),
      [
        ['model', false, 'read_file'],
        ['tool', false, 'edit_file'], // reading changes no file: no worktree snapshot
        ['tool', true, null],
        ['model', false, 'report'],
      ],
    );
    assert.equal(checkpoints[2].agent.messages.filter((m) => m.role === 'tool').length, 2);
  });

  it('continues an interrupted conversation: runs the calls left unanswered, then asks the model', async () => {
    // Round 1 asked for two reads; the first ran, then the server died.
    const interrupted: AgentState = {
      cycle: 1,
      messages: [
        { role: 'system', content: 'You are careful.' },
        { role: 'user', content: 'Do it.' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'a', type: 'function', function: { name: 'list_dir', arguments: '{}' } },
            {
              id: 'b',
              type: 'function',
              function: { name: 'read_file', arguments: '{"path":"src/a.ts"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'a', content: 'src/' },
      ],
      pendingToolCall: { id: 'b', name: 'read_file', arguments: '{"path":"src/a.ts"}' },
    };
    const model = listModel([{ calls: [['report', { summary: 'resumed' }]] }]);
    const { ctx, events } = context(model, { resumeConversation: () => interrupted });
    const outcome = await runAgentStep(ctx, step, { sandbox });
    assert.deepEqual(outcome.answer, { summary: 'resumed' });
    assert.equal(outcome.cycles, 2, 'the rounds count on from the interrupted one');
    assert.equal(model.requests.length, 1);
    const sent = model.requests[0].messages;
    assert.deepEqual(
      sent
        .filter((m) => m.role === 'tool')
        .map((m) => (m as { tool_call_id: string }).tool_call_id),
      ['a', 'b'],
      'the first call is not run again; the second is',
    );
    assert.match(String(sent.at(-1)?.content), /export const a = 1/);
    assert.equal(events[0].type, 'agent_resumed');
  });

  it('feeds an invalid answer back and accepts the corrected one', async () => {
    const model = listModel([
      { calls: [['report', { summary: '' }]] },
      { calls: [['report', { summary: 'ok' }]] },
    ]);
    const outcome = await runAgentStep(context(model).ctx, step, { sandbox });
    assert.deepEqual(outcome.answer, { summary: 'ok' });
    const fed = model.requests[1].messages.at(-1);
    assert.match(String(fed?.content), /invalid report arguments \(summary:/);
  });

  it('nudges a model that answers in prose', async () => {
    const model = listModel([
      { text: 'I think it is fine.' },
      { calls: [['report', { summary: 'fine' }]] },
    ]);
    await runAgentStep(context(model).ctx, step, { sandbox });
    assert.match(
      String(model.requests[1].messages.at(-1)?.content),
      /call report when you are done/,
    );
  });

  it('gives up after the cycle cap with a clear error', async () => {
    const model = listModel([{ calls: [['list_dir', {}]] }]);
    await assert.rejects(
      runAgentStep(context(model).ctx, step, { sandbox }),
      (error: FlowError) => {
        assert.ok(error instanceof FlowError);
        assert.match(
          error.message,
          /did not finish within 4 model rounds \(tandem\.flows\.maxCycles\)/,
        );
        return true;
      },
    );
  });

  it('stops when the budget is used up', async () => {
    const model = listModel([{ calls: [['list_dir', {}]] }]);
    const { ctx } = context(model, {
      checkBudget: () => {
        throw new FlowError('over budget');
      },
    });
    await assert.rejects(runAgentStep(ctx, step, { sandbox }), /over budget/);
    assert.equal(model.requests.length, 0);
  });

  it('trims old tool outputs but keeps the goal and recent results', () => {
    const messages = [
      { role: 'system' as const, content: 'sys' },
      { role: 'user' as const, content: 'goal' },
      ...Array.from({ length: 12 }, (_, i) => ({
        role: 'tool' as const,
        tool_call_id: `t${i}`,
        content: `output ${i}`,
      })),
    ];
    const trimmed = trimContext(messages);
    assert.equal(trimmed[1].content, 'goal');
    assert.match(String(trimmed[2].content), /older tool output trimmed/);
    assert.equal(trimmed.at(-1)?.content, 'output 11');
    assert.equal(trimmed.filter((m) => String(m.content).startsWith('output')).length, 8);
  });
});
