import type { SessionSnapshot, Trigger } from '../../server/protocol';
import type { ProtocolClient } from './protocol-client';

/** Starts a Code Review through `tandem/flow/start`; answers the session id. */
export async function startReview(
  client: ProtocolClient,
  reference = 'group/app!7',
  trigger: Trigger = 'ui',
): Promise<string> {
  const { sessionId } = await client.request<{ sessionId: string }>('tandem/flow/start', {
    flow: 'code_review',
    reference,
    trigger,
  });
  return sessionId;
}

/** The first status snapshot of the session that matches. */
export function sessionWhere(
  client: ProtocolClient,
  sessionId: string,
  predicate: (snapshot: SessionSnapshot) => boolean,
  timeoutMs?: number,
): Promise<SessionSnapshot> {
  return client.waitFor<SessionSnapshot>(
    'tandem/session/status',
    (s) => s.sessionId === sessionId && predicate(s),
    timeoutMs,
  );
}

export const isFinished = (s: SessionSnapshot) =>
  ['completed', 'failed', 'cancelled'].includes(s.status);

/** Starts a review whose model never answers, and waits until it sits in the review step. */
export async function startStuckReview(client: ProtocolClient): Promise<string> {
  const sessionId = await startReview(client);
  await sessionWhere(client, sessionId, (s) => s.step === 'review');
  return sessionId;
}
