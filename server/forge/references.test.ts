import assert from 'node:assert/strict';
import type { ReferenceKind } from '../protocol';
import { ForgeError, type ResolvedReference } from './forge';
import { parseRemoteUrl, type GitRemote } from './git-remote';
import { parseReference, resolveParsedReference, type ParsedReference } from './references';

type Outcome<T> = T | { error: RegExp };

function expectOutcome<T>(run: () => T, expected: Outcome<T>): void {
  if (expected && typeof expected === 'object' && 'error' in expected) {
    assert.throws(run, (error: unknown) => {
      assert.ok(error instanceof ForgeError, `expected a ForgeError, got ${String(error)}`);
      assert.match(error.message, expected.error);
      return true;
    });
  } else {
    assert.deepEqual(run(), expected);
  }
}

describe('parseReference', () => {
  function check(input: string, expected: Outcome<ParsedReference>, kind?: ReferenceKind) {
    it(`${title(input)}${kind ? ` as ${kind}` : ''}`, () => {
      expectOutcome(() => parseReference(input, kind), expected);
    });
  }
  const mr = (projectPath?: string, host?: string) => ({
    kind: 'merge_request' as const,
    ...(host && { host }),
    ...(projectPath && { projectPath }),
    id: 7,
  });
  const unreadable = { error: /^Cannot read ".*" as a GitLab reference: use a merge request/ };

  describe('URLs', () => {
    check('https://gitlab.com/group/app/-/merge_requests/7', mr('group/app', 'gitlab.com'));
    check('https://gitlab.com/group/sub/app/-/merge_requests/7', mr('group/sub/app', 'gitlab.com'));
    check('https://gitlab.com/group/app/-/merge_requests/7/diffs', mr('group/app', 'gitlab.com'));
    check('https://gitlab.com/group/app/-/merge_requests/7#note_1', mr('group/app', 'gitlab.com'));
    check(
      'https://gitlab.com/group/app/-/merge_requests/7/diffs?commit_id=abc#note_9',
      mr('group/app', 'gitlab.com'),
    );
    check('https://gitlab.com/group/app/-/merge_requests/7/', mr('group/app', 'gitlab.com'));
    check('https://gitlab.com/group/app/merge_requests/7', mr('group/app', 'gitlab.com'));
    check('https://GitLab.com/group/app/-/merge_requests/7', mr('group/app', 'gitlab.com'));
    check('http://127.0.0.1:8080/group/app/-/merge_requests/7', mr('group/app', '127.0.0.1:8080'));
    check('https://gitlab.com:443/group/app/-/merge_requests/7', mr('group/app', 'gitlab.com'));
    check('https://gitlab.com/my.group/app-1_x/-/issues/12', {
      kind: 'issue',
      host: 'gitlab.com',
      projectPath: 'my.group/app-1_x',
      id: 12,
    });
    check('https://gitlab.com/group/app/-/work_items/12', {
      kind: 'issue',
      host: 'gitlab.com',
      projectPath: 'group/app',
      id: 12,
    });
    check('https://gitlab.com/group/app/-/pipelines/123', {
      kind: 'pipeline',
      host: 'gitlab.com',
      projectPath: 'group/app',
      id: 123,
    });
    check('https://gitlab.com/group/app/-/pipelines/123/failures', {
      kind: 'pipeline',
      host: 'gitlab.com',
      projectPath: 'group/app',
      id: 123,
    });
    check('  <https://gitlab.com/group/app/-/merge_requests/7>  ', mr('group/app', 'gitlab.com'));
    check('https://gitlab.com/group/app/-/merge_requests/7.', mr('group/app', 'gitlab.com'));
    check('https://evil.example/group/app/-/merge_requests/7', mr('group/app', 'evil.example'));
  });

  describe('short forms', () => {
    check('group/app!7', mr('group/app'));
    check('group/sub/app!7', mr('group/sub/app'));
    check('!7', mr());
    check('`group/app!7`', mr('group/app'));
    check('group/app#12', { kind: 'issue', projectPath: 'group/app', id: 12 });
    check('#12', { kind: 'issue', id: 12 });
    check('group/app/-/pipelines/123', { kind: 'pipeline', projectPath: 'group/app', id: 123 });
    check('group/app/-/merge_requests/7', mr('group/app'));
    check('group/app pipeline 123', { kind: 'pipeline', projectPath: 'group/app', id: 123 });
    check('group/app pipeline #123', { kind: 'pipeline', projectPath: 'group/app', id: 123 });
    check('pipeline 123', { kind: 'pipeline', id: 123 });
    check('123', { kind: 'pipeline', id: 123 }, 'pipeline');
    check('123', unreadable);
  });

  describe('kind hints', () => {
    check('group/app!7', mr('group/app'), 'merge_request');
    check(
      'group/app#12',
      { error: /^"group\/app#12" is an issue, but Code Review needs a merge request/ },
      'merge_request',
    );
    check('!7', { error: /is a merge request, but Implement Issue needs an issue/ }, 'issue');
    check(
      'https://gitlab.com/group/app/-/merge_requests/7',
      { error: /but Fix Pipeline needs a pipeline/ },
      'pipeline',
    );
    check('#123', { error: /is an issue, but Fix Pipeline needs a pipeline/ }, 'pipeline');
    check(
      'xyz',
      {
        error:
          /^Cannot read "xyz" as a merge request reference: use a URL such as https:\/\/gitlab\.com\/group\/app\/-\/merge_requests\/7 or group\/app!7\.$/,
      },
      'merge_request',
    );
  });

  describe('hostile and malformed input', () => {
    check('', unreadable);
    check('xyz', unreadable);
    check('!0', unreadable);
    check('!-1', unreadable);
    check('!1e3', unreadable);
    check('!7!8', unreadable);
    check('group/app!7 and more', unreadable);
    check('group/app!7\nrm -rf /', unreadable);
    check('app!7', unreadable);
    check('group//app!7', unreadable);
    check('../etc/passwd!7', unreadable);
    check('group/../app!7', unreadable);
    check('group/app.!7', unreadable);
    check('-group/app!7', unreadable);
    check('ｇroup/app!7', unreadable);
    check('group/app!9999999999999999', unreadable);
    check('group/app!' + '9'.repeat(400), unreadable);
    check('javascript:alert(1)//gitlab.com/group/app/-/merge_requests/7', unreadable);
    check('file:///group/app/-/merge_requests/7', unreadable);
    check('ftp://gitlab.com/group/app/-/merge_requests/7', unreadable);
    check('https://gitlab.com/group/app/-/merge_requests/seven', unreadable);
    check('https://gitlab.com/group/app/-/jobs/7', unreadable);
    check('https://gitlab.com/-/merge_requests/7', unreadable);
    check('https://gitlab.com/group%2Fapp/-/merge_requests/7', unreadable);
    check('https://gitlab.com/' + 'a/'.repeat(2000) + '-/merge_requests/7', unreadable);
    check('https://oauth2:glpat-secret@gitlab.com/group/app/-/jobs/1', {
      error: /^Cannot read "https:\/\/gitlab\.com\/group\/app\/-\/jobs\/1" as a GitLab reference/,
    });
  });
});

