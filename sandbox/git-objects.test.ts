import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GitBatch, nulTerminated } from './git-batch';
import { LooseObjects, ObjectReader, parseTree, serializeTree, TREE_MODE } from './git-objects';

function git(cwd: string, args: string[], input?: string | Buffer): string {
  return execFileSync('git', args, {
    cwd,
    input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: cwd, LC_ALL: 'C', GIT_CONFIG_NOSYSTEM: '1' },
  });
}

describe('git objects written without git, read through running git processes', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'tandem-objects-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const format of ['sha1', 'sha256'] as const) {
    it(`writes blobs, trees and commits git reads as its own (${format})`, async () => {
      git(dir, ['init', '-q', `--object-format=${format}`]);
      const objects = new LooseObjects(path.join(dir, '.git', 'objects'), format);
      const content = Buffer.from([0, 1, 2, 255, 10, 13, 0]);
      const blob = objects.write('blob', content);
      fs.writeFileSync(path.join(dir, 'f.bin'), content);
      assert.equal(git(dir, ['hash-object', 'f.bin']).trim(), blob, 'the id git gives it');
      assert.ok(execFileSync('git', ['cat-file', 'blob', blob], { cwd: dir }).equals(content));
      // Names sort as git sorts them: a folder as if its name ended in "/".
      const sub = objects.write('tree', serializeTree([{ mode: '100644', name: 'x', oid: blob }]));
      const entries = [
        { mode: '100644', name: 'a.b', oid: blob },
        { mode: TREE_MODE, name: 'a', oid: sub },
        { mode: '100755', name: 'a-', oid: blob },
        { mode: '100644', name: Buffer.from('ü').toString('latin1'), oid: blob },
      ];
      const tree = objects.write('tree', serializeTree(entries));
      assert.equal(git(dir, ['fsck', '--strict', '--no-dangling']), '', 'fsck finds nothing wrong');
      assert.deepEqual(
        git(dir, ['-c', 'core.quotePath=false', 'ls-tree', '--name-only', tree]).split('\n'),
        ['a-', 'a.b', 'a', 'ü', ''],
      );
      const commit = objects.write(
        'commit',
        Buffer.from(`tree ${tree}\nauthor a <a@a> 1 +0000\ncommitter a <a@a> 1 +0000\n\nm\n`),
      );
      git(dir, ['update-ref', 'refs/x', commit]);
      assert.equal(git(dir, ['rev-parse', 'refs/x^{tree}']).trim(), tree);
      const made = git(dir, ['mktree'], git(dir, ['ls-tree', tree])).trim();
      assert.equal(made, tree, 'git makes the same tree from the same entries');
      const raw = execFileSync('git', ['cat-file', 'tree', tree], { cwd: dir });
      assert.ok(serializeTree(parseTree(raw, format)).equals(raw), 'read and written back alike');

      const reader = new ObjectReader(new GitBatch(dir, ['cat-file', '--batch']), format);
      try {
        assert.equal((await reader.entry(tree, ['a', 'x']))?.oid, blob);
        assert.equal(await reader.entry(tree, ['a', 'missing']), undefined);
        const edited = await reader.edit(
          tree,
          [
            [['a', 'x'], null],
            [['new', 'deep', 'y'], { mode: '100644', oid: blob }],
          ],
          objects,
        );
        assert.deepEqual(
          git(dir, ['-c', 'core.quotePath=false', 'ls-tree', '-r', '--name-only', edited]).split(
            '\n',
          ),
          ['a-', 'a.b', 'new/deep/y', 'ü', ''],
        );
        assert.equal(git(dir, ['fsck', '--strict', '--no-dangling']), '');
        await assert.rejects(reader.tree(blob), /not a tree/);
        await assert.rejects(reader.read('0'.repeat(format === 'sha1' ? 40 : 64)), /no object/);
      } finally {
        reader.close();
      }
    });
  }

  it('a running git answers requests sent together in order, is started again after it died, and not after close', async () => {
    git(dir, ['init', '-q']);
    fs.writeFileSync(path.join(dir, '.gitignore'), '*.log\n');
    const batch = new GitBatch(dir, ['check-ignore', '--stdin', '-z', '-v', '-n']);
    try {
      const ask = (file: string) =>
        batch.request(`${file}\0`, nulTerminated(4)).then((b) => b.toString().split('\0')[3]);
      const paths = ['a.log', 'b.txt', 'c/d.log', 'e'];
      assert.deepEqual(await Promise.all(paths.map(ask)), paths);
      const ignored = await batch.request('x.log\0', nulTerminated(4));
      assert.equal(ignored.toString().split('\0')[2], '*.log');
      const killed = batch.request('y.txt', nulTerminated(4));
      // The process dies before it answers: the request fails, saying so.
      process.kill(batch.pid as number, 'SIGKILL');
      await assert.rejects(killed, /git check-ignore ended/);
      assert.equal(await ask('again.txt'), 'again.txt', 'started again');
      const pid = batch.pid as number;
      batch.close();
      // Closed for good: nothing starts it again.
      await assert.rejects(ask('late.txt'), /was closed/);
      assert.equal(batch.pid, undefined);
      const alive = () => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      for (let waited = 0; alive() && waited < 10_000; waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(alive(), false, 'the process ended');
    } finally {
      batch.close();
    }
    const refs = new GitBatch(dir, ['update-ref', '--stdin', '-z']);
    try {
      await assert.rejects(
        refs.request('start\0create refs/x\0not-an-id\0commit\0', nulTerminated(1)),
        /git update-ref ended \(exit code 128\): fatal: .*not-an-id/,
      );
    } finally {
      refs.close();
    }
  });
});
