import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { tempDir } from '../../test/support/temp-dir';
import { readGitRemote, remoteUrls } from './git-remote';

describe('git remote from the repository config file', () => {
  const cases: [string, string, Record<string, string>][] = [
    [
      'one origin',
      '[remote "origin"]\n\turl = https://h/g/a.git\n',
      { origin: 'https://h/g/a.git' },
    ],
    [
      'several remotes, other sections between',
      '[core]\n\tbare = false\n[remote "up"]\n\turl = git@h:g/up.git\n[branch "main"]\n\turl = nope\n[remote "origin"]\n  url=https://h/g/a.git\n',
      { up: 'git@h:g/up.git', origin: 'https://h/g/a.git' },
    ],
    [
      'quoted value',
      '[remote "origin"]\n\turl = "https://h/g/a b.git"\n',
      { origin: 'https://h/g/a b.git' },
    ],
    ['no remote', '[core]\n\tbare = false\n', {}],
  ];
  for (const [name, config, expected] of cases) {
    it(name, () => assert.deepEqual(Object.fromEntries(remoteUrls(config)), expected));
  }

  it('finds the remote from a subfolder and from a linked worktree', async () => {
    const repo = tempDir('tandem-git-');
    try {
      const git = (...args: string[]) =>
        execFileSync('git', ['-C', repo.dir, ...args], { stdio: 'pipe' });
      git('init', '-q', '-b', 'main');
      git('remote', 'add', 'origin', 'https://gitlab.example.com/group/app.git');
      git(
        '-c',
        'user.email=t@example.com',
        '-c',
        'user.name=t',
        'commit',
        '-q',
        '--allow-empty',
        '-m',
        'x',
      );
      const worktree = path.join(repo.dir, 'wt');
      git('worktree', 'add', '-q', worktree);
      const expected = { host: 'gitlab.example.com', projectPath: 'group/app', transport: 'http' };
      assert.deepEqual(await readGitRemote(path.join(repo.dir, '.git', '..')), expected);
      assert.deepEqual(await readGitRemote(worktree), expected);
      assert.equal(await readGitRemote(path.parse(repo.dir).root), null);
    } finally {
      repo.cleanup();
    }
  });
});
