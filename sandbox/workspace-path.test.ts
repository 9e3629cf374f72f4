import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FakeSandbox } from '../test/support/fake-sandbox';
import { SandboxError } from './sandbox';
import { containerPath, resolveWorkspacePath, type ResolveOptions } from './workspace-path';

describe('workspace path confinement', () => {
  let sandbox: FakeSandbox;

  before(async () => {
    sandbox = await FakeSandbox.create({ 'src/a.ts': 'a\n', 'docs/readme.md': 'hi\n' });
    const link = (target: string, name: string) =>
      fs.symlinkSync(target, path.join(sandbox.worktree, name));
    fs.writeFileSync(path.join(sandbox.outside, 'secret.txt'), 'secret\n');
    link('/etc', 'etc-link');
    link('/etc/passwd', 'passwd-link');
    link(path.join(sandbox.outside, 'secret.txt'), 'secret-link');
    link('../..', 'up-link');
    link(path.join(sandbox.outside, 'nowhere'), 'dangling-link');
    link('src', 'src-link');
    link('.git', 'git-link');
  });
  after(() => sandbox.dispose());

  describe('refuses', () => {
    const cases: [string, string, SandboxError['code'], ResolveOptions?][] = [
      ['a parent escape', '../x', 'path_outside'],
      ['an escape after a detour', 'a/../../x', 'path_outside'],
      ['the parent itself', '..', 'path_outside'],
      ['an absolute path outside', '/etc/passwd', 'path_outside'],
      ['the container root', '/', 'path_outside'],
      ['a container path that escapes', '/workspaces/app/../other/x', 'path_outside'],
      ['a NUL byte', 'src/a.ts\0.png', 'invalid'],
      ['a symlink to /etc', 'etc-link', 'path_outside'],
      ['a file below a symlink to /etc', 'etc-link/passwd', 'path_outside'],
      ['a new file below a symlink to /etc', 'etc-link/new.conf', 'path_outside', { write: true }],
      ['a symlink to /etc/passwd', 'passwd-link', 'path_outside'],
      ['a symlink to a file next to the worktree', 'secret-link', 'path_outside'],
      ['a relative symlink climbing out', 'up-link/secret.txt', 'path_outside'],
      ['a dangling symlink (a write would create its target)', 'dangling-link', 'path_outside'],
      ['writing into .git', '.git/config', 'path_outside', { write: true }],
      ['writing the .git entry itself', '.git', 'path_outside', { write: true }],
      ['writing a nested .git', 'vendor/lib/.git/HEAD', 'path_outside', { write: true }],
      ['writing .GIT on a case-insensitive disk', '.GIT/config', 'path_outside', { write: true }],
      ['writing through a symlink to .git', 'git-link/config', 'path_outside', { write: true }],
    ];
    for (const [name, given, code, options] of cases) {
      it(name, async () => {
        await assert.rejects(resolveWorkspacePath(sandbox, given, options), (error: unknown) => {
          assert.ok(error instanceof SandboxError, String(error));
          assert.equal(error.code, code);
          assert.ok(!error.message.includes('\0'), 'the message must not echo a NUL byte');
          return true;
        });
      });
    }
  });

  describe('accepts', () => {
    const cases: [string, string, string, ResolveOptions?][] = [
      ['a relative file', 'src/a.ts', 'src/a.ts'],
      ['a leading ./', './src/a.ts', 'src/a.ts'],
      ['a detour that stays inside', 'src/../docs/readme.md', 'docs/readme.md'],
      ['the root as empty', '', '.'],
      ['the root as .', '.', '.'],
      ['a container path', '/workspaces/app/src/a.ts', 'src/a.ts'],
      ['the container workspace itself', '/workspaces/app', '.'],
      ['a new file in a new directory', 'lib/deep/new.ts', 'lib/deep/new.ts', { write: true }],
      ['a symlink that stays inside', 'src-link/a.ts', 'src-link/a.ts'],
      ['reading inside .git', '.git/HEAD', '.git/HEAD'],
      ['a name merely starting with ..', '..hidden', '..hidden'],
      ['a .gitignore file for writing', '.gitignore', '.gitignore', { write: true }],
    ];
    for (const [name, given, relative, options] of cases) {
      it(name, async () => {
        const resolved = await resolveWorkspacePath(sandbox, given, options);
        assert.equal(resolved.relative, relative);
        assert.equal(resolved.absolute, path.resolve(sandbox.worktree, relative));
      });
    }

    it('an absolute host path inside the worktree', async () => {
      const resolved = await resolveWorkspacePath(sandbox, path.join(sandbox.worktree, 'src/a.ts'));
      assert.equal(resolved.relative, 'src/a.ts');
    });
  });

  it('throws a machinery failure, not a model-facing one, when the worktree is gone', async () => {
    const gone = { worktree: path.join(sandbox.outside, 'removed'), workspaceFolder: '/w' };
    await assert.rejects(resolveWorkspacePath(gone, 'a.ts'), (error: unknown) => {
      assert.ok(error instanceof SandboxError);
      assert.equal(error.code, 'container_gone');
      assert.match(error.message, /worktree .* is gone; start the session again/);
      return true;
    });
  });

  it('maps workspace paths into the container', () => {
    assert.equal(containerPath('/workspaces/app', '.'), '/workspaces/app');
    assert.equal(containerPath('/workspaces/app', 'src/lib'), '/workspaces/app/src/lib');
  });
});