describe('resolveParsedReference', () => {
  function check(
    input: string,
    context: { gitlabUrl: string; remote?: GitRemote | null },
    expected: Outcome<Partial<ResolvedReference>>,
  ) {
    it(`${JSON.stringify(input)} on ${context.gitlabUrl}${context.remote ? ` with remote ${context.remote.host}` : ''}`, () => {
      expectOutcome(() => {
        const resolved = resolveParsedReference(parseReference(input), input, context);
        return 'error' in expected ? resolved : pick(resolved, Object.keys(expected));
      }, expected);
    });
  }
  const gitlab = { gitlabUrl: 'https://gitlab.com' };
  const remote = (
    host: string,
    projectPath: string,
    transport: GitRemote['transport'] = 'http',
  ) => ({
    host,
    projectPath,
    transport,
  });

  check('https://gitlab.com/group/app/-/merge_requests/7#note_1', gitlab, {
    kind: 'merge_request',
    projectPath: 'group/app',
    id: 7,
    url: 'https://gitlab.com/group/app/-/merge_requests/7',
    label: 'group/app!7',
  });
  check('https://gitlab.com/group/app/-/work_items/12', gitlab, {
    url: 'https://gitlab.com/group/app/-/issues/12',
    label: 'group/app#12',
  });
  check(
    'group/app pipeline 123',
    { gitlabUrl: 'http://127.0.0.1:8080/' },
    {
      url: 'http://127.0.0.1:8080/group/app/-/pipelines/123',
      label: 'group/app pipeline 123',
    },
  );
  check(
    'https://example.com/gitlab/group/app/-/merge_requests/7',
    { gitlabUrl: 'https://example.com/gitlab' },
    {
      projectPath: 'group/app',
      url: 'https://example.com/gitlab/group/app/-/merge_requests/7',
    },
  );
  check(
    'https://example.com/other/group/app/-/merge_requests/7',
    { gitlabUrl: 'https://example.com/gitlab' },
    {
      error: /is not under tandem\.gitlab\.url \(https:\/\/example\.com\/gitlab\)/,
    },
  );

  describe('refuses other hosts, because the token goes wherever the reference points', () => {
    const refused = {
      error:
        /^Refusing a reference on evil\.example: tandem\.gitlab\.url is https:\/\/gitlab\.com, and the GitLab token is only ever sent there/,
    };
    check('https://evil.example/group/app/-/merge_requests/7', gitlab, refused);
    check('https://gitlab.com.evil.example/group/app/-/merge_requests/7', gitlab, {
      error: /^Refusing a reference on gitlab\.com\.evil\.example/,
    });
    check('https://gitlab.com@evil.example/group/app/-/merge_requests/7', gitlab, refused);
    check('https://gitlab.com:8443/group/app/-/merge_requests/7', gitlab, {
      error: /^Refusing a reference on gitlab\.com:8443/,
    });
    check(
      'http://127.0.0.1:9999/group/app/-/merge_requests/7',
      { gitlabUrl: 'http://127.0.0.1:8080' },
      {
        error: /tandem\.gitlab\.url is http:\/\/127\.0\.0\.1:8080/,
      },
    );
    check('https://gitlаb.com/group/app/-/merge_requests/7', gitlab, {
      error: /^Refusing a reference on xn--/,
    });
  });

  describe('short forms take the project from the git remote', () => {
    check(
      '!7',
      { ...gitlab, remote: remote('gitlab.com', 'group/app') },
      {
        projectPath: 'group/app',
        url: 'https://gitlab.com/group/app/-/merge_requests/7',
        label: 'group/app!7',
      },
    );
    check(
      '#12',
      { ...gitlab, remote: remote('gitlab.com', 'group/sub/app', 'ssh') },
      { label: 'group/sub/app#12' },
    );
    check(
      '!7',
      { gitlabUrl: 'http://127.0.0.1:8080', remote: remote('127.0.0.1:8080', 'group/app') },
      {
        url: 'http://127.0.0.1:8080/group/app/-/merge_requests/7',
      },
    );
    check(
      '!7',
      {
        gitlabUrl: 'https://example.com/gitlab',
        remote: remote('example.com', 'gitlab/group/app'),
      },
      {
        projectPath: 'group/app',
      },
    );
    check(
      '!7',
      {
        gitlabUrl: 'https://gitlab.example.com:8443',
        remote: remote('gitlab.example.com', 'group/app', 'ssh'),
      },
      {
        projectPath: 'group/app',
      },
    );
    check('!7', gitlab, {
      error:
        /^"!7" does not name a project, and the workspace has no git remote .* use the full form, e\.g\. group\/app!7/,
    });
    check(
      '!7',
      { ...gitlab, remote: remote('github.com', 'group/app', 'ssh') },
      {
        error:
          /git remote points at github\.com, not at tandem\.gitlab\.url \(gitlab\.com\): use the full form/,
      },
    );
    check(
      '!7',
      { gitlabUrl: 'http://127.0.0.1:8080', remote: remote('127.0.0.1:9090', 'group/app') },
      {
        error: /points at 127\.0\.0\.1:9090/,
      },
    );
  });
});

