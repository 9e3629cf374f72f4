// The Fix Pipeline part of `npm run demo`, in local mode: no GitLab at all. The real server
// works on a git repository made from ./project, whose `test` CI job fails for a code reason.
// The chat recommends Fix Pipeline on that job; the person approves the flow and each command;
// the job runs in a dev container, the recorded model fixes the code, the job runs again, green,
// and the fix is left as a commit on the session's branch. Nothing leaves 127.0.0.1.
import { execFileSync } from 'node:child_process';
import type {
  ApprovalRequestedParams,
  ChatUpdateParams,
  SessionGetResult,
  SessionSnapshot,
} from '../../server/protocol';
import { DevContainerProvider } from '../../sandbox/devcontainer-sandbox';
import { gitRepo, sandboxConfig } from '../../test/support/docker-world';
import { fixer, KEY, PROJECT_DIR } from '../../test/support/fix-pipeline-world';
import { ProtocolClient } from '../../test/support/protocol-client';
import { chatResponder } from '../../test/support/recorded-model';
import { readTree } from '../../test/support/review-world';
import { ScriptedModel } from '../../test/support/scripted-model';
import { isFinished, sessionWhere } from '../../test/support/sessions';
import { tempDir } from '../../test/support/temp-dir';
import { assistantSays, bold, chat, dim, say, showStatusChanges } from '../demo-output';

/** Chat → approval → Fix Pipeline on a local CI job → the fix on a branch. */
export async function fixPipelineDemo(): Promise<void> {
  const problems = await new DevContainerProvider({
    rootDir: '/nonexistent',
    config: () => sandboxConfig(),
  }).check();
  if (problems.length > 0) {
    throw new Error(`Fix Pipeline runs its commands in a dev container: ${problems.join(' ')}`);
  }
  const model = await ScriptedModel.start({ apiKey: KEY });
  model.respond(fixer({ fix: true }));
  model.respond(chatResponder());
  const repo = gitRepo(readTree(PROJECT_DIR));
  const state = tempDir('tandem-demo-');
  const client = await ProtocolClient.start({
    // No GitLab: no token, no URL. The workspace is the example project's repository.
    env: { TANDEM_STATE_DIR: state.dir, OPENAI_BASE_URL: model.baseUrl, OPENAI_API_KEY: KEY },
    settings: { model: { retryBaseMs: 10 } },
    workspaceFolder: repo.dir,
  });
  try {
    say(bold('tandem demo: chat → Fix Pipeline on a local CI job → the fix on a branch'));
    say(dim(`recorded model at ${model.baseUrl}, no GitLab; workspace ${repo.dir}`));
    say(dim('the workspace’s .gitlab-ci.yml has a `test` job that fails (npm test)'));
    say();
    showStatusChanges(client);
    approveAndShow(client);
    const conversationId = await chat(client, 'Our CI is red. Please fix the test job.');
    const widget = await client.waitFor<ChatUpdateParams>('tandem/chat/update', (p) => !!p.widget);
    const sessionId = widget.widget!.sessionId;
    say(`  [session widget ${sessionId.slice(0, 8)} in the chat]`);
    await assistantSays(
      client,
      (p) => p.conversationId === conversationId && /flow is running/.test(p.text ?? ''),
    );
    const done: SessionSnapshot = await sessionWhere(client, sessionId, isFinished, 240_000);
    await new Promise((resolve) => setImmediate(resolve));
    say();
    say(bold(`Session ${done.status}: ${done.result?.summary ?? done.error}`));
    if (done.status !== 'completed') throw new Error(`the session ended ${done.status}`);
    const branch = `tandem/fix_pipeline-${sessionId.slice(0, 8)}`;
    say();
    say(bold(`git diff main...${branch} (in your repository; your working tree is untouched):`));
    const diff = execFileSync('git', ['-C', repo.dir, 'diff', `main...${branch}`], {
      encoding: 'utf8',
    });
    for (const line of diff.trimEnd().split('\n')) say(`  ${line}`);
    const details = await client.request<SessionGetResult>('tandem/session/get', { sessionId });
    showRun(details);
  } finally {
    await client.stop();
    await model.stop();
    repo.cleanup();
    state.cleanup();
  }
}

/** Plays the person at the keyboard: shows each approval card, then approves it. */
function approveAndShow(client: ProtocolClient): void {
  client.connection.onNotification('tandem/approval/requested', (p: ApprovalRequestedParams) => {
    if (p.kind === 'flow') {
      say(`  ┌ ${bold('approval requested')}: ${p.title}`);
      say(`  └ flow: ${p.flow?.name}   reference: ${p.reference?.label}`);
    } else {
      const lines = (p.command?.command ?? '').split('\n').length;
      say(`  ┌ ${bold('command approval')}: ${p.title}`);
      say(`  └ the exact command (${lines} lines) runs in ${p.command?.cwd}, in the container`);
    }
    say(`${bold('you')} › [Approve]`);
    void client.request('tandem/approval/respond', {
      approvalId: p.approvalId,
      decision: 'approve',
    });
  });
}

function showRun(details: SessionGetResult): void {
  say();
  say(bold('What happened (tandem/session/get):'));
  for (const step of details.steps) {
    const ms = step.endedAt ? Date.parse(step.endedAt) - Date.parse(step.startedAt) : 0;
    say(`  ${step.name.padEnd(16)} ${String(ms).padStart(6)} ms`);
  }
  for (const e of details.events.filter((e) => e.type === 'job_run')) say(dim(`  ${e.message}`));
  const m = details.metrics;
  say();
  say(bold('Metrics:'));
  say(`  wall ${m.durationMs} ms · sandbox exec ${m.sandboxExecMs} ms (jobs and tools' commands)`);
  say(
    `  model ${m.modelMs} ms · tools ${m.toolMs} ms (${m.toolCalls} calls) · waiting for approvals ${m.approvalWaitMs} ms`,
  );
  say(`  tokens in/out ${m.promptTokens}/${m.completionTokens}`);
}
