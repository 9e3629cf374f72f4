import type { ChatCompletionCreateParams } from 'openai/resources/chat/completions';

/**
 * The OpenAI chat-completion wire format for ScriptedModel: the `chat.completion.chunk` events
 * of a streamed answer and the `chat.completion` body of a non-streamed one, shaped like the
 * ones api.openai.com sends (field for field, including the nulls).
 */

export interface ScriptedToolCall {
  name: string;
  /** An object is sent as JSON; a string is sent as it is, so a test can send invalid JSON. */
  arguments: Record<string, unknown> | string;
  id?: string;
}

export interface ScriptedUsage {
  promptTokens: number;
  completionTokens: number;
}

/** What the model says. */
export interface ScriptedAnswer {
  text?: string;
  /** Characters per content chunk and per tool-argument chunk; default 3. */
  chunkSize?: number;
  toolCalls?: ScriptedToolCall[];
  /** Default: about a quarter of the request and answer sizes, in characters. */
  usage?: ScriptedUsage;
  /** Default: `tool_calls` when there are tool calls, `stop` otherwise. */
  finishReason?: string;
}

/** The request facts the wire format depends on. */
export interface AnswerContext {
  seq: number;
  body: ChatCompletionCreateParams;
  rawBody: string;
}

const DEFAULT_CHUNK_SIZE = 3;
const CREATED = 1_700_000_000;

/** The `data:` payloads of a streamed answer, in order, ending with `[DONE]`. */
export function streamEvents(answer: ScriptedAnswer, context: AnswerContext): string[] {
  const includeUsage = context.body.stream_options?.include_usage === true;
  const chunk = (delta: object, finishReason: string | null = null) =>
    JSON.stringify({
      ...header(context, 'chat.completion.chunk'),
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(includeUsage ? { usage: null } : {}),
    });
  const events = [chunk({ role: 'assistant', content: '', refusal: null })];
  for (const piece of split(answer.text ?? '', answer.chunkSize)) {
    events.push(chunk({ content: piece }));
  }
  toolCalls(answer, context).forEach((call, index) => {
    const { name, arguments: args } = call.function;
    events.push(
      chunk({
        tool_calls: [{ index, id: call.id, type: 'function', function: { name, arguments: '' } }],
      }),
    );
    for (const piece of split(args, answer.chunkSize)) {
      events.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
    }
  });
  events.push(chunk({}, finishReason(answer)));
  if (includeUsage) {
    events.push(
      JSON.stringify({
        ...header(context, 'chat.completion.chunk'),
        choices: [],
        usage: usage(answer, context),
      }),
    );
  }
  events.push('[DONE]');
  return events;
}

/** The body of a non-streamed answer. */
export function completionBody(answer: ScriptedAnswer, context: AnswerContext): object {
  const calls = toolCalls(answer, context);
  const message = {
    role: 'assistant',
    content: answer.text ?? null,
    refusal: null,
    annotations: [],
    ...(calls.length ? { tool_calls: calls } : {}),
  };
  return {
    ...header(context, 'chat.completion'),
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(answer) }],
    usage: usage(answer, context),
  };
}

/** OpenAI's error body, as its SDK expects to find it. */
export function errorBody(message: string, type: string, code: string | null = null): object {
  return { error: { message, type, param: null, code } };
}

function header(context: AnswerContext, object: string) {
  return {
    id: `chatcmpl-scripted-${context.seq}`,
    object,
    created: CREATED + context.seq,
    model: context.body.model,
    service_tier: 'default',
    system_fingerprint: 'fp_scripted',
  };
}

function toolCalls(answer: ScriptedAnswer, context: AnswerContext) {
  return (answer.toolCalls ?? []).map((call, index) => ({
    id: call.id ?? `call_scripted_${context.seq}_${index}`,
    type: 'function' as const,
    function: {
      name: call.name,
      arguments:
        typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
    },
  }));
}

function finishReason(answer: ScriptedAnswer): string {
  return answer.finishReason ?? (answer.toolCalls?.length ? 'tool_calls' : 'stop');
}

function usage(answer: ScriptedAnswer, context: AnswerContext) {
  const output = (answer.text ?? '') + JSON.stringify(answer.toolCalls ?? []);
  const prompt = answer.usage?.promptTokens ?? Math.ceil(context.rawBody.length / 4);
  const completion = answer.usage?.completionTokens ?? Math.ceil(output.length / 4);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function split(text: string, size = DEFAULT_CHUNK_SIZE): string[] {
  const pieces: string[] = [];
  for (let at = 0; at < text.length; at += Math.max(1, size)) {
    pieces.push(text.slice(at, at + Math.max(1, size)));
  }
  return pieces;
}
