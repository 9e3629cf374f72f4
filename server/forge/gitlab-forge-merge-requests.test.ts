import assert from 'node:assert/strict';
import * as path from 'node:path';
import { GitClient, withCredentials } from '../../test/support/git-client';
import { GitLabStandIn } from '../../test/support/gitlab-stand-in';
import { tempDir } from '../../test/support/temp-dir';
import type { Logger } from '../logger';
import { AccessLevel, ForgeError } from './forge';
import { GitLabForge } from './gitlab-forge';

const TOKENS = { dev: 'glpat-dev-0123456789', reporter: 'glpat-reporter-0123456789' };

async function rejection(promise: Promise<unknown>): Promise<ForgeError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ForgeError, `expected a ForgeError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

describe('GitLabForge writing merge requests, against the GitLab stand-in', () => {
  let gitlab: GitLabStandIn;
  let temp: ReturnType<typeof tempDir>;
  let forge: GitLabForge;
  const logged: string[] = [];
  const logger: Logger = {
    error: (m) => void logged.push(m),
    warn: (m) => void logged.push(m),
    info: (m) => void logged.push(m),
    debug: (m) => void logged.push(m),
  };

  before(async () => {
    temp = tempDir('tandem-forge-mr-');
    gitlab = await GitLabStandIn.start();
    gitlab.addUser({ username: 'dev', token: TOKENS.dev });
    gitlab.addUser({ username: 'reporter', token: TOKENS.reporter });
    gitlab.addProject({
      path: 'group/app',
      files: { 'src/math.ts': 'export const add = (a: number, b: number) => a - b;\n' },
    });
    gitlab.addMember({ path: 'group', username: 'dev', level: AccessLevel.developer });
    gitlab.addMember({ path: 'group/app', username: 'reporter', level: AccessLevel.reporter });
    forge = new GitLabForge({ url: gitlab.url, token: TOKENS.dev, logger });

    // The branch a session pushed: a real commit on top of main.
    const client = new GitClient(path.join(temp.dir, 'home'));
    const work = path.join(temp.dir, 'work');
    const cloneUrl = withCredentials(gitlab.gitUrl('group/app'), TOKENS.dev);
    await client.ok(temp.dir, ['clone', '--quiet', cloneUrl, work]);
    await client.ok(work, ['checkout', '--quiet', '-b', 'tandem/fix-add']);
    GitClient.writeFiles(work, {
      'src/math.ts': 'export const add = (a: number, b: number) => a + b;\n',
    });
    await client.ok(work, ['commit', '--quiet', '--all', '-m', 'Fix add']);
    await client.ok(work, ['push', '--quiet', cloneUrl, 'HEAD:refs/heads/tandem/fix-add']);
  });

  after(async () => {
    await gitlab.stop();
    temp.cleanup();
    assert.deepEqual(gitlab.errors, []);
    for (const line of logged) assert.doesNotMatch(line, /glpat-/);
  });

  it('reads the project: default branch, clone URL and web URL', async () => {
    assert.deepEqual(await forge.getProject('group/app'), {
      defaultBranch: 'main',
      httpUrlToRepo: `${gitlab.url}/group/app.git`,
      webUrl: `${gitlab.url}/group/app`,
    });
  });

  it('finds no open merge request before one is opened', async () => {
    assert.equal(await forge.findOpenMergeRequest('group/app', 'tandem/fix-add'), null);
  });

  it('opens a merge request from the pushed branch, with a diff computed from the repository', async () => {
    const opened = await forge.createMergeRequest('group/app', {
      sourceBranch: 'tandem/fix-add',
      targetBranch: 'main',
      title: 'Fix add',
      description: 'Closes #3',
      removeSourceBranch: true,
    });
    assert.deepEqual(opened, { iid: 1, webUrl: `${gitlab.url}/group/app/-/merge_requests/1` });

    const [created] = gitlab.createdMergeRequests();
    assert.deepEqual(
      [created.sourceBranch, created.targetBranch, created.description, created.removeSourceBranch],
      ['tandem/fix-add', 'main', 'Closes #3', true],
    );
    const diffs = await forge.getMergeRequestDiffs('group/app', opened.iid);
    assert.deepEqual(
      diffs.map((d) => [d.newPath, d.diff]),
      [
        [
          'src/math.ts',
          '@@ -1 +1 @@\n' +
            '-export const add = (a: number, b: number) => a - b;\n' +
            '+export const add = (a: number, b: number) => a + b;\n',
        ],
      ],
    );
    const refs = await forge.getDiffRefs('group/app', opened.iid);
    assert.equal(refs.headSha, gitlab.branchHead('group/app', 'tandem/fix-add'));
    assert.equal(refs.baseSha, gitlab.branchHead('group/app', 'main'));
  });

  it('finds the open merge request by its source branch, with or without the target', async () => {
    const found = await forge.findOpenMergeRequest('group/app', 'tandem/fix-add');
    assert.deepEqual(found && [found.iid, found.state, found.author], [1, 'opened', 'dev']);
    assert.equal((await forge.findOpenMergeRequest('group/app', 'tandem/fix-add', 'main'))?.iid, 1);
    assert.equal(await forge.findOpenMergeRequest('group/app', 'tandem/fix-add', 'other'), null);
  });

  it('refuses a duplicate with a ForgeError naming the open one', async () => {
    const error = await rejection(
      forge.createMergeRequest('group/app', {
        sourceBranch: 'tandem/fix-add',
        targetBranch: 'main',
        title: 'Fix add, again',
        description: '',
      }),
    );
    assert.equal(error.status, 409);
    assert.equal(
      error.message,
      'Merge request !1 from tandem/fix-add into main is already open in group/app: ' +
        'push to tandem/fix-add to update it, or close it before opening another.',
    );
  });

  it('asks to push a branch GitLab does not have', async () => {
    const error = await rejection(
      forge.createMergeRequest('group/app', {
        sourceBranch: 'tandem/never-pushed',
        targetBranch: 'main',
        title: 'Nothing',
        description: '',
      }),
    );
    assert.equal(
      error.message,
      'GitLab has no branch tandem/never-pushed in group/app: push it first, then open the merge request.',
    );
  });

  it('says what was refused when the account may not open merge requests', async () => {
    const reporter = new GitLabForge({ url: gitlab.url, token: TOKENS.reporter, logger });
    const error = await rejection(
      reporter.createMergeRequest('group/app', {
        sourceBranch: 'tandem/fix-add',
        targetBranch: 'main',
        title: 'As a reporter',
        description: '',
      }),
    );
    assert.equal(error.status, 403);
    assert.match(
      error.message,
      /GitLab refused access while opening a merge request from tandem\/fix-add into main in group\/app \(403 Forbidden\)/,
    );
  });

  it('comments on the merge request and on an issue', async () => {
    gitlab.addIssue({ project: 'group/app', iid: 3, title: 'add subtracts', author: 'dev' });
    const onMr = await forge.createMergeRequestNote('group/app', 1, 'Pipeline fixed.');
    const onIssue = await forge.createIssueNote('group/app', 3, 'Opened !1.');
    assert.match(onMr.url, /\/group\/app\/-\/merge_requests\/1#note_\d+$/);
    assert.match(onIssue.url, /\/group\/app\/-\/issues\/3#note_\d+$/);
    assert.deepEqual(
      gitlab.notes().map((n) => [n.noteable, n.iid, n.body]),
      [
        ['merge_request', 1, 'Pipeline fixed.'],
        ['issue', 3, 'Opened !1.'],
      ],
    );
  });
});
