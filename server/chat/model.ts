import type {
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';

export type ModelMessage = ChatCompletionMessageParam;
export type ModelTool = ChatCompletionTool;

export interface ModelToolCall {
  id: string;
  name: string;
  /** Raw JSON text as the model produced it; may be invalid JSON. */
  arguments: string;
}

export interface ModelUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface ModelRequest {
  messages: ModelMessage[];
  tools?: ModelTool[];
  /** Force one tool (structured output), or let the model choose. */
  toolChoice?: 'auto' | 'none' | { name: string };
  signal?: AbortSignal;
  /** Streamed assistant text, in order. Called only for text, never for tool-call fragments. */
  onDelta?: (text: string) => void;
  /** Called before each retry, for logging and session events. */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
}

export interface ModelResponse {
  text: string;
  toolCalls: ModelToolCall[];
  usage: ModelUsage;
  finishReason: string | null;
}

/** An OpenAI-compatible chat model. Implementations stream, retry and time out on their own. */
export interface ChatModel {
  complete(request: ModelRequest): Promise<ModelResponse>;
}

/**
 * A model failure after retries. `message` is written for the person at the keyboard and says
 * what to do next; it never contains the API key.
 */
export class ModelError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ModelError';
  }
}
