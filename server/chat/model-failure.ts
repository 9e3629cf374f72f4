import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { ModelError } from './model';
import { isRetryableStatus } from './retry-policy';

/** Why one attempt at a model request failed, in the terms that decide retrying and wording. */
export type AttemptFailure =
  | { kind: 'status'; status: number; detail: string; headers?: Headers }
  | { kind: 'timeout' }
  | { kind: 'connection'; detail: string }
  /** The endpoint sent an error event inside an otherwise healthy stream. */
  | { kind: 'stream-error'; detail: string }
  /** The endpoint sent something that is not a chat-completion stream. */
  | { kind: 'malformed'; detail: string };

/** What the messages need to know about the request; never the API key. */
export interface FailureContext {
  endpoint: string;
  model: string;
  timeoutMs: number;
  /** Retries made before giving up. */
  retries: number;
}

const MAX_DETAIL_CHARS = 300;
const ELSEWHERE = 'or use another model in tandem.model.*.';

/**
 * Turns what the SDK or fetch threw into an AttemptFailure; undefined for anything else (a bug,
 * not the network), which the caller rethrows unchanged.
 */
export function classifyFailure(error: unknown): AttemptFailure | undefined {
  if (error instanceof APIConnectionTimeoutError) return { kind: 'timeout' };
  if (error instanceof APIConnectionError) {
    return { kind: 'connection', detail: describeCause(error) };
  }
  if (error instanceof APIError) {
    const detail = endpointMessage(error);
    if (error.status === undefined) return { kind: 'stream-error', detail };
    return { kind: 'status', status: error.status, detail, headers: error.headers };
  }
  if (error instanceof SyntaxError) return { kind: 'malformed', detail: error.message };
  if (isNetworkError(error)) return { kind: 'connection', detail: describeCause(error) };
  return undefined;
}

export function isRetryable(failure: AttemptFailure): boolean {
  if (failure.kind === 'status') return isRetryableStatus(failure.status);
  return failure.kind !== 'malformed';
}

/** A few words for retry notices and logs. */
export function failureReason(failure: AttemptFailure, timeoutMs: number): string {
  switch (failure.kind) {
    case 'status':
      return failure.status === 429 ? 'rate limited (429)' : `HTTP ${failure.status}`;
    case 'timeout':
      return `no answer within ${formatSeconds(timeoutMs)}`;
    case 'connection':
      return `connection failed: ${failure.detail}`;
    case 'stream-error':
      return `error in the stream: ${failure.detail}`;
    case 'malformed':
      return `unreadable stream: ${failure.detail}`;
  }
}

/** The error for the person at the keyboard once we stop trying. */
export function finalModelError(failure: AttemptFailure, context: FailureContext): ModelError {
  const { endpoint } = context;
  const gaveUp = giveUpClause(context.retries);
  switch (failure.kind) {
    case 'status':
      return statusError(failure.status, failure.detail, context);
    case 'timeout':
      return new ModelError(
        `The model endpoint ${endpoint} did not answer within ${formatSeconds(context.timeoutMs)}${gaveUp}. ` +
          `Check that it is running and reachable, raise tandem.model.timeoutMs, ${ELSEWHERE}`,
        true,
      );
    case 'connection':
      return new ModelError(
        `Could not reach the model endpoint ${endpoint} (${failure.detail})${gaveUp}. ` +
          `Check that it is running and that tandem.model.baseUrl is right, ${ELSEWHERE}`,
        true,
      );
    case 'stream-error':
      return new ModelError(
        `The model endpoint ${endpoint} reported an error while answering (${failure.detail})${gaveUp}. ` +
          `Send again in a moment, ${ELSEWHERE}`,
        true,
      );
    case 'malformed':
      return new ModelError(
        `The model endpoint ${endpoint} sent a response that is not an OpenAI chat-completion stream ` +
          `(${failure.detail}). Check that tandem.model.baseUrl points at an OpenAI-compatible API, ending in /v1.`,
        false,
      );
  }
}

