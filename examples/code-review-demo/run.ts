// The Code Review part of `npm run demo`: the real server (dist/tandem.js lsp --stdio), driven the way an editor drives
// it, against a GitLab stand-in seeded with this folder's project and a recorded model. Nothing
// leaves 127.0.0.1.
import type {
  ApprovalRequestedParams,
  ApprovalResolvedParams,
  ChatUpdateParams,
  SessionSnapshot,
  TelemetrySummaryResult,
} from '../../server/protocol';
import { assistantSays, bold, chat, dim, say, showStatusChanges } from '../demo-output';
import { ProtocolClient } from '../../test/support/protocol-client';
import { DEFAULT_ANSWERS, playRecordedModel } from '../../test/support/recorded-model';
import { FAST_SETTINGS, startReviewWorld } from '../../test/support/review-world';
import { tempDir } from '../../test/support/temp-dir';

/** Chat → approval → Code Review → the review on the merge request. */
export async function codeReviewDemo(): Promise<void> {
  const world = await startReviewWorld();
  playRecordedModel(world.model, world.base, world.head);
  const state = tempDir('tandem-demo-');
  const client = await ProtocolClient.start({ env: world.env(state.dir), settings: FAST_SETTINGS });
  try {
    say(bold('tandem demo: chat → Code Review flow → review posted on the merge request'));
    say(dim(`recorded model at ${world.model.baseUrl}, GitLab stand-in at ${world.gitlab.url}`));
    say(dim(`server: dist/tandem.js lsp --stdio, state in ${state.dir}`));
    say();
    showStatusChanges(client);
    const conversationId = await chat(client, `review ${world.mr.webUrl}`);
    const approval = await client.waitFor<ApprovalRequestedParams>('tandem/approval/requested');
    say(`  ┌ ${bold('approval requested')}: ${approval.title}`);
    say(`  │ flow: ${approval.flow?.name}   reference: ${approval.reference?.label}`);
    say(`  │ ${approval.reference?.url}`);
    say(`  └ ${approval.details ?? ''}`);
    say(`${bold('you')} › [Approve]`);
    await client.request('tandem/approval/respond', {
      approvalId: approval.approvalId,
      decision: 'approve',
    });
    const resolved = await client.waitFor<ApprovalResolvedParams>('tandem/approval/resolved');
    say(
      dim(
        `  approval resolved: ${resolved.decision}${resolved.reason ? ` (${resolved.reason})` : ''}`,
      ),
    );
    const widget = await client.waitFor<ChatUpdateParams>('tandem/chat/update', (p) => !!p.widget);
    say(`  [session widget ${widget.widget!.sessionId.slice(0, 8)} in the chat]`);
    await assistantSays(client, (p) => p.text === DEFAULT_ANSWERS.confirmation);

    await chat(client, 'while that runs: why is string-built SQL risky?', conversationId);
    const done = await client.waitFor<SessionSnapshot>(
      'tandem/session/status',
      (s) => s.sessionId === widget.widget!.sessionId && ['completed', 'failed'].includes(s.status),
      60_000,
    );
    await new Promise((resolve) => setImmediate(resolve));
    say();
    say(bold(`Session ${done.status}: ${done.result?.summary ?? done.error}`));
    for (const link of done.result?.links ?? []) say(`  ${link.label}: ${link.url}`);
    showReview(world);
    await client.notify('tandem/session/opened', { sessionId: done.sessionId, source: 'widget' });
    const summary = await client.request<TelemetrySummaryResult>('tandem/telemetry/summary', {});
    say();
    say(bold('Local telemetry (tandem/telemetry/summary)'));
    say(`  approval rate: ${JSON.stringify(summary.approvalRate)}`);
    say(`  trigger source: ${JSON.stringify(summary.triggerSource)}`);
    say(`  widget click-through: ${JSON.stringify(summary.widgetClickThrough)}`);
    say(`  tokens: ${JSON.stringify(summary.tokens)}`);
  } finally {
    await client.stop();
    await world.stop();
    state.cleanup();
  }
}

function showReview(world: Awaited<ReturnType<typeof startReviewWorld>>): void {
  say();
  say(bold(`Posted on ${world.project}!${world.mr.iid} (read back from the GitLab stand-in):`));
  for (const d of world.gitlab.discussions()) {
    const p = d.position;
    const where = p
      ? `${p.newPath}:${p.newLine ?? p.oldLine} (${p.line.type} line)`
      : '(no position)';
    say(`  • ${where}`);
    say(`    ${d.body}`);
  }
  for (const note of world.gitlab.notes()) {
    say();
    say(bold('Summary note:'));
    for (const line of note.body.split('\n')) say(`  │ ${line}`);
  }
}
