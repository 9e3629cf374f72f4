import { performance } from 'node:perf_hooks';
import type { ChatSendResult } from '../server/protocol';
import { startBenchServer } from './bench-server';
import { progress } from './report';
import type { Scope } from './scope';
import { type Distribution, distribution } from './stats';

export interface ChatResult {
  conversations: number;
  sends: number;
  /** `tandem/chat/send` → first assistant `tandem/chat/update` (a delta or done). */
  firstUpdate: Distribution;
  /** `tandem/chat/send` → its answer (the ids). */
  answer: Distribution;
}

/**
 * Chat latency with the zero-latency recorded model: sends in one conversation, one at a time,
 * each waiting for the whole reply so a turn never queues behind the previous one.
 */
export async function measureChat(scope: Scope, sends: number, warmup: number) {
  const { client, log } = await startBenchServer(scope);
  const firstUpdate: number[] = [];
  const answer: number[] = [];
  let conversationId: string | undefined;
  for (let i = 0; i < warmup + sends; i++) {
    progress('chat', Math.max(0, i - warmup + 1), sends, i < warmup ? 'warm-up' : undefined);
    const start = performance.now();
    const sent = await client.request<ChatSendResult>('tandem/chat/send', {
      conversationId,
      text: `What does change ${i} in this merge request do?`,
    });
    const answered = performance.now();
    conversationId = sent.conversationId;
    const first = await log.wait(`first:${sent.turnId}`);
    await log.wait(`done:${sent.turnId}`);
    if (i < warmup) continue;
    firstUpdate.push(first.at - start);
    answer.push(answered - start);
  }
  return {
    conversations: 1,
    sends,
    firstUpdate: distribution(firstUpdate),
    answer: distribution(answer),
  } satisfies ChatResult;
}