describe('parseRemoteUrl', () => {
  function check(url: string, expected: GitRemote | null) {
    it(JSON.stringify(url), () => assert.deepEqual(parseRemoteUrl(url), expected));
  }
  check('https://gitlab.com/group/sub/app.git', {
    host: 'gitlab.com',
    projectPath: 'group/sub/app',
    transport: 'http',
  });
  check('https://gitlab.com/group/app', {
    host: 'gitlab.com',
    projectPath: 'group/app',
    transport: 'http',
  });
  check('https://gitlab.com/group/app/', {
    host: 'gitlab.com',
    projectPath: 'group/app',
    transport: 'http',
  });
  check('http://127.0.0.1:8080/group/app.git', {
    host: '127.0.0.1:8080',
    projectPath: 'group/app',
    transport: 'http',
  });
  check('https://oauth2:glpat-secret@gitlab.com/group/app.git', {
    host: 'gitlab.com',
    projectPath: 'group/app',
    transport: 'http',
  });
  check('git@gitlab.com:group/app.git', {
    host: 'gitlab.com',
    projectPath: 'group/app',
    transport: 'ssh',
  });
  check('gitlab.com:group/app.git', {
    host: 'gitlab.com',
    projectPath: 'group/app',
    transport: 'ssh',
  });
  check('ssh://git@host.example:2222/group/app.git', {
    host: 'host.example',
    projectPath: 'group/app',
    transport: 'ssh',
  });
  check('ssh://git@gitlab.com/group/sub/app.git\n', {
    host: 'gitlab.com',
    projectPath: 'group/sub/app',
    transport: 'ssh',
  });
  check('/srv/repos/app.git', null);
  check('file:///srv/repos/group/app.git', null);
  check('C:\\repos\\app', null);
  check('https://gitlab.com/app.git', null);
  check('git@gitlab.com:~user/app.git', null);
  check('', null);
});

function title(input: string): string {
  return JSON.stringify(
    input.length > 90 ? `${input.slice(0, 60)}… (${input.length} chars)` : input,
  );
}

function pick<T extends object>(value: T, keys: string[]): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([key]) => keys.includes(key)),
  ) as Partial<T>;
}
