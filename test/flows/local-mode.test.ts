import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type {
  ApprovalRequestedParams,
  ChatUpdateParams,
  SessionGetResult,
  SessionSnapshot,
} from '../../server/protocol';
import { gitRepo, requireDocker, snapshotTree } from '../support/docker-world';
import { fixer, GUARD, implementer, KEY, PROJECT_DIR } from '../support/fix-pipeline-world';
import { ProtocolClient } from '../support/protocol-client';
import { chatResponder } from '../support/recorded-model';
import { readTree } from '../support/review-world';
import { type Reply, ScriptedModel, type ScriptedRequest } from '../support/scripted-model';
import { isFinished, sessionWhere } from '../support/sessions';
import { tempDir } from '../support/temp-dir';

/** A git repository as the workspace and the server on it with the scripted model: no GitLab. */
interface LocalWorld {
  repo: ReturnType<typeof gitRepo>;
  client: ProtocolClient;
  /** Every approval the server asked for; all are approved. */
  approvals: ApprovalRequestedParams[];
  stop(): Promise<void>;
}

async function startLocalWorld(
  files: Record<string, string>,
  script: (request: ScriptedRequest) => Reply | undefined,
): Promise<LocalWorld> {
  const model = await ScriptedModel.start({ apiKey: KEY });
  model.respond(script);
  model.respond(chatResponder());
  const state = tempDir('tandem-local-state-');
  const repo = gitRepo(files);
  const client = await ProtocolClient.start({
    // No GitLab at all: no token, no URL.
    env: { TANDEM_STATE_DIR: state.dir, OPENAI_BASE_URL: model.baseUrl, OPENAI_API_KEY: KEY },
    settings: { model: { retryBaseMs: 10 }, sandbox: { memory: '1g', pids: 256 } },
    workspaceFolder: repo.dir,
  });
  const approvals: ApprovalRequestedParams[] = [];
  client.connection.onNotification('tandem/approval/requested', (p: ApprovalRequestedParams) => {
    approvals.push(p);
    void client.request('tandem/approval/respond', {
      approvalId: p.approvalId,
      decision: 'approve',
    });
  });
  return {
    repo,
    client,
    approvals,
    stop: async () => {
      await client.stop();
      await model.stop();
      repo.cleanup();
      state.cleanup();
    },
  };
}

const git = (dir: string, args: string[]) =>
  execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' });

describe('local mode: Fix Pipeline on a CI job of the workspace, no GitLab (slow)', function () {
  this.timeout(300_000);
  let local: LocalWorld;
  let repo: LocalWorld['repo'];
  let client: LocalWorld['client'];

  before(async function () {
    await requireDocker(this);
    local = await startLocalWorld(readTree(PROJECT_DIR), fixer({ fix: true }));
    ({ repo, client } = local);
  });
  after(async () => {
    await local?.stop();
  });

  it('runs the failing job, fixes it, and leaves the fix on the session branch; nothing else changes', async () => {
    const before = snapshotTree(repo.dir);
    const { sessionId } = await client.request<{ sessionId: string }>('tandem/flow/start', {
      flow: 'fix_pipeline',
      reference: 'test',
      trigger: 'cli',
    });
    const done: SessionSnapshot = await sessionWhere(client, sessionId, isFinished, 240_000);
    assert.equal(done.status, 'completed', done.error);
    assert.equal(done.reference.label, 'local job test');
    const branch = `tandem/fix_pipeline-${sessionId.slice(0, 8)}`;
    assert.match(
      done.result?.summary ?? '',
      new RegExp(`on branch ${branch} of your repository; nothing was pushed`),
    );
    const diff = git(repo.dir, ['diff', `main...${branch}`]);
    assert.match(diff, /\+\s+const pages = Math\.ceil\(items\.length \/ size\);/);
    assert.deepEqual(snapshotTree(repo.dir), before, 'the working tree is untouched');
    assert.equal(git(repo.dir, ['branch', '--show-current']).trim(), 'main');
  });

  it('starts from the chat too: the card names the local job, and approving runs the fix', async () => {
    const sent = await client.request<{ conversationId: string }>('tandem/chat/send', {
      text: 'The test job fails on my machine, please fix the test job',
    });
    const widget = await client.waitFor<ChatUpdateParams>('tandem/chat/update', (p) => !!p.widget);
    const card = local.approvals.find((a) => a.kind === 'flow');
    assert.equal(card?.flow?.id, 'fix_pipeline');
    assert.equal(card?.reference?.label, 'local job test');
    await client.waitFor<ChatUpdateParams>(
      'tandem/chat/update',
      (p) =>
        p.conversationId === sent.conversationId &&
        p.role === 'assistant' &&
        p.done &&
        /^Done: the Fix Pipeline flow is running/.test(p.text ?? ''),
    );
    const sessionId = widget.widget?.sessionId as string;
    const done = await sessionWhere(client, sessionId, isFinished, 240_000);
    assert.equal(done.status, 'completed', done.error);
    assert.equal(done.trigger, 'chat');
  });

  it('refuses a job that the workspace’s CI configuration does not have, clearly', async () => {
    await assert.rejects(
      client.request('tandem/flow/start', {
        flow: 'fix_pipeline',
        reference: 'deploy',
        trigger: 'cli',
      }),
      /GitLab token|tandem\.gitlab\.token|GITLAB_TOKEN/,
    );
  });
});

