import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { ApprovalRequestedParams, SessionSnapshot } from '../../server/protocol';
import { gitRepo, requireDocker, snapshotTree } from '../support/docker-world';
import { fixer, KEY, PROJECT_DIR } from '../support/fix-pipeline-world';
import { ProtocolClient } from '../support/protocol-client';
import { readTree } from '../support/review-world';
import { ScriptedModel } from '../support/scripted-model';
import { isFinished, sessionWhere } from '../support/sessions';
import { tempDir } from '../support/temp-dir';

describe('local mode: Fix Pipeline on a CI job of the workspace, no GitLab (slow)', function () {
  this.timeout(300_000);
  let model: ScriptedModel;
  let state: ReturnType<typeof tempDir>;
  let repo: ReturnType<typeof gitRepo>;
  let client: ProtocolClient;

  before(async function () {
    await requireDocker(this);
    model = await ScriptedModel.start({ apiKey: KEY });
    model.respond(fixer({ fix: true }));
    state = tempDir('tandem-local-state-');
    repo = gitRepo(readTree(PROJECT_DIR));
    client = await ProtocolClient.start({
      // No GitLab at all: no token, no URL.
      env: { TANDEM_STATE_DIR: state.dir, OPENAI_BASE_URL: model.baseUrl, OPENAI_API_KEY: KEY },
      settings: { model: { retryBaseMs: 10 }, sandbox: { memory: '1g', pids: 256 } },
      workspaceFolder: repo.dir,
    });
    client.connection.onNotification('tandem/approval/requested', (p: ApprovalRequestedParams) => {
      void client.request('tandem/approval/respond', {
        approvalId: p.approvalId,
        decision: 'approve',
      });
    });
  });
  after(async () => {
    await client?.stop();
    await model?.stop();
    repo?.cleanup();
    state?.cleanup();
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
    const diff = execFileSync('git', ['-C', repo.dir, 'diff', `main...${branch}`], {
      encoding: 'utf8',
    });
    assert.match(diff, /\+\s+const pages = Math\.ceil\(items\.length \/ size\);/);
    assert.deepEqual(snapshotTree(repo.dir), before, 'the working tree is untouched');
    assert.equal(
      execFileSync('git', ['-C', repo.dir, 'branch', '--show-current'], {
        encoding: 'utf8',
      }).trim(),
      'main',
    );
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
