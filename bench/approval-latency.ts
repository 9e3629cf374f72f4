import { performance } from 'node:perf_hooks';
import type {
  ApprovalRequestedParams,
  ApprovalResolvedParams,
  ChatSendResult,
  ChatUpdateParams,
} from '../server/protocol';
import { type BenchServer, startBenchServer } from './bench-server';
import { progress } from './report';
import type { Scope } from './scope';
import { type Distribution, distribution } from './stats';

/** Chats asking for reviews at once while the approvals are produced. */
const ASK_BATCH = 10;

/** Trivial requests timed first: the floor any round trip on this machine stands on. */
const BASELINE_REQUESTS = 100;

export interface ApprovalResult {
  /** `tandem/session/list` {limit: 1} sent → answered, on the same server. */
  baseline: Distribution;
  pending: number;
  /** `tandem/approval/respond` sent → `tandem/approval/resolved` received. */
  deny: Distribution;
  denyAnswer: Distribution;
  approve: Distribution;
  approveAnswer: Distribution;
  /** Approvals that resolved as something other than approve (e.g. the access check failed). */
  approveRefused: number;
}

interface Timing {
  roundTrip: number;
  answer: number;
}

/**
 * Approval round trips: first `denies + approves` pending flow approvals, one per conversation
 * ("review <merge request>"), then each answered one at a time. Between answers the bench waits
 * for what the answer sets off (the model's follow-up, the session), so each round trip is
 * measured on a quiet server.
 */
export async function measureApprovals(scope: Scope, denies: number, approves: number) {
  const server = await startBenchServer(scope);
  const baseline = await timeTrivialRequests(server);
  const approvals = await askForReviews(server, denies + approves);
  const denied: Timing[] = [];
  for (const approval of approvals.slice(0, denies)) {
    progress('approval deny', denied.length + 1, denies);
    denied.push(await respond(server, approval, 'deny'));
    await server.log.wait(`denied:${approval.conversationId}`);
  }
  const approved: Timing[] = [];
  let refused = 0;
  for (const approval of approvals.slice(denies)) {
    progress('approval approve', approved.length + 1, approves);
    const timing = await respond(server, approval, 'approve');
    approved.push(timing);
    if (!(await settleApproved(server, approval))) refused++;
  }
  return {
    baseline: distribution(baseline),
    pending: approvals.length,
    deny: distribution(denied.map((t) => t.roundTrip)),
    denyAnswer: distribution(denied.map((t) => t.answer)),
    approve: distribution(approved.map((t) => t.roundTrip)),
    approveAnswer: distribution(approved.map((t) => t.answer)),
    approveRefused: refused,
  } satisfies ApprovalResult;
}

async function timeTrivialRequests({ client }: BenchServer): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < BASELINE_REQUESTS; i++) {
    const start = performance.now();
    await client.request('tandem/session/list', { limit: 1 });
    times.push(performance.now() - start);
  }
  return times;
}

async function askForReviews({ client, log, world }: BenchServer, count: number) {
  const approvals: ApprovalRequestedParams[] = [];
  while (approvals.length < count) {
    progress('approvals pending', approvals.length, count);
    const batch = Math.min(ASK_BATCH, count - approvals.length);
    const asked = await Promise.all(
      Array.from({ length: batch }, () =>
        client.request<ChatSendResult>('tandem/chat/send', { text: `review ${world.mr.webUrl}` }),
      ),
    );
    for (const { conversationId } of asked) {
      approvals.push(
        (await log.wait<ApprovalRequestedParams>(`requested:${conversationId}`)).params,
      );
    }
  }
  progress('approvals pending', approvals.length, count);
  return approvals;
}

async function respond(
  { client, log }: BenchServer,
  approval: ApprovalRequestedParams,
  decision: 'approve' | 'deny',
): Promise<Timing> {
  const start = performance.now();
  const answered = client
    .request('tandem/approval/respond', { approvalId: approval.approvalId, decision })
    .then(() => performance.now());
  const resolved = await log.wait(`resolved:${approval.approvalId}`);
  return { roundTrip: resolved.at - start, answer: (await answered) - start };
}

/** Waits for the approved flow's session to finish and the model's confirmation; false if refused. */
async function settleApproved({ log }: BenchServer, approval: ApprovalRequestedParams) {
  const resolved = await log.wait<ApprovalResolvedParams>(`resolved:${approval.approvalId}`);
  if (resolved.params.decision !== 'approve') return false;
  const widget = await log.wait<ChatUpdateParams>(`widget:${approval.conversationId}`);
  await log.wait(`final:${widget.params.widget!.sessionId}`, 60_000);
  await log.wait(`confirmed:${approval.conversationId}`);
  return true;
}
