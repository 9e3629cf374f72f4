import assert from 'node:assert/strict';
import {
  API_KEY,
  modelError,
  recordingRequest,
  rejection,
  useScriptedChatModel,
} from '../../test/support/chat-model-fixture';
import { ScriptedModel } from '../../test/support/scripted-model';
import { ModelError } from './model';

describe('OpenAIChatModel failures', () => {
  const fixture = useScriptedChatModel();
  const modelWith = fixture.modelWith;
  let scripted: ScriptedModel;
  beforeEach(() => {
    scripted = fixture.scripted;
  });

  describe('errors that retrying will not fix', () => {
    it('does not retry a rejected API key, and says where to set it', async () => {
      const { request, retries } = recordingRequest();
      const wrongKey = 'sk-wrong-0123456789';

      const error = await modelError(modelWith({ apiKey: wrongKey }).complete(request));

      assert.equal(
        error.message,
        `The model endpoint ${scripted.baseUrl} rejected the API key (401): set tandem.model.apiKey or OPENAI_API_KEY.`,
      );
      assert.ok(!error.message.includes(wrongKey));
      assert.equal(error.status, 401);
      assert.equal(error.retryable, false);
      assert.equal(scripted.requests.length, 1);
      assert.deepEqual(retries, []);
    });

    const clientErrors: [number, string, RegExp][] = [
      [
        400,
        "Invalid value for 'messages'.",
        /rejected the request \(400: Invalid value for 'messages'\.\)/,
      ],
      [
        404,
        'The model `gpt-nope` does not exist or you do not have access to it.',
        /does not know model "gpt-test" .*\(404: The model `gpt-nope` does not exist.*tandem\.model\.name/,
      ],
    ];
    for (const [status, endpointMessage, expected] of clientErrors) {
      it(`does not retry ${status}, and passes on what the endpoint said`, async () => {
        scripted.enqueue({
          error: {
            status,
            body: {
              error: { message: endpointMessage, type: 'invalid_request_error', code: null },
            },
          },
        });
        const { request, retries } = recordingRequest();

        const error = await modelError(modelWith().complete(request));

        assert.match(error.message, expected);
        assert.equal(error.status, status);
        assert.equal(error.retryable, false);
        assert.equal(scripted.requests.length, 1);
        assert.deepEqual(retries, []);
      });
    }

    it('never repeats the API key, even when the endpoint echoes it', async () => {
      const echo = `Incorrect API key provided: ${API_KEY}.`;
      scripted.enqueue(
        {
          error: { status: 400, body: { error: { message: echo, type: 'invalid_request_error' } } },
        },
        { error: { status: 500, body: { error: { message: echo, type: 'server_error' } } } },
      );

      const badRequest = await modelError(modelWith().complete(recordingRequest().request));
      const serverError = await modelError(
        modelWith({ maxRetries: 0 }).complete(recordingRequest().request),
      );

      for (const error of [badRequest, serverError]) {
        assert.ok(!error.message.includes(API_KEY), error.message);
        assert.match(error.message, /Incorrect API key provided: \*\*\*/);
      }
    });

    it('lets an exception from onDelta through unchanged, without retrying', async () => {
      scripted.enqueue({ text: 'boom' });
      const failure = new TypeError('the chat view is gone');

      const error = await rejection(
        modelWith().complete(
          recordingRequest({
            onDelta: () => {
              throw failure;
            },
          }).request,
        ),
      );

      assert.equal(error, failure);
      assert.equal(scripted.requests.length, 1);
    });
  });

  describe('cancellation', () => {
    it('stops waiting for an endpoint that never answers when the signal aborts', async () => {
      scripted.enqueue({ hang: true });
      const controller = new AbortController();
      const answer = modelWith({ timeoutMs: 60_000 }).complete(
        recordingRequest({ signal: controller.signal }).request,
      );
      await scripted.waitForRequests(1);

      controller.abort();

      const error = await rejection(answer);
      assert.equal(error.name, 'AbortError');
      assert.ok(!(error instanceof ModelError));
    });

    it('stops a stream that has started', async () => {
      scripted.enqueue({ text: 'first words and then silence', stallAfterChunks: 3 });
      const controller = new AbortController();
      const { request, deltas } = recordingRequest({ signal: controller.signal });
      request.onDelta = (text) => {
        deltas.push(text);
        controller.abort();
      };

      const error = await rejection(modelWith({ timeoutMs: 60_000 }).complete(request));

      assert.equal(error.name, 'AbortError');
      assert.equal(deltas.length, 1);
    });

    it('stops waiting for a retry when the signal aborts', async () => {
      scripted.enqueue(
        { error: { status: 429, headers: { 'retry-after': '50' } } },
        { text: 'never' },
      );
      const controller = new AbortController();
      const { request } = recordingRequest({
        signal: controller.signal,
        onRetry: () => controller.abort(),
      });

      const error = await rejection(modelWith().complete(request));

      assert.equal(error.name, 'AbortError');
      assert.equal(scripted.requests.length, 1);
    });

    it('sends nothing when the signal has already aborted', async () => {
      const error = await rejection(
        modelWith().complete(recordingRequest({ signal: AbortSignal.abort() }).request),
      );

      assert.equal(error.name, 'AbortError');
      assert.equal(scripted.requests.length, 0);
    });
  });
});
