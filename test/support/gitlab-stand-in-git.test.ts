import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GitClient, withCredentials } from './git-client';
import { GitLabStandIn } from './gitlab-stand-in';
import { tempDir } from './temp-dir';

const TOKENS = {
  dev: 'glpat-dev-0123456789',
  reporter: 'glpat-reporter-0123456789',
  guest: 'glpat-guest-0123456789',
  stranger: 'glpat-stranger-0123456789',
};
const FILES = { 'README.md': '# app\n', 'src/math.ts': 'export const one = 1;\n' };

type Json = Record<string, unknown>;

function seed(gitlab: GitLabStandIn): void {
  for (const [username, token] of Object.entries(TOKENS)) gitlab.addUser({ username, token });
  gitlab.addProject({ path: 'group/app', files: FILES });
  gitlab.addProject({ path: 'open/tool', visibility: 'public', files: { 'a.txt': 'a\n' } });
  gitlab.addMember({ path: 'group', username: 'dev', level: 30 });
  gitlab.addMember({ path: 'group/app', username: 'reporter', level: 20 });
  gitlab.addMember({ path: 'group/app', username: 'guest', level: 10 });
}

describe('GitLab stand-in: git over smart HTTP', () => {
  let gitlab: GitLabStandIn;
  let temp: ReturnType<typeof tempDir>;
  let client: GitClient;
  let n = 0;
  const fresh = () => path.join(temp.dir, `work-${++n}`);
  const url = (token?: string, project = 'group/app') =>
    token === undefined ? gitlab.gitUrl(project) : withCredentials(gitlab.gitUrl(project), token);
  const api = async (apiPath: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set('PRIVATE-TOKEN', TOKENS.dev);
    return fetch(`${gitlab.url}/api/v4${apiPath}`, { ...init, headers });
  };

  /** A clone of group/app with one new commit on `branch`. */
  async function commitOnBranch(branch: string, files: Record<string, string>): Promise<string> {
    const dir = fresh();
    await client.ok(temp.dir, ['clone', '--quiet', url(TOKENS.dev), dir]);
    await client.ok(dir, ['checkout', '--quiet', '-b', branch]);
    GitClient.writeFiles(dir, files);
    await client.ok(dir, ['add', '--all']);
    await client.ok(dir, ['commit', '--quiet', '-m', `Change ${branch}`]);
    return dir;
  }

  before(async () => {
    temp = tempDir('tandem-stand-in-git-');
    client = new GitClient(path.join(temp.dir, 'home'));
    gitlab = await GitLabStandIn.start();
    seed(gitlab);
  });

  after(async () => {
    await gitlab.stop();
    temp.cleanup();
    assert.deepEqual(gitlab.errors, []);
  });

  it('seeds the default branch as one commit with fixed author and date, so shas repeat', async () => {
    const other = await GitLabStandIn.start();
    try {
      seed(other);
      const head = gitlab.branchHead('group/app', 'main');
      assert.match(head ?? '', /^[0-9a-f]{40}$/);
      assert.equal(other.branchHead('group/app', 'main'), head);
    } finally {
      await other.stop();
    }
  });

  it('clones with the token as the HTTP Basic password, whatever the username', async () => {
    for (const username of ['oauth2', 'dev']) {
      const dir = fresh();
      const cloneUrl = withCredentials(gitlab.gitUrl('group/app'), TOKENS.dev, username);
      await client.ok(temp.dir, ['clone', '--quiet', cloneUrl, dir]);
      assert.equal(fs.readFileSync(path.join(dir, 'src/math.ts'), 'utf8'), FILES['src/math.ts']);
      assert.equal(
        await client.ok(dir, ['rev-parse', 'HEAD']),
        gitlab.branchHead('group/app', 'main'),
      );
    }
    assert.equal(gitlab.requests.at(-1)?.username, 'dev');
  });

  it('clones with the token in a PRIVATE-TOKEN or Bearer header', async () => {
    for (const header of [`PRIVATE-TOKEN: ${TOKENS.dev}`, `Authorization: Bearer ${TOKENS.dev}`]) {
      const dir = fresh();
      const args = ['-c', `http.extraHeader=${header}`, 'clone', '--quiet', url(), dir];
      await client.ok(temp.dir, args);
      assert.ok(fs.existsSync(path.join(dir, 'README.md')));
    }
  });

  describe('refusals, as GitLab words them', () => {
    async function refs(
      service: string,
      headers: Record<string, string> = {},
      project = 'group/app',
    ) {
      const response = await fetch(`${gitlab.gitUrl(project)}/info/refs?service=${service}`, {
        headers,
      });
      return {
        status: response.status,
        challenge: response.headers.get('www-authenticate'),
        text: await response.text(),
      };
    }
    const basic = (token: string) => ({
      authorization: `Basic ${Buffer.from(`oauth2:${token}`).toString('base64')}`,
    });

    it('401 with a Basic challenge without a token, or with a wrong one', async () => {
      const attempts: Record<string, string>[] = [
        {},
        basic('glpat-wrong'),
        { 'private-token': 'glpat-wrong' },
      ];
      for (const headers of attempts) {
        const answer = await refs('git-upload-pack', headers);
        assert.equal(answer.status, 401);
        assert.equal(answer.challenge, 'Basic realm="GitLab"');
        assert.match(answer.text, /HTTP Basic: Access denied/);
      }
      const clone = await client.run(temp.dir, ['clone', '--quiet', url(), fresh()]);
      assert.notEqual(clone.code, 0);
      assert.match(clone.stderr, /could not read Username|Authentication failed/);
    });

    it('404 for a private project the user is no member of, 403 for a guest', async () => {
      assert.equal((await refs('git-upload-pack', basic(TOKENS.stranger))).status, 404);
      const guest = await refs('git-upload-pack', basic(TOKENS.guest));
      assert.deepEqual(
        [guest.status, guest.text],
        [403, 'You are not allowed to download code from this project.\n'],
      );
    });

    it('lets anyone clone a public project, but nobody push to it anonymously', async () => {
      assert.equal((await refs('git-upload-pack', {}, 'open/tool')).status, 200);
      assert.equal((await refs('git-receive-pack', {}, 'open/tool')).status, 401);
      assert.equal(
        (await refs('git-receive-pack', basic(TOKENS.stranger), 'open/tool')).status,
        403,
      );
    });
  });

  it('takes a push from a Developer: the branch moves, the push is logged, the API shows it', async () => {
    const dir = await commitOnBranch('feature/one', {
      'src/math.ts': 'export const one = 1;\nexport const two = 2;\n',
    });
    const sha = await client.ok(dir, ['rev-parse', 'HEAD']);
    const pushed = await client.run(dir, [
      'push',
      '--quiet',
      url(TOKENS.dev),
      'HEAD:refs/heads/feature/one',
    ]);
    assert.equal(pushed.code, 0, pushed.stderr);

    assert.equal(gitlab.branchHead('group/app', 'feature/one'), sha);
    assert.deepEqual(gitlab.pushes.at(-1), {
      project: 'group/app',
      username: 'dev',
      updates: [{ ref: 'refs/heads/feature/one', before: null, after: sha }],
    });
    assert.match(gitlab.commitDiff('group/app', sha), /^\+export const two = 2;$/m);
    assert.equal(gitlab.fileAt('group/app', 'feature/one', 'README.md'), '# app\n');

    const branch = (await (
      await api('/projects/group%2Fapp/repository/branches/feature%2Fone')
    ).json()) as Json;
    assert.equal((branch.commit as Json).id, sha);
    const commit = (await (
      await api(`/projects/group%2Fapp/repository/commits/${sha}`)
    ).json()) as Json;
    assert.deepEqual(
      [commit.title, commit.short_id, commit.parent_ids, commit.author_name],
      [
        'Change feature/one',
        sha.slice(0, 8),
        [gitlab.branchHead('group/app', 'main')],
        'Test Person',
      ],
    );
    const names = (
      (await (await api('/projects/group%2Fapp/repository/branches')).json()) as Json[]
    ).map((b) => b.name);
    assert.deepEqual(names, ['feature/one', 'main']);
    const compare = (await (
      await api('/projects/group%2Fapp/repository/compare?from=main&to=feature%2Fone')
    ).json()) as { commits: Json[]; diffs: Json[] };
    assert.deepEqual(
      compare.commits.map((c) => c.id),
      [sha],
    );
    assert.deepEqual(
      compare.diffs.map((d) => [d.new_path, d.diff]),
      [['src/math.ts', '@@ -1 +1,2 @@\n export const one = 1;\n+export const two = 2;\n']],
    );
  });

  it('refuses a push from a Reporter with 403, and moves nothing', async () => {
    const dir = await commitOnBranch('feature/reporter', { 'new.txt': 'x\n' });
    const before = gitlab.pushes.length;
    const pushed = await client.run(dir, [
      'push',
      url(TOKENS.reporter),
      'HEAD:refs/heads/feature/reporter',
    ]);
    assert.notEqual(pushed.code, 0);
    assert.match(pushed.stderr, /You are not allowed to push code to this project/);
    assert.match(pushed.stderr, /403/);
    assert.equal(gitlab.branchHead('group/app', 'feature/reporter'), undefined);
    assert.equal(gitlab.pushes.length, before);
  });

  describe('merge requests opened through the API', () => {
    const open = (body: Json) =>
      api('/projects/group%2Fapp/merge_requests', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    let dir: string;

    before(async () => {
      dir = await commitOnBranch('fix/readme', { 'README.md': '# app\n\nFixed.\n' });
      await client.ok(dir, ['push', '--quiet', url(TOKENS.dev), 'HEAD:refs/heads/fix/readme']);
    });

    it('diffs the pushed branch against its merge base with the target', async () => {
      const response = await open({
        source_branch: 'fix/readme',
        target_branch: 'main',
        title: 'Fix the readme',
        description: 'Closes #1',
        remove_source_branch: true,
      });
      assert.equal(response.status, 201);
      const mr = (await response.json()) as Json;
      const main = gitlab.branchHead('group/app', 'main');
      const head = gitlab.branchHead('group/app', 'fix/readme');
      assert.deepEqual(mr.diff_refs, { base_sha: main, start_sha: main, head_sha: head });
      assert.equal(mr.force_remove_source_branch, true);
      const [created] = gitlab.createdMergeRequests();
      assert.deepEqual(
        [
          created.iid,
          created.title,
          created.author,
          created.changedPaths,
          created.removeSourceBranch,
        ],
        [mr.iid, 'Fix the readme', 'dev', ['README.md'], true],
      );
      const diffs = (await (
        await api(`/projects/group%2Fapp/merge_requests/${created.iid}/diffs`)
      ).json()) as Json[];
      assert.equal(diffs[0].diff, '@@ -1 +1,3 @@\n # app\n+\n+Fixed.\n');
    });

    it('refuses a second open one for the same branches with 409, as GitLab does', async () => {
      const [created] = gitlab.createdMergeRequests();
      const response = await open({
        source_branch: 'fix/readme',
        target_branch: 'main',
        title: 'Again',
      });
      assert.equal(response.status, 409);
      assert.deepEqual(await response.json(), {
        message: [
          `Another open merge request already exists for this source branch: !${created.iid}`,
        ],
      });
    });

    it('refuses a source branch the repository does not have, and missing fields', async () => {
      const missing = await open({ source_branch: 'nope', target_branch: 'main', title: 'T' });
      assert.deepEqual(
        [missing.status, await missing.json()],
        [400, { message: { source_branch: ['does not exist'] } }],
      );
      const incomplete = await open({ source_branch: 'fix/readme' });
      assert.deepEqual(
        [incomplete.status, await incomplete.json()],
        [400, { error: 'title is missing, target_branch is missing' }],
      );
    });

    it('lists open ones by source branch', async () => {
      const list = async (query: string) =>
        ((await (await api(`/projects/group%2Fapp/merge_requests?${query}`)).json()) as Json[]).map(
          (mr) => mr.source_branch,
        );
      assert.deepEqual(await list('source_branch=fix%2Freadme&state=opened'), ['fix/readme']);
      assert.deepEqual(await list('source_branch=other&state=opened'), []);
    });

    it('makes a new diff version when the source branch is pushed again', async () => {
      const [before] = gitlab.createdMergeRequests();
      GitClient.writeFiles(dir, { 'docs/new.md': 'new\n' });
      await client.ok(dir, ['mv', 'src/math.ts', 'src/numbers.ts']);
      await client.ok(dir, ['add', '--all']);
      await client.ok(dir, ['commit', '--quiet', '-m', 'Add docs']);
      await client.ok(dir, ['push', '--quiet', url(TOKENS.dev), 'HEAD:refs/heads/fix/readme']);
      const [after] = gitlab.createdMergeRequests();
      assert.notEqual(after.headSha, before.headSha);
      assert.equal(after.headSha, gitlab.branchHead('group/app', 'fix/readme'));
      assert.deepEqual(after.changedPaths, ['README.md', 'docs/new.md', 'src/numbers.ts']);
      const diffs = (await (
        await api(`/projects/group%2Fapp/merge_requests/${after.iid}/diffs`)
      ).json()) as Json[];
      const renamed = diffs.find((d) => d.new_path === 'src/numbers.ts');
      assert.deepEqual([renamed?.old_path, renamed?.renamed_file], ['src/math.ts', true]);
    });
  });

  it('seeds a pipeline at a commit that was pushed', async () => {
    const sha = gitlab.branchHead('group/app', 'feature/one') ?? '';
    const pipeline = gitlab.addPipeline({
      project: 'group/app',
      ref: 'feature/one',
      jobs: [{ name: 'test', status: 'failed', trace: 'boom\n' }],
    });
    const answer = (await (
      await api(`/projects/group%2Fapp/pipelines/${pipeline.id}`)
    ).json()) as Json;
    assert.deepEqual([answer.ref, answer.sha, answer.status], ['feature/one', sha, 'failed']);
    const bySha = gitlab.addPipeline({ project: 'group/app', sha, status: 'success' });
    const atSha = (await (await api(`/projects/group%2Fapp/pipelines/${bySha.id}`)).json()) as Json;
    assert.deepEqual([atSha.ref, atSha.sha], ['feature/one', sha]);
    assert.throws(
      () => gitlab.addPipeline({ project: 'group/app', sha: 'f'.repeat(40), status: 'failed' }),
      /has no commit f{40}/,
    );
  });
});
