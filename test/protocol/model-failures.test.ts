import * as assert from 'node:assert/strict';
import type { ApprovalRequestedParams, ChatUpdateParams } from '../../server/protocol';
import { ProtocolClient } from '../support/protocol-client';
import { chatResponder } from '../support/recorded-model';
import { FAST_SETTINGS, type ReviewWorld, startReviewWorld } from '../support/review-world';
import { tempDir } from '../support/temp-dir';

const final = (p: ChatUpdateParams) => p.role === 'assistant' && p.done && !p.widget;

describe('model failures through the real server: retries, then a clear message', function () {
  this.timeout(60_000);
  let world: ReviewWorld;
  let tmp: ReturnType<typeof tempDir>;
  let client: ProtocolClient;

  beforeEach(async () => {
    world = await startReviewWorld();
    tmp = tempDir();
    client = await ProtocolClient.start({
      env: world.env(tmp.dir),
      settings: { model: { ...FAST_SETTINGS.model, timeoutMs: 500, maxRetries: 2 } },
    });
  });
  afterEach(async () => {
    await client.stop();
    await world.stop();
    tmp.cleanup();
  });

  it('waits out a 429 with Retry-After, then answers', async () => {
    world.model.enqueue({
      error: {
        status: 429,
        headers: { 'Retry-After': '1' },
        body: { error: { message: 'slow down' } },
      },
    });
    world.model.enqueue({ text: 'Here you go.' });
    const started = Date.now();
    await client.request('tandem/chat/send', { text: 'hello' });
    const reply = await client.waitFor<ChatUpdateParams>('tandem/chat/update', final);
    assert.equal(reply.text, 'Here you go.');
    assert.ok(Date.now() - started >= 900, 'honoured Retry-After: 1');
    assert.equal(world.model.requests.length, 2);
  });

  it('says clearly when the endpoint keeps failing (500), and keeps serving', async () => {
    for (let i = 0; i < 3; i++)
      world.model.enqueue({ error: { status: 500, body: { error: { message: 'boom' } } } });
    const { conversationId } = await client.request<{ conversationId: string }>(
      'tandem/chat/send',
      { text: 'hello' },
    );
    const reply = await client.waitFor<ChatUpdateParams>('tandem/chat/update', final);
    assert.match(reply.text ?? '', /returned a server error \(500: boom\)/);
    assert.match(reply.text ?? '', /2 retries/);
    assert.equal(reply.error?.retryable, true);
    assert.equal(world.model.requests.length, 3);

    world.model.enqueue({ text: 'Back again.' });
    await client.request('tandem/chat/send', { conversationId, text: 'again?' });
    await client.waitFor<ChatUpdateParams>(
      'tandem/chat/update',
      (p) => final(p) && p.text === 'Back again.',
    );
  });

  it('closes a message cut off mid-stream, with what was shown and the error', async () => {
    for (let i = 0; i < 3; i++)
      world.model.enqueue({
        text: 'The first half of an answer that',
        chunkSize: 4,
        dropAfterChunks: 4,
      });
    await client.request('tandem/chat/send', { text: 'hello' });
    const closed = await client.waitFor<ChatUpdateParams>('tandem/chat/update', final);
    const deltas = client.of<ChatUpdateParams>('tandem/chat/update').filter((p) => p.delta);
    assert.ok(deltas.length > 0, 'some text was streamed');
    assert.equal(closed.messageId, deltas[0].messageId, 'the streamed message is the one closed');
    assert.ok(closed.text?.startsWith(deltas.map((d) => d.delta).join('')));
    assert.ok(closed.error);
  });

  it('gives up on an endpoint that does not answer, with a message saying so', async () => {
    for (let i = 0; i < 3; i++) world.model.enqueue({ hang: true });
    await client.request('tandem/chat/send', { text: 'hello' });
    const reply = await client.waitFor<ChatUpdateParams>('tandem/chat/update', final, 20_000);
    assert.match(reply.text ?? '', /did not answer|timed out|within/i);
    assert.equal(world.model.requests.length, 3);
  });

  it('tells the model when its tool-call arguments are not valid JSON, and recovers', async () => {
    // First a broken call, then (told what was wrong) a valid one.
    const reference = world.mr.webUrl;
    world.model.respond((request) => {
      if (request.seq > 2) return undefined;
      const args =
        request.seq === 1
          ? '{"flow": "code_review", "reference": '
          : { flow: 'code_review', reference };
      return { toolCalls: [{ name: 'recommend_flow', arguments: args }] };
    });
    world.model.respond(chatResponder());
    await client.request('tandem/chat/send', { text: `review ${world.mr.webUrl}` });
    const approval = await client.waitFor<ApprovalRequestedParams>('tandem/approval/requested');
    assert.equal(approval.reference?.label, 'group/app!7');
    const second = world.model.requests[1].body.messages;
    const toolMessage = second.find((m) => m.role === 'tool');
    assert.match(String(toolMessage?.content), /not valid JSON/);
  });

  it('refuses a recommendation without an explicit reference back to the model', async () => {
    world.model.enqueue({
      toolCalls: [
        { name: 'recommend_flow', arguments: { flow: 'code_review', reference: 'the latest one' } },
      ],
    });
    world.model.enqueue({ text: 'Which merge request? Paste its URL or group/project!N.' });
    await client.request('tandem/chat/send', { text: 'review my MR' });
    await client.waitFor<ChatUpdateParams>(
      'tandem/chat/update',
      (p) => final(p) && /Which merge request/.test(p.text ?? ''),
    );
    assert.equal(client.of('tandem/approval/requested').length, 0);
    assert.match(
      String(world.model.requests[1].body.messages.at(-1)?.content),
      /Ask the person for an explicit reference/,
    );
  });
});
