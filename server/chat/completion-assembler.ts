import { randomUUID } from 'node:crypto';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { ModelResponse, ModelToolCall, ModelUsage } from './model';

/**
 * Builds one ModelResponse from streamed chat-completion chunks. Text is handed on as it arrives;
 * tool calls arrive as fragments keyed by `index` (the id and name once, the arguments in pieces)
 * and are only whole at the end of the stream.
 */
export class CompletionAssembler {
  private text = '';
  private readonly toolCalls = new Map<number, ModelToolCall>();
  private usage: ModelUsage = { promptTokens: 0, completionTokens: 0 };
  private finishReason: string | null = null;
  private chunks = 0;

  constructor(private readonly onText: (text: string) => void) {}

  /** True once any chunk arrived, even one without content. */
  get started(): boolean {
    return this.chunks > 0;
  }

  add(chunk: ChatCompletionChunk): void {
    this.chunks++;
    if (chunk.usage) {
      this.usage = {
        promptTokens: chunk.usage.prompt_tokens ?? 0,
        completionTokens: chunk.usage.completion_tokens ?? 0,
      };
    }
    // We never ask for n > 1, so the first choice is the only one.
    const choice = chunk.choices?.[0];
    if (!choice) return;
    this.addText(choice.delta?.content);
    // A refusal is what the model has to say; the person at the keyboard should see it.
    this.addText(choice.delta?.refusal);
    for (const fragment of choice.delta?.tool_calls ?? []) this.addToolCallFragment(fragment);
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
  }

  finish(): ModelResponse {
    const toolCalls = [...this.toolCalls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, call]) => ({ ...call, id: call.id || `call_${randomUUID()}` }));
    return { text: this.text, toolCalls, usage: this.usage, finishReason: this.finishReason };
  }

  private addText(text: string | null | undefined): void {
    if (!text) return;
    this.text += text;
    this.onText(text);
  }

  private addToolCallFragment(fragment: ChatCompletionChunk.Choice.Delta.ToolCall): void {
    const call = this.toolCalls.get(fragment.index) ?? { id: '', name: '', arguments: '' };
    // Some OpenAI-compatible servers repeat the id and name on every fragment: keep the first.
    call.id ||= fragment.id ?? '';
    call.name ||= fragment.function?.name ?? '';
    call.arguments += fragment.function?.arguments ?? '';
    this.toolCalls.set(fragment.index, call);
  }
}
