import { z } from 'zod';
import {
  type AgentTool,
  functionToolDefinition,
  runToolCall,
  type ToolContext,
} from '../../sandbox/tools';
import { ModelError, type ModelMessage, type ModelToolCall, type ModelTool } from '../chat/model';
import { type FlowContext, FlowError } from '../flows/flow';
import { trimContext } from './agent-context';

/** What one agent step is for, and how it ends: by calling `finish` with a structured answer. */
export interface AgentStep<Answer extends z.ZodType> {
  /** Recorded with every event of the step. */
  name: string;
  system: string;
  /** The task, with everything the step starts from. */
  goal: string;
  tools: readonly AgentTool[];
  finish: { name: string; description: string; answer: Answer };
  /** Model rounds before the step gives up; `tandem.flows.maxCycles` unless given. */
  maxCycles?: number;
}

export interface AgentOutcome<Answer> {
  answer: Answer;
  cycles: number;
  /** The conversation, for a follow-up step that continues it. */
  messages: ModelMessage[];
}

/**
 * The checkpoint after a tool call is written while the model thinks about the result: tools
 * wait for it before they run, the next model call's checkpoint waits for it, and so does the
 * step's end. The time the loop spends waiting is what checkpoints cost it.
 */
class Checkpoints {
  private pending: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: FlowContext) {}

  /** Starts a checkpoint without waiting for it. */
  later(write: Promise<void>): void {
    write.catch(() => undefined);
    this.pending = write;
  }

  /** Waits for the checkpoint in progress, if any. */
  async settle(): Promise<void> {
    const started = performance.now();
    const pending = this.pending;
    this.pending = Promise.resolve();
    try {
      await pending;
    } finally {
      this.ctx.timing({ checkpointMs: performance.now() - started });
    }
  }

  /** Writes a checkpoint now, after the one in progress. */
  async now(write: () => Promise<void>): Promise<void> {
    await this.settle();
    const started = performance.now();
    try {
      await write();
    } finally {
      this.ctx.timing({ checkpointMs: performance.now() - started });
    }
  }
}

/** Characters of a tool's output kept in the session's event log. */
const EVENT_OUTPUT_CHARS = 2000;
const EVENT_ARGS_CHARS = 400;

/**
 * Runs one step of a flow as a tool-calling loop on the configured model: the model calls tools
 * (in the sandbox), sees their results, and ends by calling the step's finish tool with an
 * answer that is validated. Every model call and tool call is an event; budgets are checked
 * before each round; old tool outputs are trimmed so long runs fit the context.
 */
export async function runAgentStep<Answer extends z.ZodType>(
  ctx: FlowContext,
  step: AgentStep<Answer>,
  tools: ToolContext,
  history: ModelMessage[] = [],
): Promise<AgentOutcome<z.infer<Answer>>> {
  const definitions: ModelTool[] = [...step.tools.map(functionToolDefinition), finishTool(step)];
  const checkpoints = new Checkpoints(ctx);
  // A step resumed after an interruption continues its conversation where the last checkpoint
  // left it, with the tool calls the model had asked for and that had not run yet.
  const resumed = ctx.resumeConversation();
  const messages: ModelMessage[] = resumed
    ? [...resumed.messages]
    : history.length
      ? [...history, { role: 'user', content: step.goal }]
      : [
          { role: 'system', content: step.system },
          { role: 'user', content: step.goal },
        ];
  if (resumed) {
    ctx.event('agent_resumed', `${step.name}: continuing from round ${resumed.cycle}`, {
      step: step.name,
      messages: messages.length,
    });
    const finished = await handleCalls(
      ctx,
      step,
      tools,
      checkpoints,
      messages,
      unanswered(messages),
      resumed.cycle,
    );
    if (finished) return finished;
  }
  const maxCycles = step.maxCycles ?? ctx.config.flows.maxCycles;
  for (let cycle = (resumed?.cycle ?? 0) + 1; cycle <= maxCycles; cycle++) {
    ctx.signal.throwIfAborted();
    ctx.checkBudget();
    const response = await callModel(ctx, step, checkpoints, messages, definitions, cycle);
    if (response.toolCalls.length === 0) {
      messages.push({
        role: 'user',
        content: `Continue with the tools, or call ${step.finish.name} when you are done.`,
      });
      continue;
    }
    const finished = await handleCalls(
      ctx,
      step,
      tools,
      checkpoints,
      messages,
      response.toolCalls,
      cycle,
    );
    if (finished) return finished;
  }
  throw new FlowError(
    `The ${step.name} step did not finish within ${maxCycles} model rounds (tandem.flows.maxCycles).`,
  );
}

