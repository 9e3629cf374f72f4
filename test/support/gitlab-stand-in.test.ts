import assert from 'node:assert/strict';
import { GitLabStandIn } from './gitlab-stand-in';
import { diffHunks, formatHunks } from './unified-diff';

const TOKEN = 'glpat-alice-0123456789';

type Json = Record<string, unknown>;

async function json<T = Json>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

describe('GitLab stand-in on the wire', () => {
  let gitlab: GitLabStandIn;
  let refs: { baseSha: string; startSha: string; headSha: string };

  before(async () => {
    gitlab = await GitLabStandIn.start();
    gitlab.addUser({ username: 'alice', token: TOKEN });
    gitlab.addUser({ username: 'eve', token: 'glpat-eve-0123456789' });
    gitlab.addProject({ path: 'group/app' });
    gitlab.addMember({ path: 'group', username: 'alice', level: 30 });
    const files = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`f${i}.txt`, `${i}\n`]));
    refs = gitlab.addMergeRequest({
      project: 'group/app',
      iid: 1,
      title: 'Five files',
      author: 'alice',
      base: { 'f0.txt': 'zero\n' },
      head: files,
    });
  });

  after(async () => {
    await gitlab.stop();
    assert.deepEqual(gitlab.errors, []);
  });

  const api = (path: string, init: RequestInit & { token?: string | null } = {}) => {
    const headers = new Headers(init.headers);
    if (init.token !== null) headers.set('PRIVATE-TOKEN', init.token ?? TOKEN);
    return fetch(`${gitlab.url}/api/v4${path}`, { ...init, headers });
  };

  describe('authentication', () => {
    function check(name: string, init: Parameters<typeof api>[1], status: number) {
      it(name, async () => {
        const response = await api('/user', init);
        assert.equal(response.status, status);
        const body = await json(response);
        if (status === 401) assert.deepEqual(body, { message: '401 Unauthorized' });
        else assert.equal(body.username, 'alice');
      });
    }
    check('accepts PRIVATE-TOKEN', {}, 200);
    check(
      'accepts Authorization: Bearer',
      { token: null, headers: { authorization: `Bearer ${TOKEN}` } },
      200,
    );
    check('refuses a missing token', { token: null }, 401);
    check('refuses a wrong token', { token: 'glpat-nope' }, 401);
  });

  it('finds projects by id or encoded path, hides private ones, and 404s unknown routes', async () => {
    const byId = await json(await api('/projects/1'));
    const byPath = await json(await api('/projects/group%2Fapp'));
    assert.deepEqual(byId, byPath);
    assert.equal(byPath.path_with_namespace, 'group/app');
    const hidden = await api('/projects/group%2Fapp', { token: 'glpat-eve-0123456789' });
    assert.deepEqual(
      [hidden.status, await json(hidden)],
      [404, { message: '404 Project Not Found' }],
    );
    const unencoded = await api('/projects/group/app');
    assert.deepEqual([unencoded.status, await json(unencoded)], [404, { error: '404 Not Found' }]);
  });

  it('paginates with GitLab headers and a Link that keeps the query', async () => {
    const response = await api(
      '/projects/group%2Fapp/merge_requests/1/diffs?per_page=2&page=2&unidiff=false',
    );
    const body = await json<{ new_path: string }[]>(response);
    assert.deepEqual(
      body.map((d: { new_path: string }) => d.new_path),
      ['f2.txt', 'f3.txt'],
    );
    const header = (name: string) => response.headers.get(name);
    assert.deepEqual(
      ['x-page', 'x-per-page', 'x-next-page', 'x-prev-page', 'x-total', 'x-total-pages'].map(
        header,
      ),
      ['2', '2', '3', '1', '5', '3'],
    );
    const link = header('link') ?? '';
    assert.match(
      link,
      /<http:\/\/127\.0\.0\.1:\d+\/api\/v4\/projects\/group%2Fapp\/merge_requests\/1\/diffs\?per_page=2&page=3&unidiff=false>; rel="next"/,
    );
    assert.match(link, /page=1&unidiff=false>; rel="prev"/);
    assert.match(link, /rel="first"/);
    assert.match(link, /page=3&unidiff=false>; rel="last"/);
  });

  it('serves raw files as text/plain, and 404s missing ones', async () => {
    const raw = await api(`/projects/group%2Fapp/repository/files/f0.txt/raw?ref=${refs.baseSha}`);
    assert.equal(raw.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(await raw.text(), 'zero\n');
    const missing = await api(
      `/projects/group%2Fapp/repository/files/nope.txt/raw?ref=${refs.headSha}`,
    );
    assert.deepEqual(
      [missing.status, await json(missing)],
      [404, { message: '404 File Not Found' }],
    );
  });

  describe('diff positions in every encoding GitLab accepts', () => {
    const position = (line: Record<string, unknown>) => ({
      position_type: 'text',
      base_sha: refs.baseSha,
      start_sha: refs.startSha,
      head_sha: refs.headSha,
      old_path: 'f0.txt',
      new_path: 'f0.txt',
      ...line,
    });
    const post = (body: string | FormData, contentType?: string) =>
      api('/projects/group%2Fapp/merge_requests/1/discussions', {
        method: 'POST',
        body,
        headers: contentType ? { 'content-type': contentType } : {},
      });
    const form = (line: Record<string, unknown>) => {
      const entries = Object.entries(position(line)).map(([k, v]): [string, string] => [
        `position[${k}]`,
        String(v),
      ]);
      return [['body', 'Hi'], ...entries] as [string, string][];
    };

    it('JSON with numbers', async () => {
      const response = await post(
        JSON.stringify({ body: 'Hi', position: position({ new_line: 1 }) }),
        'application/json',
      );
      assert.equal(response.status, 201);
      type Note = { type: string; position: { new_line: number | null; old_line: number | null } };
      const discussion = await json<{ individual_note: boolean; notes: Note[] }>(response);
      assert.equal(discussion.individual_note, false);
      const note = discussion.notes[0];
      assert.deepEqual(
        [note.type, note.position.new_line, note.position.old_line],
        ['DiffNote', 1, null],
      );
    });

    it('URL-encoded', async () => {
      const response = await post(
        new URLSearchParams(form({ old_line: 1 })).toString(),
        'application/x-www-form-urlencoded',
      );
      assert.equal(response.status, 201);
    });

    it('multipart, and refuses a line outside the diff exactly as GitLab does', async () => {
      const body = new FormData();
      for (const [k, v] of form({ new_line: 2 })) body.append(k, v);
      const response = await post(body);
      assert.equal(response.status, 400);
      assert.deepEqual(await response.json(), {
        message:
          '400 Bad request - Note {:line_code=>["can\'t be blank", "must be a valid line code"]}',
      });
    });
  });

  it('injects failures for the given number of requests, with Retry-After', async () => {
    gitlab.failNext({ path: '/projects/group/app', status: 429, times: 2, retryAfter: 7 });
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const response = await api('/projects/group%2Fapp');
      statuses.push([response.status, response.headers.get('retry-after')]);
    }
    assert.deepEqual(statuses, [
      [429, '7'],
      [429, '7'],
      [200, null],
    ]);
    const logged = gitlab.requests.slice(-3).map((r) => [r.method, r.path, r.status]);
    assert.deepEqual(logged.at(-1), ['GET', '/api/v4/projects/group%2Fapp', 200]);
  });
});

