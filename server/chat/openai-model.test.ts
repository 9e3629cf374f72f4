import assert from 'node:assert/strict';
import {
  modelError,
  recordingRequest,
  useScriptedChatModel,
  API_KEY,
} from '../../test/support/chat-model-fixture';
import { ScriptedModel } from '../../test/support/scripted-model';
import type { ModelRequest } from './model';

describe('OpenAIChatModel', () => {
  const fixture = useScriptedChatModel();
  const modelWith = fixture.modelWith;
  let scripted: ScriptedModel;
  beforeEach(() => {
    scripted = fixture.scripted;
  });

  describe('streaming', () => {
    it('assembles streamed text and hands on the deltas in order', async () => {
      scripted.enqueue({ text: 'Hello from the scripted model.', chunkSize: 4 });
      const { request, deltas, retries } = recordingRequest();

      const response = await modelWith().complete(request);

      assert.equal(response.text, 'Hello from the scripted model.');
      assert.ok(deltas.length > 5, `expected several deltas, got ${deltas.length}`);
      assert.equal(deltas.join(''), response.text);
      assert.deepEqual(response.toolCalls, []);
      assert.equal(response.finishReason, 'stop');
      assert.deepEqual(retries, []);
    });

    it('sends the configured model, the messages and a streaming request with usage', async () => {
      scripted.enqueue({ text: 'ok' });
      const { request } = recordingRequest();

      await modelWith({ name: 'my-model' }).complete(request);

      const [sent] = scripted.requests;
      assert.equal(sent.body.model, 'my-model');
      assert.equal(sent.body.stream, true);
      assert.deepEqual(sent.body.stream_options, { include_usage: true });
      assert.deepEqual(sent.body.messages, request.messages);
      assert.equal(sent.headers.authorization, `Bearer ${API_KEY}`);
    });

    const toolChoices: [ModelRequest['toolChoice'], unknown][] = [
      ['auto', 'auto'],
      ['none', 'none'],
      [{ name: 'recommend_flow' }, { type: 'function', function: { name: 'recommend_flow' } }],
      [undefined, undefined],
    ];
    for (const [choice, wire] of toolChoices) {
      it(`maps toolChoice ${JSON.stringify(choice)} to tool_choice ${JSON.stringify(wire)}`, async () => {
        scripted.enqueue({ text: 'ok' });
        const tools: ModelRequest['tools'] = [
          {
            type: 'function',
            function: { name: 'recommend_flow', parameters: { type: 'object' } },
          },
        ];

        await modelWith().complete(recordingRequest({ tools, toolChoice: choice }).request);

        assert.deepEqual(scripted.requests[0].body.tool_choice, wire);
        assert.deepEqual(scripted.requests[0].body.tools, tools);
      });
    }

    it('assembles two parallel tool calls from their fragments', async () => {
      scripted.enqueue({
        chunkSize: 2,
        toolCalls: [
          { id: 'call_a', name: 'read_file', arguments: { path: 'src/main.ts', lines: [1, 40] } },
          { id: 'call_b', name: 'run_command', arguments: '{"command": "npm test"' },
        ],
      });
      const { request, deltas } = recordingRequest();

      const response = await modelWith().complete(request);

      assert.deepEqual(response.toolCalls, [
        { id: 'call_a', name: 'read_file', arguments: '{"path":"src/main.ts","lines":[1,40]}' },
        { id: 'call_b', name: 'run_command', arguments: '{"command": "npm test"' },
      ]);
      assert.equal(response.finishReason, 'tool_calls');
      assert.deepEqual(deltas, [], 'tool-call fragments are not text');
    });

    it('records usage from the final chunk', async () => {
      scripted.enqueue({ text: 'counted', usage: { promptTokens: 1234, completionTokens: 56 } });

      const response = await modelWith().complete(recordingRequest().request);

      assert.deepEqual(response.usage, { promptTokens: 1234, completionTokens: 56 });
    });
  });

  describe('retries', () => {
    it('waits for Retry-After on 429, then succeeds', async () => {
      scripted.enqueue(
        { error: { status: 429, headers: { 'retry-after': '1' } } },
        { text: 'after the limit' },
      );
      const { request, retries } = recordingRequest();
      const started = Date.now();

      const response = await modelWith().complete(request);

      assert.equal(response.text, 'after the limit');
      assert.ok(Date.now() - started >= 990, `waited only ${Date.now() - started} ms`);
      const [first, second] = scripted.requests;
      assert.ok(second.receivedAt - first.receivedAt >= 990);
      assert.equal(retries.length, 1);
      assert.equal(retries[0].attempt, 1);
      assert.equal(retries[0].delayMs, 1000);
      assert.match(retries[0].reason, /429/);
    });

    it('honours retry-after-ms', async () => {
      scripted.enqueue(
        { error: { status: 429, headers: { 'retry-after-ms': '300' } } },
        { text: 'ok' },
      );
      const { request, retries } = recordingRequest();

      await modelWith().complete(request);

      const [first, second] = scripted.requests;
      assert.ok(second.receivedAt - first.receivedAt >= 295);
      assert.equal(retries[0].delayMs, 300);
    });

    it('retries server errors with backoff, then succeeds', async () => {
      scripted.enqueue(
        { error: { status: 500 } },
        { error: { status: 503 } },
        { text: 'third time' },
      );
      const { request, retries, deltas } = recordingRequest();

      const response = await modelWith().complete(request);

      assert.equal(response.text, 'third time');
      assert.equal(deltas.join(''), 'third time');
      assert.equal(scripted.requests.length, 3);
      assert.deepEqual(
        retries.map((r) => r.attempt),
        [1, 2],
      );
      assert.ok(retries.every((r) => r.delayMs <= 20));
    });

    it('gives up on a persistent server error with a message that says what to do', async () => {
      scripted.enqueue(...Array.from({ length: 3 }, () => ({ error: { status: 500 } })));
      const { request, retries } = recordingRequest();

      const error = await modelError(modelWith({ maxRetries: 2 }).complete(request));

      assert.equal(scripted.requests.length, 3);
      assert.equal(retries.length, 2);
      assert.equal(error.status, 500);
      assert.equal(error.retryable, true);
      assert.match(
        error.message,
        new RegExp(
          `^The model endpoint ${scripted.baseUrl} returned a server error \\(500.*\\) ` +
            'and did not recover after 2 retries\\. .*tandem\\.model\\.\\*\\.$',
        ),
      );
    });

    it('gives up on a persistent rate limit with a message that says what to do', async () => {
      scripted.enqueue(...Array.from({ length: 4 }, () => ({ error: { status: 429 } })));

      const error = await modelError(modelWith().complete(recordingRequest().request));

      assert.equal(
        error.message,
        `The model endpoint ${scripted.baseUrl} is rate-limiting requests (429) and did not recover ` +
          'after 3 retries. Wait a minute and send again, or use another model in tandem.model.*.',
      );
      assert.equal(scripted.requests.length, 4);
    });

    it('retries when the connection drops before any text, then succeeds', async () => {
      scripted.enqueue({ text: 'lost', dropAfterChunks: 1 }, { text: 'whole answer' });
      const { request, deltas, retries } = recordingRequest();

      const response = await modelWith().complete(request);

      assert.equal(response.text, 'whole answer');
      assert.equal(deltas.join(''), 'whole answer');
      assert.equal(retries.length, 1);
    });

    it('does not retry once text was shown: the answer was cut off', async () => {
      scripted.enqueue({ text: 'Hello, this will be cut', chunkSize: 5, dropAfterChunks: 3 });
      const { request, deltas, retries } = recordingRequest();

      const error = await modelError(modelWith().complete(request));

      assert.equal(deltas.join(''), 'Hello, thi');
      assert.equal(scripted.requests.length, 1);
      assert.deepEqual(retries, []);
      assert.equal(error.retryable, true);
      assert.match(error.message, /was cut off .*Send again/);
    });

    it('reports an endpoint that cannot be reached', async () => {
      const gone = await ScriptedModel.start();
      await gone.stop();

      const error = await modelError(
        modelWith({ baseUrl: gone.baseUrl, maxRetries: 1 }).complete(recordingRequest().request),
      );

      assert.match(error.message, /^Could not reach the model endpoint .* after 1 retry\. /);
      assert.match(error.message, /tandem\.model\.baseUrl/);
    });
  });

  describe('timeouts', () => {
    it('retries an endpoint that never answers, then gives up', async () => {
      scripted.enqueue({ hang: true }, { hang: true }, { hang: true });
      const { request, retries } = recordingRequest();

      const error = await modelError(
        modelWith({ timeoutMs: 200, maxRetries: 2 }).complete(request),
      );

      assert.equal(scripted.requests.length, 3);
      assert.equal(retries.length, 2);
      assert.match(retries[0].reason, /no answer within 0\.2 s/);
      assert.equal(error.retryable, true);
      assert.match(
        error.message,
        /^The model endpoint .* did not answer within 0\.2 s and did not recover after 2 retries\. /,
      );
    });

    it('times out a stream that stalls before any text, and retries', async () => {
      scripted.enqueue({ text: 'never sent', stallAfterChunks: 1 }, { text: 'second try' });

      const response = await modelWith({ timeoutMs: 200 }).complete(recordingRequest().request);

      assert.equal(response.text, 'second try');
      assert.equal(scripted.requests.length, 2);
    });

    it('counts idle time, not total time: a slow first byte within the limit is fine', async () => {
      scripted.enqueue({ text: 'eventually', delayMs: 50 });

      const response = await modelWith({ timeoutMs: 5000 }).complete(recordingRequest().request);

      assert.equal(response.text, 'eventually');
    });
  });
});