/** Runs the model's tool calls in order, each checkpointed; answers when the step finished. */
async function handleCalls<Answer extends z.ZodType>(
  ctx: FlowContext,
  step: AgentStep<Answer>,
  tools: ToolContext,
  checkpoints: Checkpoints,
  messages: ModelMessage[],
  calls: ModelToolCall[],
  cycle: number,
): Promise<AgentOutcome<z.infer<Answer>> | undefined> {
  for (const [index, call] of calls.entries()) {
    await checkpoints.settle();
    if (call.name === step.finish.name) {
      const answer = parseAnswer(step, call);
      if (typeof answer !== 'string') {
        messages.push({ role: 'tool', tool_call_id: call.id, content: 'Done.' });
        ctx.event('agent_finished', `${step.name}: finished after ${cycle} rounds`, { answer });
        return { answer, cycles: cycle, messages };
      }
      messages.push({ role: 'tool', tool_call_id: call.id, content: answer });
      continue;
    }
    const started = performance.now();
    const output = await runToolCall(step.tools, call, tools);
    const ms = performance.now() - started;
    ctx.timing({ toolMs: ms, toolCalls: 1 });
    messages.push({ role: 'tool', tool_call_id: call.id, content: output });
    const next = calls[index + 1];
    const tool = step.tools.find((t) => t.name === call.name);
    checkpoints.later(
      ctx.checkpoint(
        {
          type: 'tool_call',
          message: `${call.name} (${Math.round(ms)} ms)`,
          data: {
            step: step.name,
            tool: call.name,
            arguments: call.arguments.slice(0, EVENT_ARGS_CHARS),
            output: output.slice(0, EVENT_OUTPUT_CHARS),
            ms: Math.round(ms),
          },
        },
        { cycle, messages: [...messages], pendingToolCall: next && pending(next) },
        // Only tools that may change files need the worktree snapshotted.
        { kind: 'tool', worktree: tool?.readOnly !== true },
      ),
    );
  }
  // The last checkpoint is written while the model is asked next (see Checkpoints).
  return undefined;
}

/** The tool calls of the last assistant message that have no result yet. */
function unanswered(messages: ModelMessage[]): ModelToolCall[] {
  const last = messages.findLastIndex((m) => m.role === 'assistant');
  const assistant = messages[last] as
    { tool_calls?: { id: string; function: { name: string; arguments: string } }[] } | undefined;
  const answered = new Set(
    messages
      .slice(last + 1)
      .filter((m) => m.role === 'tool')
      .map((m) => (m as { tool_call_id: string }).tool_call_id),
  );
  return (assistant?.tool_calls ?? [])
    .filter((c) => !answered.has(c.id))
    .map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments }));
}

function pending(call: ModelToolCall): { id: string; name: string; arguments: string } {
  return { id: call.id, name: call.name, arguments: call.arguments };
}

async function callModel(
  ctx: FlowContext,
  step: AgentStep<z.ZodType>,
  checkpoints: Checkpoints,
  messages: ModelMessage[],
  tools: ModelTool[],
  cycle: number,
) {
  const started = performance.now();
  try {
    const response = await ctx.model.complete({
      messages: trimContext(messages),
      tools,
      signal: ctx.signal,
      onRetry: ({ attempt, delayMs, reason }) =>
        ctx.event('model_retry', `Retry ${attempt} in ${delayMs} ms: ${reason}`),
    });
    const ms = performance.now() - started;
    ctx.modelUsage(response.usage);
    ctx.timing({ modelMs: ms });
    messages.push(assistantMessage(response.text, response.toolCalls));
    const first = response.toolCalls[0];
    await checkpoints.now(() =>
      ctx.checkpoint(
        {
          type: 'model_call',
          message: `${step.name} round ${cycle}: ${describeCalls(response.toolCalls)}`,
          data: {
            step: step.name,
            cycle,
            ms: Math.round(ms),
            promptTokens: response.usage.promptTokens,
            completionTokens: response.usage.completionTokens,
            text: response.text.slice(0, EVENT_OUTPUT_CHARS),
          },
        },
        { cycle, messages, pendingToolCall: first && pending(first) },
        { kind: 'model', worktree: false },
      ),
    );
    return response;
  } catch (error) {
    ctx.timing({ modelMs: performance.now() - started });
    if (error instanceof ModelError) throw new FlowError(error.message);
    throw error;
  }
}

function finishTool(step: AgentStep<z.ZodType>): ModelTool {
  return {
    type: 'function',
    function: {
      name: step.finish.name,
      description: step.finish.description,
      parameters: z.toJSONSchema(step.finish.answer, { io: 'input' }) as Record<string, unknown>,
    },
  };
}

function parseAnswer<Answer extends z.ZodType>(
  step: AgentStep<Answer>,
  call: ModelToolCall,
): z.infer<Answer> | string {
  let json: unknown;
  try {
    json = JSON.parse(call.arguments || '{}');
  } catch {
    return `Error: the arguments of ${step.finish.name} are not valid JSON. Call it again.`;
  }
  const parsed = step.finish.answer.safeParse(json);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'answer'}: ${i.message}`);
  return `Error: invalid ${step.finish.name} arguments (${issues.slice(0, 5).join('; ')}). Call it again.`;
}

function assistantMessage(text: string, calls: ModelToolCall[]): ModelMessage {
  return {
    role: 'assistant',
    content: text || null,
    ...(calls.length
      ? {
          tool_calls: calls.map((c) => ({
            id: c.id,
            type: 'function' as const,
            function: { name: c.name, arguments: c.arguments },
          })),
        }
      : {}),
  } as ModelMessage;
}

function describeCalls(calls: ModelToolCall[]): string {
  return calls.length ? calls.map((c) => c.name).join(', ') : 'no tool call';
}
