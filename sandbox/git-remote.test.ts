import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GitClient, withCredentials } from '../test/support/git-client';
import { GitLabStandIn } from '../test/support/gitlab-stand-in';
import { tempDir } from '../test/support/temp-dir';
import { addWorktree, commitAll, git, GitRemoteError, pushBranch, type GitIdentity } from './git';

const DEV = 'glpat-dev-0123456789abcdef';
const REPORTER = 'glpat-reporter-0123456789abcdef';
const WRONG = 'glpat-wrong-0123456789abcdef';
const BOT: GitIdentity = { name: 'tandem', email: 'tandem@example.com' };

async function rejection(promise: Promise<unknown>): Promise<GitRemoteError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof GitRemoteError, `expected a GitRemoteError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

/** The token in any form git could have printed it must be absent from what a person sees. */
function assertNoToken(message: string, token: string): void {
  assert.ok(!message.includes(token), message);
  assert.ok(!message.includes(Buffer.from(`oauth2:${token}`).toString('base64')), message);
}

describe('host-side git: commit and push against the GitLab stand-in', () => {
  let gitlab: GitLabStandIn;
  let temp: ReturnType<typeof tempDir>;
  let client: GitClient;
  let remoteUrl: string;
  let n = 0;

  /** A worktree on a new session branch of a fresh clone, as a flow session gets. */
  async function sessionWorktree(branch = `tandem/session-${++n}`): Promise<string> {
    const clone = path.join(temp.dir, `clone-${++n}`);
    await client.ok(temp.dir, ['clone', '--quiet', withCredentials(remoteUrl, DEV), clone]);
    const worktree = path.join(temp.dir, `worktree-${n}`);
    await addWorktree(clone, worktree, branch);
    return worktree;
  }

  before(async () => {
    temp = tempDir('tandem-git-remote-');
    client = new GitClient(path.join(temp.dir, 'home'));
    gitlab = await GitLabStandIn.start();
    gitlab.addUser({ username: 'dev', token: DEV });
    gitlab.addUser({ username: 'reporter', token: REPORTER });
    gitlab.addProject({
      path: 'group/app',
      files: { 'README.md': '# app\n', 'src/old.ts': 'export const old = 1;\n' },
    });
    gitlab.addMember({ path: 'group/app', username: 'dev', level: 30 });
    gitlab.addMember({ path: 'group/app', username: 'reporter', level: 20 });
    remoteUrl = gitlab.gitUrl('group/app');
  });

  after(async () => {
    await gitlab.stop();
    temp.cleanup();
    assert.deepEqual(gitlab.errors, []);
  });

  describe('commitAll', () => {
    it('commits new, changed and deleted files as the given identity, keeping the message', async () => {
      const worktree = await sessionWorktree();
      const before = (await git(worktree, ['rev-parse', 'HEAD'])).trim();
      fs.writeFileSync(path.join(worktree, 'README.md'), '# app\n\nMore.\n');
      fs.rmSync(path.join(worktree, 'src/old.ts'));
      fs.mkdirSync(path.join(worktree, 'src/new'), { recursive: true });
      fs.writeFileSync(path.join(worktree, 'src/new/a.ts'), 'export const a = 1;\n');

      const message = 'Fix the readme\n\n#12 asked for it.\n';
      const { sha, committed } = await commitAll(worktree, message, BOT);
      assert.equal(committed, true);
      assert.notEqual(sha, before);
      const log = await git(worktree, ['log', '-1', '--format=%an <%ae>|%cn <%ce>|%B']);
      assert.equal(
        log.trim(),
        'tandem <tandem@example.com>|tandem <tandem@example.com>|Fix the readme\n\n#12 asked for it.',
      );
      const changes = await git(worktree, ['show', '--name-status', '--format=', sha]);
      assert.deepEqual(changes.trim().split('\n').sort(), [
        'A\tsrc/new/a.ts',
        'D\tsrc/old.ts',
        'M\tREADME.md',
      ]);
    });

    it('does nothing when nothing changed', async () => {
      const worktree = await sessionWorktree();
      const head = (await git(worktree, ['rev-parse', 'HEAD'])).trim();
      assert.deepEqual(await commitAll(worktree, 'Nothing', BOT), { sha: head, committed: false });
    });

    it('runs no hook, not even one the worktree points core.hooksPath at', async () => {
      const worktree = await sessionWorktree();
      const marker = path.join(temp.dir, 'hook-ran');
      const hooks = path.join(worktree, '.hooks');
      fs.mkdirSync(hooks);
      for (const hook of ['pre-commit', 'commit-msg', 'post-commit']) {
        fs.writeFileSync(path.join(hooks, hook), `#!/bin/sh\ntouch '${marker}'\n`, { mode: 0o755 });
      }
      await git(worktree, ['config', 'core.hooksPath', hooks]);
      fs.writeFileSync(path.join(worktree, 'x.txt'), 'x\n');
      assert.equal((await commitAll(worktree, 'With hooks around', BOT)).committed, true);
      assert.equal(fs.existsSync(marker), false, 'a hook ran on the host');
    });
  });

  describe('pushBranch', () => {
    it('creates the branch on GitLab, then reports it unchanged, then updated', async () => {
      const worktree = await sessionWorktree();
      fs.writeFileSync(path.join(worktree, 'fix.txt'), 'fixed\n');
      const { sha } = await commitAll(worktree, 'Fix', BOT);
      const target = { worktree, remoteUrl, branch: 'tandem/fix-1', token: DEV };

      assert.equal(gitlab.branchHead('group/app', 'tandem/fix-1'), undefined);
      assert.deepEqual(await pushBranch(target), { sha, outcome: 'created' });
      assert.equal(gitlab.branchHead('group/app', 'tandem/fix-1'), sha);
      assert.deepEqual(gitlab.pushes.at(-1), {
        project: 'group/app',
        username: 'dev',
        updates: [{ ref: 'refs/heads/tandem/fix-1', before: null, after: sha }],
      });
      assert.match(gitlab.commitDiff('group/app', sha), /^\+fixed$/m);

      const pushes = gitlab.pushes.length;
      assert.deepEqual(await pushBranch(target), { sha, outcome: 'unchanged' });
      assert.equal(gitlab.pushes.length, pushes, 'an unchanged branch sends nothing');
      fs.writeFileSync(path.join(worktree, 'fix.txt'), 'fixed again\n');
      const second = await commitAll(worktree, 'Fix again', BOT);
      assert.deepEqual(await pushBranch(target), { sha: second.sha, outcome: 'updated' });
    });

    it('refuses to rewind a branch unless forced', async () => {
      const first = await sessionWorktree();
      fs.writeFileSync(path.join(first, 'a.txt'), 'a\n');
      await commitAll(first, 'A', BOT);
      await pushBranch({ worktree: first, remoteUrl, branch: 'tandem/race', token: DEV });

      const second = await sessionWorktree();
      fs.writeFileSync(path.join(second, 'b.txt'), 'b\n');
      const { sha } = await commitAll(second, 'B', BOT);
      const target = { worktree: second, remoteUrl, branch: 'tandem/race', token: DEV };
      const refused = await rejection(pushBranch(target));
      assert.equal(refused.reason, 'rejected');
      assert.match(refused.message, /GitLab rejected the push to branch tandem\/race/);
      assert.deepEqual(await pushBranch({ ...target, force: true }), { sha, outcome: 'forced' });
      assert.equal(gitlab.branchHead('group/app', 'tandem/race'), sha);
    });

    it('a wrong token: a clear 401 error that never shows the token', async () => {
      const worktree = await sessionWorktree();
      const error = await rejection(
        pushBranch({ worktree, remoteUrl, branch: 'tandem/nope', token: WRONG }),
      );
      assert.equal(error.reason, 'unauthorized');
      assert.match(
        error.message,
        /^GitLab refused the push to branch tandem\/nope \(401\): the token was not accepted\. Set tandem\.gitlab\.token or GITLAB_TOKEN/,
      );
      assertNoToken(error.message, WRONG);
      assert.equal(gitlab.branchHead('group/app', 'tandem/nope'), undefined);
    });

    it("a Reporter's token: 403 with GitLab's reason, and no token", async () => {
      const worktree = await sessionWorktree();
      const error = await rejection(
        pushBranch({ worktree, remoteUrl, branch: 'tandem/reporter', token: REPORTER }),
      );
      assert.equal(error.reason, 'forbidden');
      assert.match(error.message, /^GitLab refused the push to branch tandem\/reporter \(403\)/);
      assert.match(
        error.message,
        /GitLab said: You are not allowed to push code to this project\./,
      );
      assertNoToken(error.message, REPORTER);
    });

    it('refuses credentials in the URL and invalid branch names before running git', async () => {
      const worktree = await sessionWorktree();
      const inUrl = await rejection(
        pushBranch({
          worktree,
          remoteUrl: withCredentials(remoteUrl, DEV),
          branch: 'x',
          token: DEV,
        }),
      );
      assert.match(inUrl.message, /carries credentials/);
      assertNoToken(inUrl.message, DEV);
      const badName = await rejection(
        pushBranch({ worktree, remoteUrl, branch: 'bad..name', token: DEV }),
      );
      assert.match(badName.message, /"bad\.\.name" is not a valid branch name/);
    });

    it('says when GitLab has no such repository', async () => {
      const missing = `${gitlab.url}/group/missing.git`;
      const worktree = await sessionWorktree();
      const error = await rejection(
        pushBranch({ worktree, remoteUrl: missing, branch: 'tandem/x', token: DEV }),
      );
      assert.equal(error.reason, 'not_found');
      assert.match(error.message, /GitLab found no repository at .*group\/missing\.git/);
    });
  });
});
