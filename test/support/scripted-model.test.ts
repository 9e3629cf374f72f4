import assert from 'node:assert/strict';
import OpenAI, { APIError, AuthenticationError } from 'openai';
import { OpenAIChatModel } from '../../server/chat/openai-model';
import { ScriptedModel } from './scripted-model';

const API_KEY = 'sk-scripted-test';

/** The `data:` payloads of a raw SSE response, parsed where they are JSON. */
async function sseEvents(response: Response): Promise<unknown[]> {
  const text = await response.text();
  const blocks = text.split('\n\n').filter(Boolean);
  for (const block of blocks) assert.match(block, /^data: /);
  return blocks.map((block) => {
    const data = block.slice('data: '.length);
    return data === '[DONE]' ? data : JSON.parse(data);
  });
}

interface Chunk {
  object: string;
  choices: { delta: Record<string, unknown>; finish_reason: string | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number } | null;
}

describe('ScriptedModel', () => {
  let scripted: ScriptedModel;
  let client: OpenAI;

  const post = (body: object) =>
    fetch(`${scripted.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  before(async () => {
    scripted = await ScriptedModel.start({ apiKey: API_KEY, models: ['gpt-scripted'] });
    client = new OpenAI({ baseURL: scripted.baseUrl, apiKey: API_KEY, maxRetries: 0 });
  });
  after(() => scripted.stop());
  beforeEach(() => scripted.reset());

  it('streams text and tool calls as chat.completion.chunk events, like OpenAI', async () => {
    scripted.enqueue({
      text: 'Hi there',
      chunkSize: 3,
      toolCalls: [{ id: 'call_1', name: 'lookup', arguments: { q: 'x' } }],
      usage: { promptTokens: 7, completionTokens: 5 },
    });
    const response = await post({
      model: 'gpt-scripted',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);

    const events = await sseEvents(response);
    const chunks = events.slice(0, -1) as Chunk[];
    const deltas = chunks.map((c) => c.choices[0]?.delta);

    assert.equal(events.at(-1), '[DONE]');
    assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk'));
    assert.deepEqual(deltas[0], { role: 'assistant', content: '', refusal: null });
    assert.deepEqual(
      deltas.slice(1, 4).map((d) => d.content),
      ['Hi ', 'the', 're'],
    );
    assert.deepEqual(deltas[4], {
      tool_calls: [
        { index: 0, id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '' } },
      ],
    });
    assert.deepEqual(deltas[5], { tool_calls: [{ index: 0, function: { arguments: '{"q' } }] });
    const finish = chunks.at(-2)!;
    assert.deepEqual(finish.choices[0], {
      index: 0,
      delta: {},
      logprobs: null,
      finish_reason: 'tool_calls',
    });
    const usage = chunks.at(-1)!;
    assert.deepEqual(usage.choices, []);
    assert.equal(usage.usage?.prompt_tokens, 7);
    assert.equal(usage.usage?.completion_tokens, 5);
  });

  it('sends no usage chunk unless asked for', async () => {
    scripted.enqueue({ text: 'x' });
    const events = await sseEvents(
      await post({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    );
    const chunks = events.slice(0, -1) as Chunk[];
    assert.ok(chunks.every((c) => c.choices.length === 1 && !('usage' in c)));
  });

  it('answers non-streaming requests with one chat.completion body', async () => {
    scripted.enqueue({ text: 'whole', toolCalls: [{ name: 'f', arguments: '{oops' }] });

    const completion = await client.chat.completions.create({
      model: 'gpt-scripted',
      messages: [{ role: 'user', content: 'hi' }],
    });

    const message = completion.choices[0].message;
    assert.equal(message.content, 'whole');
    assert.equal(message.tool_calls?.[0].type, 'function');
    assert.deepEqual(
      message.tool_calls?.[0].type === 'function' && message.tool_calls[0].function,
      { name: 'f', arguments: '{oops' },
    );
    assert.equal(completion.choices[0].finish_reason, 'tool_calls');
    assert.ok(completion.usage && completion.usage.total_tokens > 0);
  });

  it('lists its models', async () => {
    const models = await client.models.list();
    assert.deepEqual(
      models.data.map((m) => m.id),
      ['gpt-scripted'],
    );
  });

  it('rejects a wrong key the way OpenAI does, and still records the request', async () => {
    const wrong = new OpenAI({ baseURL: scripted.baseUrl, apiKey: 'sk-wrong', maxRetries: 0 });

    await assert.rejects(
      wrong.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
      (error: unknown) =>
        error instanceof AuthenticationError &&
        error.code === 'invalid_api_key' &&
        error.message.includes('Incorrect API key provided'),
    );
    assert.equal(scripted.requests.length, 1);
    assert.equal(scripted.requests[0].headers.authorization, 'Bearer sk-wrong');
  });

  it('answers a readable 500 when the script runs out', async () => {
    await assert.rejects(
      client.chat.completions.create({
        model: 'm',
        messages: [{ role: 'user', content: 'fix it' }],
      }),
      (error: unknown) =>
        error instanceof APIError &&
        error.status === 500 &&
        /script ran out.*request #1 \(last user message: "fix it"\)/.test(error.message),
    );
  });

  it('sends scripted errors with their status, headers and body', async () => {
    scripted.enqueue({
      error: { status: 503, body: 'upstream down', headers: { 'retry-after': '7' } },
    });

    const response = await post({ model: 'm', messages: [] });

    assert.equal(response.status, 503);
    assert.equal(response.headers.get('retry-after'), '7');
    assert.equal(await response.text(), 'upstream down');
  });

  it('records each request with its raw and parsed body', async () => {
    scripted.enqueue({ text: 'ok' });
    await client.chat.completions.create({
      model: 'gpt-scripted',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'in parts' }] }],
      tools: [{ type: 'function', function: { name: 'pick' } }],
      tool_choice: { type: 'function', function: { name: 'pick' } },
    });

    const [request] = await scripted.waitForRequests(1);
    assert.equal(request.seq, 1);
    assert.equal(request.body.model, 'gpt-scripted');
    assert.equal(request.forcedTool, 'pick');
    assert.equal(request.lastUserText, 'in parts');
    assert.match(request.rawBody, /"in parts"/);
  });

  it('says how many requests arrived when waiting runs past its deadline', async () => {
    await assert.rejects(
      scripted.waitForRequests(1, 20),
      /expected 1 requests within 20 ms, got 0/,
    );
  });

  it('consults responders before the queue, so concurrent callers get matching answers', async () => {
    scripted.enqueue({ text: 'from the queue' });
    scripted.respond((request) =>
      request.forcedTool
        ? {
            toolCalls: [
              { name: request.forcedTool, arguments: { n: Number(request.lastUserText) } },
            ],
          }
        : undefined,
    );
    const model = new OpenAIChatModel({
      baseUrl: scripted.baseUrl,
      apiKey: API_KEY,
      name: 'gpt-scripted',
      timeoutMs: 10_000,
      maxRetries: 0,
      retryBaseMs: 10,
    });
    const ask = (n: number) =>
      model.complete({
        messages: [{ role: 'user', content: String(n) }],
        tools: [{ type: 'function', function: { name: `tool_${n % 3}` } }],
        toolChoice: { name: `tool_${n % 3}` },
      });

    const answers = await Promise.all(Array.from({ length: 200 }, (_, n) => ask(n)));
    const queued = await model.complete({ messages: [{ role: 'user', content: 'plain' }] });

    answers.forEach((answer, n) => {
      assert.equal(answer.toolCalls[0].name, `tool_${n % 3}`);
      assert.deepEqual(JSON.parse(answer.toolCalls[0].arguments), { n });
    });
    assert.equal(queued.text, 'from the queue');
    assert.equal(scripted.pending, 0);
  });

  it('stops even while a request hangs', async () => {
    const own = await ScriptedModel.start();
    own.enqueue({ hang: true });
    const hanging = fetch(`${own.baseUrl}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', messages: [] }),
    });
    await own.waitForRequests(1);

    await own.stop();

    await assert.rejects(hanging);
  });
});
