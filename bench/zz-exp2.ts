import { performance } from 'node:perf_hooks';
import { TandemServer } from '../server/tandem-server';
import { silentLogger } from '../server/logger';
import type { ApprovalRequestedParams } from '../server/protocol';
import { DEFAULT_ANSWERS, playRecordedModel } from '../test/support/recorded-model';
import { startReviewWorld } from '../test/support/review-world';
import { tempDir } from '../test/support/temp-dir';
import { distribution } from './stats';

async function main() {
  const world = await startReviewWorld();
  playRecordedModel(world.model, world.base, world.head);
  const tmp = tempDir();
  const requested: ApprovalRequestedParams[] = [];
  let resolvedAt = 0;
  const waiters = new Map<string, () => void>();
  const server = new TandemServer({
    stateDir: tmp.dir,
    logger: silentLogger,
    env: world.env(tmp.dir),
    channel: {
      chatUpdate: (p) => {
        if (p.done && p.text === DEFAULT_ANSWERS.afterDenial) waiters.get(p.conversationId)?.();
      },
      requested: (p) => requested.push(p),
      resolved: () => (resolvedAt = performance.now()),
      sessionStatus: () => undefined,
      beginProgress: async () => ({ report: () => undefined, done: () => undefined }),
    },
  });
  server.setClient({ protocolVersion: 1, approvals: true, sessionWidget: true });
  server.configure({ model: { retryBaseMs: 10 } });
  for (let i = 0; i < 60; i++) server.chat.send({ text: `review ${world.mr.webUrl}` });
  await server.chat.whenIdle();
  const sync: number[] = [];
  const immediate: number[] = [];
  const respondDone: number[] = [];
  for (const a of requested) {
    const followUp = new Promise<void>((r) => waiters.set(a.conversationId!, r));
    const t0 = performance.now();
    const imm = new Promise<number>((r) => setImmediate(() => r(performance.now())));
    await server.broker.respond({ approvalId: a.approvalId, decision: 'deny' });
    respondDone.push(performance.now() - t0);
    sync.push(resolvedAt - t0);
    immediate.push((await imm) - t0);
    await followUp;
  }
  console.log('respond → sink.resolved (sync)', distribution(sync));
  console.log('respond resolved (microtasks drained?)', distribution(respondDone));
  console.log('respond → next setImmediate (when the LSP writer runs)', distribution(immediate));
  server.shutdown();
  await world.stop();
  tmp.cleanup();
}
void main();
