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
  const messages: ModelMessage[] = history.length
    ? [...history, { role: 'user', content: step.goal }]
    : [
        { role: 'system', content: step.system },
        { role: 'user', content: step.goal },
      ];
  const maxCycles = step.maxCycles ?? ctx.config.flows.maxCycles;
  for (let cycle = 1; cycle <= maxCycles; cycle++) {
    ctx.signal.throwIfAborted();
    ctx.checkBudget();
    const response = await callModel(ctx, step, trimContext(messages), definitions, cycle);
    messages.push(assistantMessage(response.text, response.toolCalls));
    if (response.toolCalls.length === 0) {
      messages.push({
        role: 'user',
        content: `Continue with the tools, or call ${step.finish.name} when you are done.`,
      });
      continue;
    }
    for (const call of response.toolCalls) {
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
      messages.push({
        role: 'tool',
        tool_call_id: call.id,
        content: await runTool(ctx, step, call, tools),
      });
    }
  }
  throw new FlowError(
    `The ${step.name} step did not finish within ${maxCycles} model rounds (tandem.flows.maxCycles).`,
  );
}

async function callModel(
  ctx: FlowContext,
  step: AgentStep<z.ZodType>,
  messages: ModelMessage[],
  tools: ModelTool[],
  cycle: number,
) {
  const started = performance.now();
  try {
    const response = await ctx.model.complete({
      messages,
      tools,
      signal: ctx.signal,
      onRetry: ({ attempt, delayMs, reason }) =>
        ctx.event('model_retry', `Retry ${attempt} in ${delayMs} ms: ${reason}`),
    });
    const ms = performance.now() - started;
    ctx.modelUsage(response.usage);
    ctx.timing({ modelMs: ms });
    ctx.event('model_call', `${step.name} round ${cycle}: ${describeCalls(response.toolCalls)}`, {
      step: step.name,
      cycle,
      ms: Math.round(ms),
      promptTokens: response.usage.promptTokens,
      completionTokens: response.usage.completionTokens,
      text: response.text.slice(0, EVENT_OUTPUT_CHARS),
    });
    return response;
  } catch (error) {
    ctx.timing({ modelMs: performance.now() - started });
    if (error instanceof ModelError) throw new FlowError(error.message);
    throw error;
  }
}

async function runTool(
  ctx: FlowContext,
  step: AgentStep<z.ZodType>,
  call: ModelToolCall,
  tools: ToolContext,
): Promise<string> {
  const started = performance.now();
  const output = await runToolCall(step.tools, call, tools);
  const ms = performance.now() - started;
  ctx.timing({ toolMs: ms, toolCalls: 1 });
  ctx.event('tool_call', `${call.name} (${Math.round(ms)} ms)`, {
    step: step.name,
    tool: call.name,
    arguments: call.arguments.slice(0, EVENT_ARGS_CHARS),
    output: output.slice(0, EVENT_OUTPUT_CHARS),
    ms: Math.round(ms),
  });
  return output;
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
