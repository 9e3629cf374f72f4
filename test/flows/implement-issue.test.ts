import * as assert from 'node:assert/strict';
import type { ApprovalRequestedParams, SessionGetResult } from '../../server/protocol';
import { requireDocker } from '../support/docker-world';
import {
  type ExampleWorld,
  GUARD,
  implementer,
  PROJECT_DIR,
  startExampleWorld,
} from '../support/fix-pipeline-world';
import type { GitLabStandIn } from '../support/gitlab-stand-in';
import type { ProtocolClient } from '../support/protocol-client';
import { readTree } from '../support/review-world';
import { isFinished, sessionWhere } from '../support/sessions';
describe('Implement Issue end to end: GitLab stand-in, real git over HTTP, real Docker (slow)', function () {
  this.timeout(300_000);
  let world: ExampleWorld;
  let gitlab: GitLabStandIn;
  let client: ProtocolClient;

  before(async function () {
    await requireDocker(this);
    const files = readTree(PROJECT_DIR);
    files['src/paginate.js'] = files['src/paginate.js'].replace('Math.floor(', 'Math.ceil(');
    world = await startExampleWorld(files, (stand) =>
      stand.addIssue({
        project: 'group/app',
        iid: 1,
        title: 'paginate accepts page 0',
        description:
          'paginate(items, 0, 2) returns a nonsense page. Page numbers start at 1; reject anything below.',
        author: 'dev',
      }),
    );
    ({ gitlab, client } = world);
    world.model.respond(implementer);
  });
  after(async () => {
    await world?.stop();
  });

  it('plans, implements, runs the project’s tests, pushes and opens one merge request closing the issue', async () => {
    const approved: string[] = [];
    client.connection.onNotification('tandem/approval/requested', (p: ApprovalRequestedParams) => {
      if (p.kind !== 'command') return;
      approved.push(p.command?.command ?? '');
      void client.request('tandem/approval/respond', {
        approvalId: p.approvalId,
        decision: 'approve',
      });
    });
    const { sessionId } = await client.request<{ sessionId: string }>('tandem/flow/start', {
      flow: 'implement_issue',
      reference: 'group/app#1',
      trigger: 'ui',
    });
    const done = await sessionWhere(client, sessionId, isFinished, 240_000);
    assert.equal(done.status, 'completed', done.error);
    assert.deepEqual(approved, ['npm test'], 'the tests ran, after approval');

    const mrs = gitlab.createdMergeRequests({ project: 'group/app' });
    assert.equal(mrs.length, 1);
    assert.equal(mrs[0].title, 'Reject page numbers below 1');
    assert.match(mrs[0].description, /Closes #1/);
    assert.equal(mrs[0].targetBranch, 'main');
    const diff = gitlab.commitDiff(
      'group/app',
      gitlab.branchHead('group/app', mrs[0].sourceBranch) as string,
    );
    assert.ok(diff.includes(`+${GUARD.trimEnd()}`), diff);

    const details = await client.request<SessionGetResult>('tandem/session/get', { sessionId });
    const plan = details.events.find((e) => e.type === 'plan');
    assert.match(
      plan?.message ?? '',
      /^1\. Reject page numbers below 1 in paginate\(\)\n2\. Test it$/,
    );
    const tests = details.events.find((e) => e.type === 'tests');
    assert.equal((tests?.data as { exitCode: number }).exitCode, 0);
    assert.deepEqual(
      details.steps.map((s) => s.name),
      ['fetch_issue', 'prepare_sandbox', 'plan', 'implement', 'test', 'publish'],
    );
  });
});
