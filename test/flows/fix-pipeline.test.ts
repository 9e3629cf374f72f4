import * as assert from 'node:assert/strict';
import type {
  ApprovalRequestedParams,
  SessionGetResult,
  SessionSnapshot,
} from '../../server/protocol';
import { docker, requireDocker } from '../support/docker-world';
import {
  fixer,
  type FixPipelineWorld,
  PROJECT_DIR,
  startFixPipelineWorld,
} from '../support/fix-pipeline-world';
import type { GitLabStandIn } from '../support/gitlab-stand-in';
import type { ProtocolClient } from '../support/protocol-client';
import { readTree } from '../support/review-world';
import type { ScriptedModel } from '../support/scripted-model';
import { isFinished, sessionWhere } from '../support/sessions';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Fix Pipeline end to end: GitLab stand-in, real git over HTTP, real Docker (slow)', function () {
  this.timeout(300_000);
  let world: FixPipelineWorld;
  let gitlab: GitLabStandIn;
  let model: ScriptedModel;
  let client: ProtocolClient;
  let pipelineId: number;

  beforeEach(async function () {
    await requireDocker(this);
    world = await startFixPipelineWorld();
    ({ gitlab, model, client, pipelineId } = world);
  });
  afterEach(async () => {
    await world?.stop();
  });

  /** Approves every command approval the server asks, recording them. */
  function approveCommands(): ApprovalRequestedParams[] {
    const seen: ApprovalRequestedParams[] = [];
    client.connection.onNotification('tandem/approval/requested', (p: ApprovalRequestedParams) => {
      if (p.kind !== 'command') return;
      seen.push(p);
      void client.request('tandem/approval/respond', {
        approvalId: p.approvalId,
        decision: 'approve',
      });
    });
    return seen;
  }

  /** Starts Fix Pipeline (on the world's failed pipeline unless told) and waits for its end. */
  async function start(
    reference = `${gitlab.url}/group/app/-/pipelines/${pipelineId}`,
  ): Promise<SessionSnapshot> {
    const { sessionId } = await client.request<{ sessionId: string }>('tandem/flow/start', {
      flow: 'fix_pipeline',
      reference,
      trigger: 'ui',
    });
    return sessionWhere(client, sessionId, isFinished, 240_000);
  }

  it('reproduces the failing job, fixes it, re-runs it green, pushes and opens exactly one merge request', async () => {
    model.respond(fixer({ fix: true }));
    const approvals = approveCommands();
    const done = await start();
    assert.equal(done.status, 'completed', done.error);

    const [mr] = gitlab.createdMergeRequests({ project: 'group/app' });
    assert.equal(gitlab.createdMergeRequests({ project: 'group/app' }).length, 1);
    assert.match(mr.sourceBranch, /^tandem\/fix_pipeline-/);
    assert.equal(mr.targetBranch, 'main');
    assert.equal(mr.title, 'Count the last partial page');
    const head = gitlab.branchHead('group/app', mr.sourceBranch) as string;
    const diff = gitlab.commitDiff('group/app', head);
    assert.match(diff, /-\s+const pages = Math\.floor\(items\.length \/ size\);/);
    assert.match(diff, /\+\s+const pages = Math\.ceil\(items\.length \/ size\);/);
    assert.deepEqual(mr.changedPaths, ['src/paginate.js']);

    const details = await client.request<SessionGetResult>('tandem/session/get', {
      sessionId: done.sessionId,
    });
    const runs = details.events
      .filter((e) => e.type === 'job_run')
      .map((e) => (e.data as { exitCode: number }).exitCode);
    assert.deepEqual(
      runs.map((code) => code === 0),
      [false, true],
      'red in the sandbox, then green',
    );
    const authorizations = details.events.filter((e) => e.type === 'command_authorization');
    assert.equal(
      authorizations.length,
      approvals.length,
      'every command was approved by the person',
    );
    assert.ok(approvals.length >= 2);
    // The card says what runs in words; the exact command stays on it, verbatim.
    assert.equal(
      approvals[0].title,
      'Run CI job "test" in the sandbox (node --version; npm test)?',
    );
    assert.match(approvals[0].command?.command ?? '', /^sh -c '#!\/bin\/sh\n[\s\S]*\nnpm test\n/);
    const m = details.metrics;
    assert.ok(
      m.modelMs! > 0 &&
        m.toolMs! > 0 &&
        m.sandboxExecMs! > 0 &&
        m.approvalWaitMs! > 0 &&
        m.toolCalls! >= 1,
    );
    assert.ok(m.modelMs! + m.toolMs! + m.approvalWaitMs! <= m.durationMs!, JSON.stringify(m));
    assert.deepEqual(
      done.result?.links.map((l) => l.label.split(' ')[0]),
      ['Merge', 'Pipeline', 'Branch'],
    );
  });

  it('lets a denied command’s feedback change what the model does next', async () => {
    const feedback = 'Not npm: run node --test test/ directly.';
    model.respond((request) => {
      if (!JSON.stringify(request.body.tools ?? []).includes('report_fix')) return undefined;
      const results = request.body.messages
        .filter((m) => m.role === 'tool')
        .map((m) => String(m.content));
      if (results.length === 0)
        return { toolCalls: [{ name: 'run_command', arguments: { command: 'npm test' } }] };
      if (results.length === 1 && results[0].includes(feedback)) {
        return {
          toolCalls: [{ name: 'run_command', arguments: { command: 'node --test test/' } }],
        };
      }
      return undefined;
    });
    model.respond(fixer({ fix: true }));
    const asked: ApprovalRequestedParams[] = [];
    client.connection.onNotification('tandem/approval/requested', (p: ApprovalRequestedParams) => {
      if (p.kind !== 'command') return;
      asked.push(p);
      const deny = p.command?.command === 'npm test';
      void client.request('tandem/approval/respond', {
        approvalId: p.approvalId,
        decision: deny ? 'deny' : 'approve',
        ...(deny ? { feedback } : {}),
      });
    });
    const done = await start();
    assert.equal(done.status, 'completed', done.error);
    const commands = asked.map((a) => a.command?.command);
    assert.ok(
      commands.includes('npm test') && commands.includes('node --test test/'),
      commands.join(' | '),
    );
    assert.ok(commands.indexOf('node --test test/') > commands.indexOf('npm test'));
    const details = await client.request<SessionGetResult>('tandem/session/get', {
      sessionId: done.sessionId,
    });
    assert.ok(
      details.events.some(
        (e) => e.type === 'command_authorization' && e.message === 'Refused: npm test',
      ),
    );
  });

  it('fails readably when a trace cannot be fetched, and removes the sandbox it started meanwhile', async () => {
    model.respond(fixer({ fix: true }));
    approveCommands();
    const containers = () =>
      docker.listContainers({ all: true, filters: { label: ['org.tandem.session'] } });
    const before = new Set((await containers()).map((c) => c.Id));
    const mine = async () => (await containers()).filter((c) => !before.has(c.Id));
    // The sandbox starts as soon as the pipeline's commit is known, while traces download: the
    // trace fails only once the session's container is up.
    const containerUp = (async () => {
      for (let i = 0; i < 600 && (await mine()).length === 0; i++) await sleep(50);
    })();
    gitlab.failNext({
      path: /\/jobs\/\d+\/trace$/,
      status: 404,
      message: '404 Not found',
      after: containerUp,
    });
    const done = await start();
    assert.equal(done.status, 'failed');
    assert.match(done.error ?? '', /not found|404/i);
    for (let i = 0; i < 200 && (await mine()).length > 0; i++) await sleep(50);
    assert.deepEqual(await mine(), [], 'the sandbox started meanwhile is removed');
    assert.equal(gitlab.pushes.length, 0);
    const list = await client.request<{ sessions: SessionSnapshot[] }>('tandem/session/list', {});
    assert.ok(
      list.sessions.some((s) => s.sessionId === done.sessionId),
      'the server keeps serving',
    );
  });

  it('for a merge request’s pipeline: a fix into the MR’s source branch, and a note on the MR', async () => {
    model.respond(fixer({ fix: true }));
    approveCommands();
    const files = readTree(PROJECT_DIR);
    // The merge request (opened after the workspace was cloned) still has the bug at its head.
    const mr = gitlab.addMergeRequest({
      project: 'group/app',
      iid: 3,
      title: 'Document paginate',
      author: 'dev',
      sourceBranch: 'feature/docs',
      targetBranch: 'main',
      base: files,
      head: { ...files, 'README.md': `${files['README.md'] ?? ''}\nPages start at 1.\n` },
    });
    const pipeline = gitlab.addPipeline({
      project: 'group/app',
      ref: 'refs/merge-requests/3/head',
      sha: mr.headSha,
      source: 'merge_request_event',
      jobs: [{ name: 'test', stage: 'test', status: 'failed', trace: 'not ok 2\n# fail 2' }],
    });
    const done = await start(pipeline.webUrl);
    assert.equal(done.status, 'completed', done.error);

    const [fix] = gitlab.createdMergeRequests({ project: 'group/app' });
    assert.equal(gitlab.createdMergeRequests({ project: 'group/app' }).length, 1);
    assert.equal(fix.targetBranch, 'feature/docs', 'into the merge request’s source branch');
    assert.match(fix.sourceBranch, /^tandem\/fix_pipeline-/);
    const head = gitlab.branchHead('group/app', fix.sourceBranch) as string;
    assert.match(gitlab.commitDiff('group/app', head), /\+\s+const pages = Math\.ceil/);
    const onOriginal = () =>
      gitlab
        .notes({ noteable: 'merge_request' })
        .filter((n) => n.iid === 3 && n.body.includes(fix.webUrl));
    assert.equal(onOriginal().length, 1);
    assert.match(
      onOriginal()[0].body,
      /Pipeline #\d+ failed; tandem opened .* with a fix into `feature\/docs`/,
    );
    assert.equal(
      gitlab.branchHead('group/app', 'feature/docs'),
      mr.headSha,
      'its branch is untouched',
    );
  });

  it('says so, changing nothing, when the failed job passes in the sandbox (runner trouble)', async () => {
    const files = readTree(PROJECT_DIR);
    files['src/paginate.js'] = files['src/paginate.js'].replace('Math.floor(', 'Math.ceil(');
    gitlab.addBranch({ project: 'group/app', name: 'release', files });
    const pipeline = gitlab.addPipeline({
      project: 'group/app',
      ref: 'release',
      jobs: [
        {
          name: 'test',
          stage: 'test',
          status: 'failed',
          trace: 'ERROR: Job failed (system failure): no space left on device',
        },
      ],
    });
    approveCommands();
    const done = await start(pipeline.webUrl);
    assert.equal(done.status, 'completed', done.error);
    assert.match(
      done.result?.summary ?? '',
      /The failed jobs \(test\) pass in the sandbox at [0-9a-f]{8}: the failure does not come from the code .* Retry the pipeline; nothing was changed\./,
    );
    assert.equal(model.requests.length, 0, 'no model call was needed');
    assert.equal(gitlab.pushes.length, 0);
    assert.equal(gitlab.createdMergeRequests().length, 0);
  });

  it('ends with the agent’s explanation and no merge request when the failure is not in the code', async () => {
    model.respond((request) => {
      if (!JSON.stringify(request.body.tools ?? []).includes('report_fix')) return undefined;
      return {
        toolCalls: [
          {
            name: 'report_fix',
            arguments: {
              fixable: false,
              explanation: 'The test needs a database service the CI job does not start.',
            },
          },
        ],
      };
    });
    approveCommands();
    const done = await start();
    assert.equal(done.status, 'completed', done.error);
    assert.equal(
      done.result?.summary,
      'Not fixable in the code: The test needs a database service the CI job does not start.',
    );
    assert.equal(gitlab.pushes.length, 0);
    assert.equal(gitlab.createdMergeRequests().length, 0);
  });

  it('ends failed with the last job output, and opens no merge request, when the fix does not work', async () => {
    model.respond(fixer({ fix: false }));
    approveCommands();
    const done = await start();
    assert.equal(done.status, 'failed');
    assert.match(
      done.error ?? '',
      /did not make job "test" pass after 3 attempts; no merge request was opened\. Last output:/,
    );
    assert.match(done.error ?? '', /# fail \d/);
    assert.equal(gitlab.createdMergeRequests().length, 0);
    assert.equal(gitlab.pushes.length, 0);
  });
});
