import { performance } from 'node:perf_hooks';
import type { ApprovalRequestedParams, ChatSendResult } from '../server/protocol';
import { ProtocolClient } from '../test/support/protocol-client';
import { playRecordedModel } from '../test/support/recorded-model';
import { FAST_SETTINGS, startReviewWorld } from '../test/support/review-world';
import { tempDir } from '../test/support/temp-dir';
import { ArrivalLog } from './arrival-log';
import { distribution } from './stats';

async function main() {
  const world = await startReviewWorld();
  world.model.respond((r) => (r.lastUserText === 'hold' ? { text: 'ok', delayMs: 100 } : undefined));
  playRecordedModel(world.model, world.base, world.head);
  const tmp = tempDir();
  const client = await ProtocolClient.start({ env: world.env(tmp.dir), settings: FAST_SETTINGS, skipInitialize: true });
  const log = new ArrivalLog(client.connection, {
    'tandem/approval/requested': (p: ApprovalRequestedParams) => [`requested:${p.conversationId}`],
    'tandem/approval/resolved': (p: { approvalId: string }) => [`resolved:${p.approvalId}`],
    'tandem/chat/update': (p: { role: string; done: boolean; conversationId: string; text?: string }) =>
      p.role === 'assistant' && p.done ? [`done:${p.conversationId}:${p.text}`] : [],
  });
  await client.initialize();
  const approvals: ApprovalRequestedParams[] = [];
  for (let i = 0; i < 80; i++) {
    const s = await client.request<ChatSendResult>('tandem/chat/send', { text: `review ${world.mr.webUrl}` });
    approvals.push((await log.wait<ApprovalRequestedParams>(`requested:${s.conversationId}`)).params);
  }
  const quiet: number[] = [];
  const held: number[] = [];
  for (const [i, a] of approvals.entries()) {
    const hold = i % 2 === 1;
    if (hold) await client.request('tandem/chat/send', { conversationId: a.conversationId, text: 'hold' });
    const t0 = performance.now();
    void client.request('tandem/approval/respond', { approvalId: a.approvalId, decision: 'deny' });
    const r = await log.wait(`resolved:${a.approvalId}`);
    (hold ? held : quiet).push(r.at - t0);
    await new Promise((res) => setTimeout(res, hold ? 250 : 30));
  }
  console.log('deny, follow-up turn starts at once', distribution(quiet));
  console.log('deny, follow-up turn queued behind a running turn', distribution(held));
  await client.stop();
  await world.stop();
  tmp.cleanup();
}
void main();