/** The stream broke after part of the answer was shown, so a retry would show it twice. */
export function cutOffError(failure: AttemptFailure, context: FailureContext): ModelError {
  return new ModelError(
    `The answer from the model endpoint ${context.endpoint} was cut off ` +
      `(${failureReason(failure, context.timeoutMs)}). Send again to get a complete answer.`,
    true,
    failure.kind === 'status' ? failure.status : undefined,
  );
}

/** What fetch throws on abort, so callers can tell cancellation apart with `name === 'AbortError'`. */
export function cancelledError(): Error {
  return new DOMException('The model request was cancelled.', 'AbortError');
}

/** Credentials in the URL (http://user:secret@host) stay out of messages too. */
export function displayEndpoint(baseUrl: string): string {
  try {
    const url = new URL(baseUrl);
    url.username = '';
    url.password = '';
    return url.href.replace(/\/+$/, '');
  } catch {
    return baseUrl.replace(/\/\/[^/@]*@/, '//').replace(/\/+$/, '');
  }
}

/** Removes a secret wherever it appears; endpoints sometimes echo the key they rejected. */
export function redact(text: string, secret: string): string {
  return secret ? text.split(secret).join('***') : text;
}

function statusError(status: number, detail: string, context: FailureContext): ModelError {
  return new ModelError(statusMessage(status, detail, context), isRetryableStatus(status), status);
}

function statusMessage(status: number, detail: string, context: FailureContext): string {
  const endpoint = `The model endpoint ${context.endpoint}`;
  const said = detail ? `: ${detail}` : '';
  const gaveUp = giveUpClause(context.retries);
  if (status === 429) {
    return `${endpoint} is rate-limiting requests (429)${gaveUp}. Wait a minute and send again, ${ELSEWHERE}`;
  }
  if (status >= 500) {
    return `${endpoint} returned a server error (${status}${said})${gaveUp}. Send again later, ${ELSEWHERE}`;
  }
  if (status === 401) {
    return `${endpoint} rejected the API key (401): set tandem.model.apiKey or OPENAI_API_KEY.`;
  }
  if (status === 403) {
    return `${endpoint} refused access (403${said}). Check that the API key may use model "${context.model}".`;
  }
  if (status === 404) {
    return (
      `${endpoint} does not know model "${context.model}" or this API path (404${said}). ` +
      'Check tandem.model.name and tandem.model.baseUrl.'
    );
  }
  return `${endpoint} rejected the request (${status}${said}). Check tandem.model.*, or try another model.`;
}

/** The endpoint's own words: OpenAI's `error.message`, or the SDK's text without the status prefix. */
function endpointMessage(error: APIError): string {
  const body = error.error as { message?: unknown } | undefined;
  const text =
    typeof body?.message === 'string'
      ? body.message
      : error.message.replace(/^\d{3} /, '').replace(/^status code \(no body\)$/, '');
  return truncate(text.trim());
}

function describeCause(error: unknown): string {
  let deepest: unknown = error;
  while (deepest instanceof Error && deepest.cause instanceof Error) deepest = deepest.cause;
  const code = (deepest as { code?: unknown }).code;
  const message = deepest instanceof Error ? deepest.message : String(deepest);
  return truncate(
    typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message,
  );
}

/** undici reports resets and half-read bodies as TypeError ("fetch failed", "terminated"). */
function isNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'TypeError' && /^(fetch failed|terminated)$/.test(error.message)) return true;
  const code = (error as { code?: unknown }).code ?? (error.cause as { code?: unknown })?.code;
  return typeof code === 'string' && /^(UND_ERR|ECONN|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_)/.test(code);
}

/** Keeps an endpoint's words to one readable line, even when it answered with an HTML page. */
function truncate(text: string): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > MAX_DETAIL_CHARS ? `${line.slice(0, MAX_DETAIL_CHARS)}…` : line;
}

function giveUpClause(retries: number): string {
  if (retries <= 0) return '';
  return ` and did not recover after ${retries} ${retries === 1 ? 'retry' : 'retries'}`;
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