describe('unified diff of the stand-in', () => {
  function check(name: string, before: string, after: string, expected: string) {
    it(name, () => assert.equal(formatHunks(diffHunks(before, after)), expected));
  }
  check('no change', 'a\nb\n', 'a\nb\n', '');
  check('new file', '', 'a\nb\n', '@@ -0,0 +1,2 @@\n+a\n+b\n');
  check('deleted file', 'a\n', '', '@@ -1 +0,0 @@\n-a\n');
  check(
    'missing newline at end',
    'a\nb',
    'a\nc',
    '@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n',
  );
  check('newline added at end', 'a', 'a\n', '@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n');
  const ten = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
  check(
    'two changes far apart make two hunks with three lines of context',
    `${ten.join('\n')}\n`,
    `${ten.map((l, i) => (i === 1 || i === 17 ? `${l}!` : l)).join('\n')}\n`,
    '@@ -1,5 +1,5 @@\n line 1\n-line 2\n+line 2!\n line 3\n line 4\n line 5\n' +
      '@@ -15,6 +15,6 @@\n line 15\n line 16\n line 17\n-line 18\n+line 18!\n line 19\n line 20\n',
  );

  it('rebuilds both files from the hunks, for many random edits', () => {
    let seed = 7;
    const random = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
    for (let round = 0; round < 300; round++) {
      const before = Array.from({ length: random(30) }, () => 'abcde'[random(5)]);
      const after = before.flatMap(
        (line) => [[], [line], [line, 'xyz'[random(3)]], ['z']][random(4)],
      );
      const [a, b] = [
        before.join('\n') + (random(4) ? '\n' : ''),
        after.join('\n') + (random(4) ? '\n' : ''),
      ];
      assert.deepEqual(
        rebuild(a, diffHunks(a, b)),
        { before: lines(a), after: lines(b) },
        `${JSON.stringify(a)} → ${JSON.stringify(b)}`,
      );
    }
  });

  const lines = (text: string) => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));

  /** Both sides, taking lines between hunks from the old file: what `patch` would produce. */
  function rebuild(text: string, hunks: ReturnType<typeof diffHunks>) {
    const old = lines(text);
    const result = { before: [] as string[], after: [] as string[] };
    const copyUnchanged = (from: number, to: number) => {
      result.before.push(...old.slice(from - 1, to - 1));
      result.after.push(...old.slice(from - 1, to - 1));
    };
    let next = 1;
    for (const hunk of hunks) {
      const start = hunk.oldCount ? hunk.oldStart : hunk.oldStart + 1;
      copyUnchanged(next, start);
      for (const line of hunk.lines) {
        if (line.type !== 'added') result.before.push(line.text);
        if (line.type !== 'removed') result.after.push(line.text);
      }
      next = start + hunk.oldCount;
    }
    copyUnchanged(next, old.length + 1);
    return result;
  }
});
