import OpenAI from 'openai';
import type {
  ChatCompletionCreateParamsStreaming,
  ChatCompletionToolChoiceOption,
} from 'openai/resources/chat/completions';
import type { ModelConfig } from '../config';
import { silentLogger, type Logger } from '../logger';
import { CompletionAssembler } from './completion-assembler';
import { IdleWatchdog } from './idle-watchdog';
import { ModelError, type ChatModel, type ModelRequest, type ModelResponse } from './model';
import {
  cancelledError,
  classifyFailure,
  cutOffError,
  displayEndpoint,
  failureReason,
  finalModelError,
  isRetryable,
  redact,
  type AttemptFailure,
  type FailureContext,
} from './model-failure';
import { retryDelayMs, sleep } from './retry-policy';

type AttemptOutcome = { response: ModelResponse } | { failure: AttemptFailure };

/** Carries an exception thrown by the caller's onDelta past our network-error handling. */
class DeliveryError extends Error {
  constructor(override readonly cause: unknown) {
    super('onDelta threw');
  }
}

/**
 * A ChatModel on any OpenAI-compatible endpoint, streaming. The SDK's own retries are off:
 * retrying here keeps the rules visible (what is retried, how long we wait, never after text
 * was shown) and lets every retry be reported through onRetry.
 */
export class OpenAIChatModel implements ChatModel {
  private readonly client: OpenAI;
  private readonly endpoint: string;

  constructor(
    private readonly config: ModelConfig,
    private readonly logger: Logger = silentLogger,
  ) {
    this.endpoint = displayEndpoint(config.baseUrl);
    this.client = new OpenAI({
      baseURL: config.baseUrl,
      // Local servers (Ollama, llama.cpp) need no key, but the SDK refuses to start without one;
      // an endpoint that does need one answers 401, which tells the user what to set.
      apiKey: config.apiKey || 'no-api-key-configured',
      maxRetries: 0,
      timeout: config.timeoutMs,
      // The SDK logs to the console by default, and stdout is the LSP transport.
      logger: this.sdkLogger(),
      logLevel: 'warn',
    });
  }

  async complete(request: ModelRequest): Promise<ModelResponse> {
    const maxRetries = Math.max(0, Math.floor(this.config.maxRetries));
    let delivered = false;
    const deliver = (text: string) => {
      if (!request.onDelta) return;
      delivered = true;
      try {
        request.onDelta(text);
      } catch (error) {
        throw new DeliveryError(error);
      }
    };
    for (let retries = 0; ; retries++) {
      throwIfCancelled(request.signal);
      const outcome = await this.attempt(request, deliver);
      if ('response' in outcome) return outcome.response;
      const { failure } = outcome;
      // Text already on screen cannot be taken back, so a second answer would repeat it.
      if (delivered) throw this.giveUp(cutOffError(failure, this.context(retries)));
      if (!isRetryable(failure) || retries >= maxRetries) {
        throw this.giveUp(finalModelError(failure, this.context(retries)));
      }
      await this.waitBeforeRetry(request, retries + 1, maxRetries, failure);
    }
  }

  private async attempt(
    request: ModelRequest,
    deliver: (text: string) => void,
  ): Promise<AttemptOutcome> {
    const watchdog = new IdleWatchdog(this.config.timeoutMs, request.signal);
    const assembler = new CompletionAssembler(deliver);
    try {
      const stream = await this.client.chat.completions.create(this.body(request), {
        signal: watchdog.signal,
      });
      watchdog.reset();
      for await (const chunk of stream) {
        // Events already buffered still come out after an abort; nothing more may be shown.
        if (watchdog.signal.aborted) break;
        watchdog.reset();
        assembler.add(chunk);
      }
      // The SDK ends an aborted stream quietly, so find out why it ended.
      throwIfCancelled(request.signal);
      if (watchdog.timedOut) return { failure: { kind: 'timeout' } };
      if (!assembler.started) {
        return { failure: { kind: 'connection', detail: 'the stream ended without any data' } };
      }
      return { response: assembler.finish() };
    } catch (error) {
      throwIfCancelled(request.signal);
      if (watchdog.timedOut) return { failure: { kind: 'timeout' } };
      if (error instanceof DeliveryError) throw error.cause;
      const failure = classifyFailure(error);
      if (!failure) throw error;
      return { failure };
    } finally {
      watchdog.stop();
    }
  }

  private async waitBeforeRetry(
    request: ModelRequest,
    retry: number,
    maxRetries: number,
    failure: AttemptFailure,
  ): Promise<void> {
    const headers = failure.kind === 'status' ? failure.headers : undefined;
    const delayMs = retryDelayMs(retry, this.config.retryBaseMs, headers);
    const reason = this.redact(failureReason(failure, this.config.timeoutMs));
    this.logger.warn(
      `Model request to ${this.endpoint} failed (${reason}); retry ${retry} of ${maxRetries} in ${delayMs} ms.`,
    );
    request.onRetry?.({ attempt: retry, delayMs, reason });
    await sleep(delayMs, request.signal);
  }

  private body(request: ModelRequest): ChatCompletionCreateParamsStreaming {
    return {
      model: this.config.name,
      messages: request.messages,
      ...(request.tools?.length ? { tools: request.tools } : {}),
      ...(request.toolChoice ? { tool_choice: toolChoice(request.toolChoice) } : {}),
      stream: true,
      stream_options: { include_usage: true },
    };
  }

  private context(retries: number): FailureContext {
    const { name: model, timeoutMs } = this.config;
    return { endpoint: this.endpoint, model, timeoutMs, retries };
  }

  private giveUp(error: ModelError): ModelError {
    const safe = new ModelError(this.redact(error.message), error.retryable, error.status);
    this.logger.warn(safe.message);
    return safe;
  }

  private redact(text: string): string {
    return redact(text, this.config.apiKey);
  }

  private sdkLogger(): Logger {
    const forward = (level: keyof Logger) => (message: string) =>
      this.logger[level](this.redact(`openai: ${message}`));
    return {
      error: forward('error'),
      warn: forward('warn'),
      info: forward('info'),
      debug: forward('debug'),
    };
  }
}

function toolChoice(
  choice: NonNullable<ModelRequest['toolChoice']>,
): ChatCompletionToolChoiceOption {
  return typeof choice === 'string'
    ? choice
    : { type: 'function', function: { name: choice.name } };
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError();
}