describe('local mode: Implement Issue on a task in words, no GitLab (slow)', function () {
  this.timeout(300_000);
  let local: LocalWorld;

  before(async function () {
    await requireDocker(this);
    const files = readTree(PROJECT_DIR);
    files['src/paginate.js'] = files['src/paginate.js'].replace('Math.floor(', 'Math.ceil(');
    local = await startLocalWorld(files, implementer);
  });
  after(async () => {
    await local?.stop();
  });

  it('plans, implements, runs the tests, and leaves the change on the session branch', async () => {
    const { repo, client } = local;
    const before = snapshotTree(repo.dir);
    const task = 'Reject page numbers below 1 in paginate(): page numbers start at 1.';
    const { sessionId } = await client.request<{ sessionId: string }>('tandem/flow/start', {
      flow: 'implement_issue',
      reference: task,
      trigger: 'cli',
    });
    const done: SessionSnapshot = await sessionWhere(client, sessionId, isFinished, 240_000);
    assert.equal(done.status, 'completed', done.error);
    assert.match(done.reference.label, /^local task "Reject page numbers below 1/);
    const branch = `tandem/implement_issue-${sessionId.slice(0, 8)}`;
    assert.match(done.result?.summary ?? '', new RegExp(`on branch ${branch} of your repository`));
    assert.ok(git(repo.dir, ['diff', `main...${branch}`]).includes(`+${GUARD.trimEnd()}`));
    assert.equal(
      git(repo.dir, ['log', '-1', '--format=%s', branch]).trim(),
      'Reject page numbers below 1',
    );

    const details = await client.request<SessionGetResult>('tandem/session/get', { sessionId });
    assert.deepEqual(
      details.steps.map((s) => s.name),
      ['prepare_sandbox', 'plan', 'implement', 'test', 'commit'],
    );
    const tests = details.events.find((e) => e.type === 'tests');
    assert.equal((tests?.data as { exitCode: number }).exitCode, 0, 'the tests ran and passed');
    assert.deepEqual(snapshotTree(repo.dir), before, 'the working tree is untouched');
    assert.equal(git(repo.dir, ['branch', '--show-current']).trim(), 'main');
  });

  it('does not take a one-word reference for a task', async () => {
    await assert.rejects(
      local.client.request('tandem/flow/start', {
        flow: 'implement_issue',
        reference: 'paginate',
        trigger: 'cli',
      }),
      /GitLab token|tandem\.gitlab\.token|GITLAB_TOKEN/,
    );
  });
});
