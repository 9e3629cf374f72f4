import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitLabStandIn } from '../../test/support/gitlab-stand-in';
import type { Logger } from '../logger';
import { AccessLevel, ForgeError, type DiffPosition } from './forge';
import { GitLabForge } from './gitlab-forge';

const BASE_MATH = [
  'export function add(a: number, b: number) {',
  '  return a + b;',
  '}',
  '',
  'export function sub(a: number, b: number) {',
  '  return a - b;',
  '}',
  '',
  'export function mul(a: number, b: number) {',
  '  return a * b;',
  '}',
  '',
].join('\n');

// Line 6 changes; lines 12-15 are added at the end.
const HEAD_MATH = BASE_MATH.replace('return a - b;', 'return b - a;').concat(
  '\nexport function div(a: number, b: number) {\n  return a / b;\n}\n',
);

/** Collects what the forge logs, to prove messages are useful and never carry the token. */
function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (message: string) => void lines.push(message);
  return { lines, error: record, warn: record, info: record, debug: record };
}

async function rejection(promise: Promise<unknown>): Promise<ForgeError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ForgeError, `expected a ForgeError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', args, { cwd, stdio: 'ignore' });
}

describe('GitLabForge against the GitLab stand-in', () => {
  let gitlab: GitLabStandIn;
  let forge: GitLabForge;
  let logger: ReturnType<typeof recordingLogger>;
  let refs: { baseSha: string; startSha: string; headSha: string };
  const tempDirs: string[] = [];
  const forgeAs = (token: string, workspaceFolder?: string) =>
    new GitLabForge({ url: gitlab.url, token, workspaceFolder, logger });

  before(async () => {
    // A small page limit makes a dozen files span several pages, as hundreds would on GitLab.
    gitlab = await GitLabStandIn.start({ maxPerPage: 5 });
    for (const username of ['alice', 'bob', 'carol', 'dave']) {
      gitlab.addUser({ username, token: `glpat-${username}-0123456789` });
    }
    gitlab.addProject({ path: 'group/app' });
    gitlab.addProject({ path: 'group/sub/lib' });
    gitlab.addProject({ path: 'open/tool', visibility: 'public' });
    gitlab.addMember({ path: 'group/app', username: 'alice', level: AccessLevel.developer });
    gitlab.addMember({ path: 'group', username: 'bob', level: AccessLevel.maintainer });
    gitlab.addMember({ path: 'group/sub/lib', username: 'bob', level: AccessLevel.reporter });
    gitlab.addMember({ path: 'group/app', username: 'dave', level: AccessLevel.guest });
    const seeded = gitlab.addMergeRequest({
      project: 'group/app',
      iid: 7,
      title: 'Fix subtraction, add division',
      description: 'Closes #12',
      author: 'alice',
      sourceBranch: 'fix-math',
      base: { 'src/math.ts': BASE_MATH, 'README.md': '# app\n', 'old.txt': 'gone\n' },
      head: { 'src/math.ts': HEAD_MATH, 'README.md': '# app\n', 'docs/a b#c.md': 'odd name\n' },
    });
    refs = { baseSha: seeded.baseSha, startSha: seeded.startSha, headSha: seeded.headSha };
    logger = recordingLogger();
    forge = forgeAs('glpat-alice-0123456789');
  });

  after(async () => {
    await gitlab.stop();
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(gitlab.errors, [], 'the stand-in raised errors while answering');
    for (const line of logger.lines) assert.doesNotMatch(line, /glpat-/);
  });

  describe('accessLevel', () => {
    it('reads a direct membership', async () => {
      assert.deepEqual(await forge.accessLevel('group/app'), { username: 'alice', level: 30 });
    });

    it('counts membership inherited from a group, taking the highest', async () => {
      const bob = forgeAs('glpat-bob-0123456789');
      assert.deepEqual(await bob.accessLevel('group/sub/lib'), { username: 'bob', level: 40 });
    });

    it('is 0 without membership, whether or not the project is visible', async () => {
      const carol = forgeAs('glpat-carol-0123456789');
      assert.deepEqual(await carol.accessLevel('group/app'), { username: 'carol', level: 0 });
      assert.deepEqual(await carol.accessLevel('open/tool'), { username: 'carol', level: 0 });
    });

    it('addresses the project by its URL-encoded full path', async () => {
      await forge.accessLevel('group/app');
      const paths = gitlab.requests.map((r) => r.path);
      assert.ok(paths.includes('/api/v4/user'));
      assert.ok(paths.includes('/api/v4/projects/group%2Fapp/members/all/1'), paths.join('\n'));
    });
  });

  describe('merge requests', () => {
    it('reads the merge request', async () => {
      assert.deepEqual(await forge.getMergeRequest('group/app', 7), {
        iid: 7,
        title: 'Fix subtraction, add division',
        description: 'Closes #12',
        webUrl: `${gitlab.url}/group/app/-/merge_requests/7`,
        sourceBranch: 'fix-math',
        targetBranch: 'main',
        state: 'opened',
        author: 'alice',
      });
    });

    it("reads the latest version's diff refs", async () => {
      const diffRefs = await forge.getDiffRefs('group/app', 7);
      assert.deepEqual(diffRefs, refs);
      assert.equal(new Set(Object.values(diffRefs)).size, 3, 'base, start and head differ');
    });

    it('reads every page of the diffs', async () => {
      const files = Object.fromEntries(
        Array.from({ length: 12 }, (_, i) => [
          `gen/file-${String(i).padStart(2, '0')}.ts`,
          `${i}\n`,
        ]),
      );
      gitlab.addMergeRequest({
        project: 'group/app',
        iid: 8,
        title: 'Many files',
        author: 'alice',
        base: {},
        head: files,
      });
      const diffs = await forge.getMergeRequestDiffs('group/app', 8);
      assert.deepEqual(
        diffs.map((d) => d.newPath),
        Object.keys(files),
      );
      assert.deepEqual(diffs[11], {
        oldPath: 'gen/file-11.ts',
        newPath: 'gen/file-11.ts',
        diff: '@@ -0,0 +1 @@\n+11\n',
        newFile: true,
        deletedFile: false,
        renamedFile: false,
        collapsed: false,
      });
      const pages = gitlab.requests.filter(
        (r) => r.path === '/api/v4/projects/group%2Fapp/merge_requests/8/diffs',
      );
      assert.deepEqual(
        pages.map((r) => r.query.page ?? '1'),
        ['1', '2', '3'],
      );
    });

    it('reads changed, added and deleted files as unified diffs', async () => {
      const diffs = await forge.getMergeRequestDiffs('group/app', 7);
      assert.deepEqual(
        diffs.map((d) => [d.newPath, d.newFile, d.deletedFile]),
        [
          ['docs/a b#c.md', true, false],
          ['old.txt', false, true],
          ['src/math.ts', false, false],
        ],
      );
      assert.equal(
        diffs[2].diff,
        [
          '@@ -3,9 +3,13 @@',
          ' }',
          ' ',
          ' export function sub(a: number, b: number) {',
          '-  return a - b;',
          '+  return b - a;',
          ' }',
          ' ',
          ' export function mul(a: number, b: number) {',
          '   return a * b;',
          ' }',
          '+',
          '+export function div(a: number, b: number) {',
          '+  return a / b;',
          '+}',
          '',
        ].join('\n'),
      );
    });

    it('reads raw files at a commit, and null for a missing file', async () => {
      assert.equal(await forge.getFileRaw('group/app', 'src/math.ts', refs.headSha), HEAD_MATH);
      assert.equal(await forge.getFileRaw('group/app', 'src/math.ts', refs.baseSha), BASE_MATH);
      assert.equal(
        await forge.getFileRaw('group/app', 'docs/a b#c.md', refs.headSha),
        'odd name\n',
      );
      assert.equal(await forge.getFileRaw('group/app', 'old.txt', refs.headSha), null);
      assert.ok(
        gitlab.requests.some((r) => r.path.endsWith('/repository/files/docs%2Fa%20b%23c.md/raw')),
      );
    });

    it('still fails when the project itself is missing', async () => {
      const error = await rejection(forge.getFileRaw('group/nope', 'src/math.ts', refs.headSha));
      assert.equal(error.status, 404);
    });
  });

  describe('inline comments', () => {
    const at = (lines: Partial<DiffPosition>): DiffPosition => ({
      ...refs,
      oldPath: 'src/math.ts',
      newPath: 'src/math.ts',
      ...lines,
    });

    function check(
      name: string,
      lines: Partial<DiffPosition>,
      expected: { type: string; text: string },
    ) {
      it(`comments on ${name}`, async () => {
        const posted = await forge.createDiffDiscussion('group/app', 7, `On ${name}`, at(lines));
        assert.equal(posted.url, `${gitlab.url}/group/app/-/merge_requests/7#note_${posted.id}`);
        const discussion = gitlab
          .discussions({ project: 'group/app', iid: 7 })
          .find((d) => d.noteId === posted.id);
        assert.equal(discussion?.body, `On ${name}`);
        assert.equal(discussion?.author, 'alice');
        assert.deepEqual(
          { oldLine: discussion?.position?.oldLine, newLine: discussion?.position?.newLine },
          { oldLine: lines.oldLine, newLine: lines.newLine },
        );
        assert.deepEqual(
          { type: discussion?.position?.line.type, text: discussion?.position?.line.text },
          expected,
        );
      });
    }
    check('an added line', { newLine: 14 }, { type: 'added', text: '  return a / b;' });
    check('a removed line', { oldLine: 6 }, { type: 'removed', text: '  return a - b;' });
    check(
      'an unchanged line',
      { oldLine: 5, newLine: 5 },
      { type: 'context', text: 'export function sub(a: number, b: number) {' },
    );
    check(
      'an unchanged line after the change',
      { oldLine: 10, newLine: 10 },
      { type: 'context', text: '  return a * b;' },
    );

    function refused(name: string, position: () => DiffPosition) {
      it(`refuses ${name} with a ForgeError`, async () => {
        const before = gitlab.discussions().length;
        const error = await rejection(
          forge.createDiffDiscussion('group/app', 7, 'Nope', position()),
        );
        assert.equal(error.status, 400);
        assert.match(
          error.message,
          /^GitLab rejected the request while commenting on \S+:\d+ in group\/app!7 \(400/,
        );
        assert.match(error.message, /not a line of the merge request's latest diff/);
        assert.equal(gitlab.discussions().length, before);
      });
    }
    refused('a line outside the diff', () => at({ newLine: 1 }));
    refused('an added line given as unchanged', () => at({ oldLine: 14, newLine: 14 }));
    refused('an unchanged line given by its new number only', () => at({ newLine: 5 }));
    refused('unchanged lines that do not correspond', () => at({ oldLine: 5, newLine: 7 }));
    refused('a file outside the diff', () =>
      at({ oldPath: 'README.md', newPath: 'README.md', newLine: 1 }),
    );
    refused('stale diff refs', () => ({ ...at({ newLine: 14 }), headSha: refs.baseSha }));

    it('refuses the previous version after a new push', async () => {
      gitlab.addMergeRequest({
        project: 'group/app',
        iid: 9,
        title: 'Pushed twice',
        author: 'alice',
        base: { 'a.txt': 'one\n' },
        head: { 'a.txt': 'two\n' },
      });
      const first = await forge.getDiffRefs('group/app', 9);
      const second = gitlab.pushToMergeRequest('group/app', 9, { 'a.txt': 'three\n' });
      assert.equal((await forge.getDiffRefs('group/app', 9)).headSha, second.headSha);
      const position = { ...first, oldPath: 'a.txt', newPath: 'a.txt', newLine: 1 };
      assert.equal(
        (await rejection(forge.createDiffDiscussion('group/app', 9, 'Old', position))).status,
        400,
      );
      await forge.createDiffDiscussion('group/app', 9, 'New', {
        ...position,
        ...(await forge.getDiffRefs('group/app', 9)),
      });
    });

    it('posts a note on the merge request', async () => {
      const posted = await forge.createMergeRequestNote('group/app', 7, 'Summary: two findings.');
      assert.equal(posted.url, `${gitlab.url}/group/app/-/merge_requests/7#note_${posted.id}`);
      assert.deepEqual(gitlab.notes({ project: 'group/app', iid: 7 }).at(-1), {
        noteable: 'merge_request',
        project: 'group/app',
        iid: 7,
        noteId: posted.id,
        body: 'Summary: two findings.',
        author: 'alice',
      });
    });
  });

  describe('errors the person can act on', () => {
    it('401: says which setting holds the token, and never shows it', async () => {
      const error = await rejection(
        forgeAs('glpat-wrong-0123456789').getMergeRequest('group/app', 7),
      );
      assert.equal(error.status, 401);
      assert.equal(
        error.message,
        'GitLab rejected the token (401): set tandem.gitlab.token or GITLAB_TOKEN to a personal access token with the api scope.',
      );
    });

    it('no token: says how to set one, without calling GitLab', async () => {
      const count = gitlab.requests.length;
      const error = await rejection(forgeAs('').accessLevel('group/app'));
      assert.match(
        error.message,
        /^No GitLab token is set: set tandem\.gitlab\.token or GITLAB_TOKEN/,
      );
      assert.equal(gitlab.requests.length, count);
    });

    it('403: says what was refused', async () => {
      const error = await rejection(
        forgeAs('glpat-dave-0123456789').getMergeRequest('group/app', 7),
      );
      assert.equal(error.status, 403);
      assert.match(
        error.message,
        /^GitLab refused access while reading merge request group\/app!7 \(403 Forbidden\): your account lacks the permission/,
      );
    });

    it('404: not found or no access', async () => {
      const error = await rejection(forge.getMergeRequest('group/app', 999));
      assert.equal(error.status, 404);
      assert.match(
        error.message,
        /while reading merge request group\/app!999 \(404\): it was not found, or your account has no access to it/,
      );
    });

    it('429: retries, then succeeds', async () => {
      gitlab.failNext({
        path: '/projects/group/app/merge_requests/7',
        status: 429,
        times: 2,
        retryAfter: 1,
      });
      const before = gitlab.requests.length;
      assert.equal((await forge.getMergeRequest('group/app', 7)).iid, 7);
      assert.deepEqual(
        gitlab.requests.slice(before).map((r) => r.status),
        [429, 429, 200],
      );
    });

    it('429 that does not stop: says GitLab is rate limiting', async () => {
      gitlab.failNext({ path: '/projects/group/app/merge_requests/7', status: 429, times: 100 });
      const error = await rejection(forge.getMergeRequest('group/app', 7));
      assert.equal(error.status, 429);
      assert.match(
        error.message,
        /^GitLab is rate limiting requests \(429\) while reading merge request group\/app!7: wait a minute/,
      );
      gitlab.clearFailures();
    });

    it("500: says the problem is on GitLab's side", async () => {
      gitlab.failNext({ method: 'GET', path: /\/merge_requests\/7\/versions$/, status: 500 });
      const error = await rejection(forge.getDiffRefs('group/app', 7));
      assert.equal(error.status, 500);
      assert.match(
        error.message,
        /^GitLab failed while reading the diff versions of group\/app!7 \(500\): the problem is on GitLab's side/,
      );
      assert.deepEqual(await forge.getDiffRefs('group/app', 7), refs);
    });

    it('network failure: cannot reach GitLab at the URL', async () => {
      const closedPort = await freePort();
      const offline = new GitLabForge({
        url: `http://127.0.0.1:${closedPort}`,
        token: 'glpat-alice-0123456789',
      });
      const error = await rejection(offline.getMergeRequest('group/app', 7));
      assert.match(
        error.message,
        new RegExp(
          `^Cannot reach GitLab at http://127\\.0\\.0\\.1:${closedPort}: connection refused \\(ECONNREFUSED\\)\\. Check tandem\\.gitlab\\.url`,
        ),
      );
    });

    it('refuses a reference on another host before any request', async () => {
      const count = gitlab.requests.length;
      const error = await rejection(
        forge.resolveReference('https://gitlab.com/group/app/-/merge_requests/7'),
      );
      assert.match(
        error.message,
        new RegExp(
          `tandem\\.gitlab\\.url is ${gitlab.url.replace(/\./g, '\\.')}, and the GitLab token is only ever sent there`,
        ),
      );
      assert.equal(gitlab.requests.length, count);
    });
  });

  describe('short references from the workspace', () => {
    function workspace(remote?: string): string {
      const dir = mkdtempSync(join(tmpdir(), 'tandem-forge-'));
      tempDirs.push(dir);
      git(dir, 'init', '--quiet');
      if (remote) git(dir, 'remote', 'add', 'origin', remote);
      return dir;
    }

    it("resolves !7 from the workspace's git remote", async () => {
      const local = forgeAs('glpat-alice-0123456789', workspace(`${gitlab.url}/group/app.git`));
      assert.deepEqual(await local.resolveReference('!7', 'merge_request'), {
        kind: 'merge_request',
        projectPath: 'group/app',
        id: 7,
        url: `${gitlab.url}/group/app/-/merge_requests/7`,
        label: 'group/app!7',
      });
    });

    it('uses the first remote when there is no origin', async () => {
      const dir = workspace();
      git(dir, 'remote', 'add', 'upstream', `${gitlab.url}/group/sub/lib.git`);
      const local = forgeAs('glpat-alice-0123456789', dir);
      assert.equal((await local.resolveReference('#3')).label, 'group/sub/lib#3');
    });

    it('asks for the full form when the remote is elsewhere', async () => {
      const local = forgeAs('glpat-alice-0123456789', workspace('git@github.com:group/app.git'));
      const error = await rejection(local.resolveReference('!7'));
      assert.match(
        error.message,
        /git remote points at github\.com, not at tandem\.gitlab\.url .*use the full form, e\.g\. group\/app!7/,
      );
    });

    it('asks for the full form when there is no remote', async () => {
      const local = forgeAs('glpat-alice-0123456789', workspace());
      const error = await rejection(local.resolveReference('!7'));
      assert.match(error.message, /has no git remote to take it from: use the full form/);
    });
  });

  describe('pipelines, issues and branches', () => {
    let pipeline: { id: number; jobIds: number[] };

    before(() => {
      pipeline = gitlab.addPipeline({
        project: 'group/app',
        ref: 'fix-math',
        status: 'failed',
        jobs: [
          { name: 'lint', stage: 'test', status: 'success' },
          { name: 'unit', stage: 'test', status: 'failed', trace: 'old attempt', retried: true },
          {
            name: 'unit',
            stage: 'test',
            status: 'failed',
            trace: '\u001b[31mAssertionError: 1 !== 2\u001b[0m\n',
          },
        ],
      });
      gitlab.addIssue({
        project: 'group/app',
        iid: 12,
        title: 'Division is missing',
        description: 'Add `div`.',
        author: 'bob',
        labels: ['feature'],
        notes: [
          { author: 'bob', body: 'First' },
          { author: 'alice', body: 'changed the description', system: true },
          { author: 'alice', body: 'Third' },
        ],
      });
    });

    it('reads a pipeline and only its latest failed jobs', async () => {
      const info = await forge.getPipeline('group/app', pipeline.id);
      assert.deepEqual(info, {
        id: pipeline.id,
        status: 'failed',
        ref: 'fix-math',
        sha: refs.headSha,
        source: 'push',
        webUrl: `${gitlab.url}/group/app/-/pipelines/${pipeline.id}`,
      });
      const failed = await forge.getPipelineJobs('group/app', pipeline.id, { failedOnly: true });
      assert.deepEqual(
        failed.map((j) => [j.id, j.name, j.status, j.failureReason]),
        [[pipeline.jobIds[2], 'unit', 'failed', 'script_failure']],
      );
      assert.equal((await forge.getPipelineJobs('group/app', pipeline.id)).length, 2);
      assert.equal(
        await forge.getJobTrace('group/app', failed[0].id),
        '\u001b[31mAssertionError: 1 !== 2\u001b[0m\n',
      );
    });

    it('reads an issue and its notes oldest first, and comments on it', async () => {
      assert.deepEqual(await forge.getIssue('group/app', 12), {
        iid: 12,
        title: 'Division is missing',
        description: 'Add `div`.',
        state: 'opened',
        labels: ['feature'],
        author: 'bob',
        webUrl: `${gitlab.url}/group/app/-/issues/12`,
      });
      const notes = await forge.getIssueNotes('group/app', 12);
      assert.deepEqual(
        notes.map((n) => [n.author, n.body, n.system]),
        [
          ['bob', 'First', false],
          ['alice', 'changed the description', true],
          ['alice', 'Third', false],
        ],
      );
      const posted = await forge.createIssueNote('group/app', 12, 'Working on it.');
      assert.equal(posted.url, `${gitlab.url}/group/app/-/issues/12#note_${posted.id}`);
      assert.equal(gitlab.notes({ noteable: 'issue' }).at(-1)?.body, 'Working on it.');
    });

    it('reads a branch, and null for a missing one', async () => {
      const branch = await forge.getBranch('group/app', 'fix-math');
      assert.deepEqual(branch && { name: branch.name, sha: branch.commitSha }, {
        name: 'fix-math',
        sha: refs.headSha,
      });
      assert.equal(await forge.getBranch('group/app', 'no/such-branch'), null);
    });
  });
});

/** A port nothing listens on: bind one, then release it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
