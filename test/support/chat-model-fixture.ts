import assert from 'node:assert/strict';
import type { ModelConfig } from '../../server/config';
import type { Logger } from '../../server/logger';
import { ModelError, type ModelRequest } from '../../server/chat/model';
import { OpenAIChatModel } from '../../server/chat/openai-model';
import { ScriptedModel } from './scripted-model';

/** The key the scripted endpoint accepts; tests check it never leaks into messages or logs. */
export const API_KEY = 'sk-test-4f1b9c0e7d2a';

export type RetryInfo = Parameters<NonNullable<ModelRequest['onRetry']>>[0];

export interface ChatModelFixture {
  /** The endpoint, reset before each test. */
  readonly scripted: ScriptedModel;
  /** Log lines of every model made by `modelWith`, cleared before each test. */
  readonly logLines: string[];
  /** An OpenAIChatModel on the scripted endpoint: fast retries, generous timeout. */
  modelWith(overrides?: Partial<ModelConfig>): OpenAIChatModel;
}

/**
 * Registers mocha hooks that run a ScriptedModel for the enclosing suite, and checks after
 * every test that the API key appeared in no log line.
 */
export function useScriptedChatModel(): ChatModelFixture {
  let scripted: ScriptedModel | undefined;
  const logLines: string[] = [];
  const log = (message: string) => void logLines.push(message);
  const logger: Logger = { error: log, warn: log, info: log, debug: log };

  before(async () => {
    scripted = await ScriptedModel.start({ apiKey: API_KEY });
  });
  after(() => scripted?.stop());
  beforeEach(() => {
    scripted?.reset();
    logLines.length = 0;
  });
  afterEach(() => {
    for (const line of logLines) assert.ok(!line.includes(API_KEY), `key in log: ${line}`);
  });

  const fixture: ChatModelFixture = {
    get scripted() {
      assert.ok(scripted, 'the ScriptedModel starts in a before() hook');
      return scripted;
    },
    logLines,
    modelWith: (overrides = {}) =>
      new OpenAIChatModel(
        {
          baseUrl: fixture.scripted.baseUrl,
          apiKey: API_KEY,
          name: 'gpt-test',
          timeoutMs: 10_000,
          maxRetries: 3,
          retryBaseMs: 10,
          ...overrides,
        },
        logger,
      ),
  };
  return fixture;
}

/** A request that records what the model streams and reports back. */
export function recordingRequest(extra: Partial<ModelRequest> = {}) {
  const deltas: string[] = [];
  const retries: RetryInfo[] = [];
  const request: ModelRequest = {
    messages: [
      { role: 'system', content: 'You are helpful.' },
      { role: 'user', content: 'Say hello.' },
    ],
    onDelta: (text) => deltas.push(text),
    onRetry: (info) => retries.push(info),
    ...extra,
  };
  return { request, deltas, retries };
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof Error, `expected an Error, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the request to fail');
}

export async function modelError(promise: Promise<unknown>): Promise<ModelError> {
  const error = await rejection(promise);
  assert.ok(
    error instanceof ModelError,
    `expected a ModelError, got ${error.name}: ${error.message}`,
  );
  return error;
}
