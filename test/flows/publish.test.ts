import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { pushBranch } from '../../sandbox/git';
import type { Sandbox } from '../../sandbox/sandbox';
import type { FlowContext } from '../../server/flows/flow';
import { noteOnce, publish } from '../../server/flows/publish';
import { GitLabForge } from '../../server/forge/gitlab-forge';
import { resolveSettings } from '../../server/settings';
import { GitClient } from '../support/git-client';
import { GitLabStandIn } from '../support/gitlab-stand-in';
import { tempDir } from '../support/temp-dir';

const TOKEN = 'glpat-publisher-0123456789';

describe('publishing a flow’s work: idempotent after a crash', function () {
  this.timeout(60_000);
  let gitlab: GitLabStandIn;
  let work: ReturnType<typeof tempDir>;
  let ctx: FlowContext;
  let sandbox: Sandbox;
  const events: string[] = [];

  beforeEach(async () => {
    gitlab = await GitLabStandIn.start();
    gitlab.addUser({ username: 'dev', token: TOKEN });
    gitlab.addProject({ path: 'group/app', files: { 'a.txt': 'one\n' }, defaultBranch: 'main' });
    gitlab.addMember({ path: 'group/app', username: 'dev', level: 30 });
    work = tempDir('tandem-publish-');
    const git = new GitClient(path.join(work.dir, 'home'));
    const worktree = path.join(work.dir, 'worktree');
    await git.ok(work.dir, [
      '-c',
      `http.extraHeader=PRIVATE-TOKEN: ${TOKEN}`,
      'clone',
      '-q',
      gitlab.gitUrl('group/app'),
      worktree,
    ]);
    await git.ok(worktree, ['checkout', '-q', '-b', 'tandem/fix_pipeline-abcd1234']);
    fs.writeFileSync(path.join(worktree, 'a.txt'), 'two\n');
    sandbox = {
      worktree,
      branch: 'tandem/fix_pipeline-abcd1234',
      workspaceFolder: '/workspaces/app',
    } as Sandbox;
    const config = resolveSettings({ gitlab: { url: gitlab.url, token: TOKEN } }, {}).config;
    events.length = 0;
    ctx = {
      reference: { kind: 'pipeline', projectPath: 'group/app', id: 1, url: '', label: '' },
      forge: new GitLabForge({ url: gitlab.url, token: TOKEN }),
      config,
      signal: new AbortController().signal,
      event: (_type: string, message: string) => events.push(message),
    } as unknown as FlowContext;
  });
  afterEach(async () => {
    await gitlab.stop();
    work.cleanup();
  });

  const input = () => ({
    sandbox,
    targetBranch: 'main',
    commitMessage: 'Change a',
    title: 'Change a',
    description: 'Changes a.',
  });

  it('opens one merge request, and a re-run of the step opens no second one', async () => {
    const first = await publish(ctx, input());
    const again = await publish(ctx, input());
    assert.equal(first.created, true);
    assert.equal(again.created, false);
    assert.equal(again.mergeRequest.iid, first.mergeRequest.iid);
    assert.equal(gitlab.createdMergeRequests().length, 1);
    assert.equal(gitlab.pushes.length, 1, 'the second run pushed nothing');
    assert.ok(
      events.includes(
        `Merge request !${first.mergeRequest.iid} is already open for ${sandbox.branch}`,
      ),
    );
  });

  it('after a crash between push and merge request, pushes nothing again and opens exactly one', async () => {
    await new GitClient(path.join(work.dir, 'home')).ok(sandbox.worktree, [
      '-c',
      'user.name=t',
      '-c',
      'user.email=t@e',
      'commit',
      '-qam',
      'Change a',
    ]);
    await pushBranch({
      worktree: sandbox.worktree,
      remoteUrl: gitlab.gitUrl('group/app'),
      token: TOKEN,
      branch: sandbox.branch,
    });
    const published = await publish(ctx, input());
    assert.equal(published.created, true);
    assert.equal(gitlab.pushes.length, 1);
    assert.equal(gitlab.createdMergeRequests().length, 1);
  });

  it('never pushes to the target branch itself', async () => {
    await assert.rejects(
      publish(ctx, { ...input(), targetBranch: sandbox.branch }),
      /flows push only to their own branch/,
    );
    assert.equal(gitlab.pushes.length, 0);
  });

  it('comments on a merge request once, however often the step runs', async () => {
    const mr = gitlab.addMergeRequest({
      project: 'group/app',
      iid: 4,
      title: 'Feature',
      author: 'dev',
      sourceBranch: 'feature',
      base: { 'a.txt': 'one\n' },
      head: { 'a.txt': 'one\nmore\n' },
    });
    const note = {
      body: 'Fixed in http://x/group/app/-/merge_requests/9.',
      marker: '/merge_requests/9',
    };
    await noteOnce(ctx, mr, note);
    await noteOnce(ctx, mr, note);
    const posted = gitlab.notes({ noteable: 'merge_request' }).filter((n) => n.iid === 4);
    assert.deepEqual(
      posted.map((n) => n.body),
      [note.body],
    );
  });
});
