import type {
  ApprovalRequestedParams,
  ApprovalResolvedParams,
  ChatUpdateParams,
  SessionSnapshot,
} from '../server/protocol';
import { ProtocolClient } from '../test/support/protocol-client';
import { DEFAULT_ANSWERS, playRecordedModel } from '../test/support/recorded-model';
import { FAST_SETTINGS, type ReviewWorld, startReviewWorld } from '../test/support/review-world';
import { tempDir } from '../test/support/temp-dir';
import { ArrivalLog, type Keyer } from './arrival-log';
import type { Scope } from './scope';

export const FINAL_STATUSES: ReadonlySet<string> = new Set([
  'completed',
  'failed',
  'cancelled',
  'interrupted',
]);

export interface BenchServer {
  world: ReviewWorld;
  client: ProtocolClient;
  log: ArrivalLog;
  pid: number;
}

/**
 * A fresh GitLab stand-in and recorded model, and the real built server on a fresh state
 * directory, all stopped and removed when the scope closes.
 */
export async function startBenchServer(scope: Scope, settings: object = {}): Promise<BenchServer> {
  const world = await startReviewWorld();
  scope.defer(() => world.stop());
  playRecordedModel(world.model, world.base, world.head);
  const tmp = tempDir('tandem-bench-');
  scope.defer(() => tmp.cleanup());
  const client = await ProtocolClient.start({
    env: world.env(tmp.dir),
    settings: { ...FAST_SETTINGS, ...settings },
    skipInitialize: true,
  });
  scope.defer(() => client.stop());
  const log = new ArrivalLog(client.connection, KEYERS);
  await client.initialize();
  return { world, client, log, pid: client.process.pid as number };
}

/** The arrivals the bench waits for, by notification. */
const KEYERS: Record<string, Keyer> = {
  'tandem/chat/update': (p: ChatUpdateParams) => chatKeys(p),
  'tandem/approval/requested': (p: ApprovalRequestedParams) => [`requested:${p.conversationId}`],
  'tandem/approval/resolved': (p: ApprovalResolvedParams) => [`resolved:${p.approvalId}`],
  'tandem/session/status': (p: SessionSnapshot) =>
    FINAL_STATUSES.has(p.status) ? [`final:${p.sessionId}`] : [],
};

function chatKeys(p: ChatUpdateParams): string[] {
  if (p.role !== 'assistant') return [];
  const keys = [`first:${p.turnId}`];
  if (p.widget) keys.push(`widget:${p.conversationId}`);
  else if (p.done) keys.push(`done:${p.turnId}`);
  if (p.done && p.text === DEFAULT_ANSWERS.afterDenial) keys.push(`denied:${p.conversationId}`);
  if (p.done && p.text === DEFAULT_ANSWERS.confirmation) keys.push(`confirmed:${p.conversationId}`);
  return keys;
}
