import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WorktreeCheckpoints } from './checkpoints';

function run(cwd: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: cwd, LC_ALL: 'C', GIT_CONFIG_NOSYSTEM: '1', ...env },
  });
}

/** The tree `git add --all` makes of the worktree as it is now (in an index of its own). */
function gitsTree(dir: string, leaving: string[] = []): string {
  const index = path.join(fs.mkdtempSync(path.join(tmpdir(), 'tandem-index-')), 'index');
  try {
    const excluded = leaving.map((file) => `:(exclude)${file}`);
    run(dir, ['add', '--all', '--', '.', ...excluded], { GIT_INDEX_FILE: index });
    return run(dir, ['write-tree'], { GIT_INDEX_FILE: index }).trim();
  } finally {
    fs.rmSync(path.dirname(index), { recursive: true, force: true });
  }
}

function treeOf(dir: string, commit: string): string {
  return run(dir, ['rev-parse', `${commit}^{tree}`]).trim();
}

/** Every file under `dir` (but .git) as path → sha256, with its mode's executable bit. */
function tree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name === '.git') continue;
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else {
        const exec = fs.statSync(full).mode & 0o100 ? '+x' : '';
        const hash = createHash('sha256').update(fs.readFileSync(full)).digest('hex').slice(0, 16);
        files[path.relative(dir, full)] = `${hash}${exec}`;
      }
    }
  };
  walk(dir);
  return files;
}

function write(dir: string, file: string, content: string | Buffer): void {
  fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  fs.writeFileSync(path.join(dir, file), content);
}

const BINARY = Buffer.from([0, 1, 2, 255, 254, 0, 10, 13, 0, 127, 128]);

describe('worktree checkpoints (real git)', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'tandem-checkpoints-'));
    run(dir, ['init', '-q', '-b', 'main']);
    write(dir, 'src/app.js', 'console.log(1);\n');
    write(dir, 'README.md', '# app\n');
    write(dir, 'assets/logo.bin', BINARY);
    write(dir, '.gitignore', 'node_modules/\n*.log\n');
    run(dir, ['add', '-A']);
    run(dir, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'base']);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a snapshot changes nothing: not the files, the index, HEAD or the branches', async () => {
    write(dir, 'src/app.js', 'console.log(2);\n');
    write(dir, 'new.txt', 'new\n');
    run(dir, ['add', 'new.txt']);
    const before = {
      files: tree(dir),
      status: run(dir, ['status', '--porcelain=v1']),
      head: run(dir, ['rev-parse', 'HEAD']),
      branches: run(dir, ['branch', '-a']),
      index: fs.readFileSync(path.join(dir, '.git', 'index')),
    };
    const checkpoints = new WorktreeCheckpoints(dir, 'session-1');
    const c = await checkpoints.snapshot('after edit_file src/app.js');
    assert.deepEqual(tree(dir), before.files);
    assert.equal(run(dir, ['status', '--porcelain=v1']), before.status);
    assert.equal(run(dir, ['rev-parse', 'HEAD']), before.head);
    assert.equal(run(dir, ['branch', '-a']), before.branches);
    assert.ok(fs.readFileSync(path.join(dir, '.git', 'index')).equals(before.index));
    assert.equal(c.ref, 'refs/tandem/sessions/session-1/checkpoints/000001');
    assert.equal(c.label, 'after edit_file src/app.js');
    assert.equal(run(dir, ['show', `${c.id}:src/app.js`]), 'console.log(2);\n');
    assert.equal(run(dir, ['show', `${c.id}:new.txt`]), 'new\n');
    assert.equal(run(dir, ['log', '--branches', '--tags', '--format=%H']).includes(c.id), false);
  });

  it('restores added, modified, deleted and binary files, and the restore undoes', async () => {
    const checkpoints = new WorktreeCheckpoints(dir, 's2');
    const first = await checkpoints.snapshot('start');
    const atFirst = tree(dir);

    write(dir, 'src/app.js', 'console.log("changed");\n'); // modified
    write(dir, 'src/deep/added.ts', 'export const x = 1;\n'); // added, in a new directory
    fs.rmSync(path.join(dir, 'README.md')); // deleted
    write(dir, 'assets/logo.bin', Buffer.concat([BINARY, BINARY])); // binary, modified
    write(dir, 'assets/new.bin', Buffer.from([0, 0, 0, 1])); // binary, added
    fs.chmodSync(path.join(dir, 'src/app.js'), 0o755); // mode
    write(dir, 'debug.log', 'ignored\n'); // ignored: never touched
    const edited = tree(dir);

    const { restored, undo } = await checkpoints.restore(first.id);
    assert.equal(restored.id, first.id);
    const after = tree(dir);
    assert.deepEqual({ ...after, 'debug.log': undefined }, { ...atFirst, 'debug.log': undefined });
    assert.equal(fs.readFileSync(path.join(dir, 'debug.log'), 'utf8'), 'ignored\n');
    assert.equal(fs.existsSync(path.join(dir, 'src/deep')), false, 'the emptied directory goes');

    // Undo: restore the checkpoint taken just before.
    const back = await checkpoints.restore(undo.id);
    assert.equal(back.restored.id, undo.id);
    assert.deepEqual(tree(dir), edited);
    // …and that restore is itself undoable.
    await checkpoints.restore(back.undo.id);
    assert.deepEqual(
      { ...tree(dir), 'debug.log': undefined },
      { ...atFirst, 'debug.log': undefined },
    );
    const labels = (await checkpoints.list()).map((c) => c.label);
    assert.deepEqual(labels, [
      'start',
      'before restoring start',
      'before restoring before restoring start',
      'before restoring before restoring before restoring start',
    ]);
  });

  it('writes nothing when nothing changed; a new instance (after a restart) carries on the chain', async () => {
    const checkpoints = new WorktreeCheckpoints(dir, 's6');
    const first = await checkpoints.snapshot('first');
    const again = await checkpoints.snapshot('again');
    assert.equal(again.id, first.id);
    assert.equal(again.unchanged, true);
    // Touched but the same content: still the same tree, so no new commit.
    write(dir, 'README.md', '# app\n');
    assert.equal((await checkpoints.snapshot('touched')).id, first.id);
    write(dir, 'src/app.js', 'console.log(4);\n');
    fs.rmSync(path.join(dir, 'assets/logo.bin'));
    const second = await checkpoints.snapshot('second');
    assert.notEqual(second.id, first.id);
    assert.equal(run(dir, ['show', `${second.id}:src/app.js`]), 'console.log(4);\n');
    assert.throws(() => run(dir, ['cat-file', '-e', `${second.id}:assets/logo.bin`]));
    // Restoring changes files behind the private index's back: the next snapshot still sees them.
    // The state before the restore is `second` itself: the undo point writes nothing new.
    assert.equal((await checkpoints.restore(first.id)).undo.id, second.id);
    const afterRestore = await checkpoints.snapshot('after restore');
    assert.equal(
      run(dir, ['rev-parse', `${afterRestore.id}^{tree}`]),
      run(dir, ['rev-parse', `${first.id}^{tree}`]),
    );

    const restarted = new WorktreeCheckpoints(dir, 's6');
    write(dir, 'src/app.js', 'console.log(5);\n');
    const third = await restarted.snapshot('third');
    assert.equal(run(dir, ['rev-parse', `${third.id}^`]).trim(), afterRestore.id);
    assert.deepEqual(
      (await restarted.list()).map((c) => c.label),
      ['first', 'second', 'after restore', 'third'],
    );
    assert.deepEqual(
      await Promise.all([restarted.snapshot('a'), restarted.snapshot('b')]).then((r) =>
        r.map((c) => c.id),
      ),
      [third.id, third.id],
      'snapshots taken at once are written one after the other',
    );
  });

  it('a worktree just checked out starts from its HEAD: no commit written; what follows builds on it', async () => {
    const checkpoints = new WorktreeCheckpoints(dir, 's7');
    const head = run(dir, ['rev-parse', 'HEAD']).trim();
    const base = await checkpoints.base('worktree created');
    assert.equal(base.id, head);
    assert.equal((await checkpoints.snapshot('nothing yet')).id, head, 'unchanged: HEAD still');
    write(dir, 'src/app.js', 'console.log(7);\n');
    const next = await checkpoints.snapshot('edited');
    assert.equal(run(dir, ['rev-parse', `${next.id}^`]).trim(), head);
    await checkpoints.restore(base.id);
    assert.equal(fs.readFileSync(path.join(dir, 'src/app.js'), 'utf8'), 'console.log(1);\n');
    assert.deepEqual(
      (await checkpoints.list()).map((c) => c.label),
      ['base', 'edited'],
      'the base is listed as HEAD’s own commit',
    );
    const empty = fs.mkdtempSync(path.join(tmpdir(), 'tandem-checkpoints-nohead-'));
    try {
      run(empty, ['init', '-q']);
      write(empty, 'a.txt', 'a\n');
      const first = await new WorktreeCheckpoints(empty, 's8').base('created');
      assert.equal(run(empty, ['show', `${first.id}:a.txt`]), 'a\n', 'no HEAD: a real snapshot');
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  it('leaves files over the size limit out, and a restore never touches them', async () => {
    const checkpoints = new WorktreeCheckpoints(dir, 's3', 1024);
    write(dir, 'data/big.bin', Buffer.alloc(4096, 7));
    const first = await checkpoints.snapshot('with a big file');
    assert.deepEqual(first.skipped, ['data/big.bin']);
    assert.throws(() => run(dir, ['cat-file', '-e', `${first.id}:data/big.bin`]));
    write(dir, 'data/big.bin', Buffer.alloc(8192, 9));
    write(dir, 'src/app.js', 'console.log(3);\n');
    await checkpoints.restore(first.id);
    assert.equal(fs.readFileSync(path.join(dir, 'src/app.js'), 'utf8'), 'console.log(1);\n');
    assert.equal(fs.statSync(path.join(dir, 'data/big.bin')).size, 8192, 'left as it was');
  });

  it('works in a repository without commits, and keeps each session to its own refs', async () => {
    const empty = fs.mkdtempSync(path.join(tmpdir(), 'tandem-checkpoints-empty-'));
    try {
      run(empty, ['init', '-q']);
      write(empty, 'a.txt', 'a\n');
      const one = new WorktreeCheckpoints(empty, 'one');
      const c1 = await one.snapshot('first');
      write(empty, 'a.txt', 'b\n');
      write(empty, 'b.txt', 'b\n');
      await one.snapshot('second');
      await one.restore(c1.id);
      assert.deepEqual(Object.keys(tree(empty)), ['a.txt']);
      assert.equal(fs.readFileSync(path.join(empty, 'a.txt'), 'utf8'), 'a\n');
      const other = new WorktreeCheckpoints(empty, 'other');
      assert.deepEqual(await other.list(), []);
      await assert.rejects(other.restore(c1.id), /No checkpoint .* in this session/);
      assert.throws(() => new WorktreeCheckpoints(empty, '../evil'), /Not a session id/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  it('a snapshot of the files a tool named is the tree git itself makes, written without git', async () => {
    const checkpoints = new WorktreeCheckpoints(dir, 'files');
    try {
      const base = await checkpoints.base('worktree created');
      // The base's ref, and the finding that the worktree is HEAD's, come after its answer.
      await checkpoints.idle();
      assert.equal((await checkpoints.list())[0]?.id, base.id);
      const step = async (label: string, files: string[]) => {
        const taken = checkpoints.taken.fromFiles;
        const checkpoint = await checkpoints.snapshot(label, { files });
        assert.equal(checkpoints.taken.fromFiles, taken + 1, `${label}: without git`);
        assert.equal(treeOf(dir, checkpoint.id), gitsTree(dir), `${label}: the tree git makes`);
        return checkpoint;
      };
      write(dir, 'src/app.js', 'console.log(2);\n');
      const edited = await step('edited', ['src/app.js']);
      assert.equal(run(dir, ['rev-parse', `${edited.id}^`]).trim(), base.id);
      write(dir, 'lib/deep/er/new.ts', 'export const x = 1;\n');
      write(dir, 'docs/ünïcode ✓.md', '# ✓\n');
      await step('new files, new folders', ['lib/deep/er/new.ts', './docs/ünïcode ✓.md']);
      write(dir, 'debug.log', 'ignored\n');
      write(dir, 'node_modules/x/index.js', 'ignored\n');
      write(dir, 'assets/more.bin', BINARY);
      const ignored = await step('ignored files stay out', [
        'debug.log',
        'node_modules/x/index.js',
        'assets/more.bin',
      ]);
      assert.throws(() => run(dir, ['cat-file', '-e', `${ignored.id}:debug.log`]));
      fs.writeFileSync(path.join(dir, 'src/run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
      const executable = await step('executable', ['src/run.sh']);
      assert.match(run(dir, ['ls-tree', executable.id, 'src/run.sh']), /^100755 blob /);
      fs.rmSync(path.join(dir, 'README.md'));
      fs.rmSync(path.join(dir, 'lib'), { recursive: true });
      await step('removed files, and a folder left empty', ['README.md', 'lib/deep/er/new.ts']);
      // Named but unchanged: the last checkpoint, nothing written.
      const again = await checkpoints.snapshot('same again', { files: ['src/app.js'] });
      assert.equal(again.unchanged, true);

      // Changes nobody named (a command ran) go through git, from the checkpoints above.
      write(dir, 'src/app.js', 'console.log(3);\n');
      write(dir, 'out/made.txt', 'made by a command\n');
      const taken = checkpoints.taken.withGit;
      const ran = await checkpoints.snapshot('a command ran');
      assert.equal(checkpoints.taken.withGit, taken + 1);
      assert.equal(treeOf(dir, ran.id), gitsTree(dir));
      assert.equal((await checkpoints.snapshot('nothing since')).id, ran.id);

      // A restore goes back to a checkpoint written without git, and undoes.
      const { undo } = await checkpoints.restore(executable.id);
      assert.equal(treeOf(dir, executable.id), gitsTree(dir));
      assert.ok(fs.statSync(path.join(dir, 'src/run.sh')).mode & 0o100);
      await checkpoints.restore(undo.id);
      assert.equal(treeOf(dir, ran.id), gitsTree(dir));

      // After a restore, and after a restart, nothing is known of the worktree: the first
      // snapshot goes through git; then files named are enough again.
      write(dir, 'src/app.js', 'console.log(4);\n');
      const afterRestore = await step('after a restore', ['src/app.js']).catch(() => undefined);
      assert.equal(afterRestore, undefined, 'the first snapshot after a restore is git’s');
      assert.equal(treeOf(dir, (await checkpoints.list()).at(-1)?.id ?? ''), gitsTree(dir));
      const restarted = new WorktreeCheckpoints(dir, 'files');
      try {
        const last = (await restarted.list()).at(-1)?.id;
        write(dir, 'src/app.js', 'console.log(5);\n');
        const first = await restarted.snapshot('after a restart', { files: ['src/app.js'] });
        assert.deepEqual(restarted.taken, { fromFiles: 0, withGit: 1 });
        assert.equal(run(dir, ['rev-parse', `${first.id}^`]).trim(), last);
        write(dir, 'src/app.js', 'console.log(6);\n');
        const next = await restarted.snapshot('and then', { files: ['src/app.js'] });
        assert.deepEqual(restarted.taken, { fromFiles: 1, withGit: 1 });
        assert.equal(treeOf(dir, next.id), gitsTree(dir));
        assert.equal(run(dir, ['rev-parse', `${next.id}^`]).trim(), first.id);
        assert.equal((await restarted.list()).at(-1)?.id, next.id, 'its ref is written');
        // Closed (the session ended): no process starts again; git's own commands still work.
        restarted.close();
        write(dir, 'src/app.js', 'console.log(7);\n');
        const closed = await restarted.snapshot('after close', { files: ['src/app.js'] });
        assert.deepEqual(restarted.taken, { fromFiles: 1, withGit: 2 });
        assert.equal(treeOf(dir, closed.id), gitsTree(dir));
      } finally {
        restarted.close();
      }
      assert.equal(run(dir, ['fsck', '--no-dangling']), '', 'the repository is sound');
    } finally {
      checkpoints.close();
    }
  });

  it('changes a command makes between snapshots of named files are found, rules too', async () => {
    const checkpoints = new WorktreeCheckpoints(dir, 'mixed');
    try {
      await checkpoints.base('worktree created');
      await checkpoints.idle();
      const same = async (label: string, files?: string[]) => {
        const checkpoint = await checkpoints.snapshot(label, { files });
        assert.equal(treeOf(dir, checkpoint.id), gitsTree(dir), label);
        return checkpoint;
      };
      write(dir, 'src/app.js', 'console.log(2);\n');
      await same('a tool edits', ['src/app.js']);
      // A command puts the file back as HEAD has it: the private index, which a snapshot of
      // named files does not write, has it so too; the checkpoint must not be the last one.
      run(dir, ['checkout', '--', 'src/app.js']);
      const undone = await same('a command undoes it');
      assert.equal(undone.unchanged, undefined);
      // A command changes the rules: new files are judged by the new ones.
      write(dir, '.gitignore', '*.log\n');
      await same('a command changes the ignore rules');
      write(dir, 'node_modules/x/index.js', 'now taken\n');
      await same('a file the old rules ignored', ['node_modules/x/index.js']);
      write(dir, '.gitattributes', '*.txt text\n');
      await same('a command adds attributes');
      write(dir, 'notes.txt', 'one\r\n');
      await same('a file they convert', ['notes.txt']);
      write(dir, 'memo', 'm\n');
      fs.appendFileSync(path.join(dir, '.gitignore'), 'memo\n');
      await same('more rules');
      write(dir, ':memo', 'not the ignored memo\n');
      const colon = await same('a name git could read as a pathspec', [':memo']);
      assert.equal(run(dir, ['show', `${colon.id}::memo`]), 'not the ignored memo\n');
      assert.ok(checkpoints.taken.fromFiles >= 2, JSON.stringify(checkpoints.taken));
    } finally {
      checkpoints.close();
    }
  });

  it('a crash right after the first checkpoint (before its ref is written) still resumes to it', async () => {
    const first = new WorktreeCheckpoints(dir, 'crashed');
    const base = await first.base('worktree created');
    // The server dies here: the base was answered (and recorded), its ref not yet written.
    first.close();
    assert.deepEqual(await new WorktreeCheckpoints(dir, 'crashed').list(), []);
    write(dir, 'src/app.js', 'console.log("left by the crash");\n');
    const resumed = new WorktreeCheckpoints(dir, 'crashed');
    try {
      const found = await resumed.snapshot('found at resume');
      await resumed.restore(base.id);
      assert.equal(fs.readFileSync(path.join(dir, 'src/app.js'), 'utf8'), 'console.log(1);\n');
      await resumed.restore(found.id);
      assert.match(fs.readFileSync(path.join(dir, 'src/app.js'), 'utf8'), /left by the crash/);
      // Only commits of the worktree's own branch stand in for a missing ref.
      const identity = ['-c', 'user.name=t', '-c', 'user.email=t@t'];
      const other = run(dir, [...identity, 'commit-tree', '-m', 'x', `${base.id}^{tree}`]).trim();
      await assert.rejects(resumed.restore(other), /No checkpoint/);
    } finally {
      resumed.close();
    }
  });

  it('files git would convert, links, rule files and big files go through git, with the same result', async () => {
    const checkpoints = new WorktreeCheckpoints(dir, 'converted', 1024);
    try {
      await checkpoints.base('worktree created');
      const viaGit = async (label: string, files: string[]) => {
        const taken = checkpoints.taken.withGit;
        const checkpoint = await checkpoints.snapshot(label, { files });
        assert.equal(checkpoints.taken.withGit, taken + 1, `${label}: through git`);
        assert.equal(treeOf(dir, checkpoint.id), gitsTree(dir, ['data/big.bin']), label);
        return checkpoint;
      };
      write(dir, '.gitattributes', '*.txt text eol=lf\n');
      await viaGit('a rule file', ['.gitattributes']);
      write(dir, 'notes.txt', 'one\r\ntwo\r\n');
      const converted = await viaGit('line endings git converts', ['notes.txt']);
      assert.equal(run(dir, ['show', `${converted.id}:notes.txt`]), 'one\ntwo\n');
      fs.symlinkSync('src/app.js', path.join(dir, 'link.js'));
      await viaGit('a symlink', ['link.js']);
      write(dir, 'data/big.bin', Buffer.alloc(4096, 1));
      const big = await viaGit('over the size limit', ['data/big.bin']);
      assert.throws(() => run(dir, ['cat-file', '-e', `${big.id}:data/big.bin`]));
      await viaGit('outside the worktree', ['../elsewhere.txt']);
      // The worktree's settings count too.
      run(dir, ['config', 'core.autocrlf', 'true']);
      const fresh = new WorktreeCheckpoints(dir, 'converted', 1024);
      try {
        write(dir, 'src/app.js', 'console.log(9);\r\n');
        await fresh.snapshot('autocrlf', { files: ['src/app.js'] });
        assert.deepEqual(fresh.taken, { fromFiles: 0, withGit: 1 });
      } finally {
        fresh.close();
      }
    } finally {
      checkpoints.close();
    }
  });

  it('works in a linked worktree (as sessions use), next to the main one', async () => {
    const linked = `${dir}-wt`;
    run(dir, ['worktree', 'add', '-q', '-b', 'session-branch', linked]);
    try {
      const checkpoints = new WorktreeCheckpoints(linked, 's5');
      const first = await checkpoints.snapshot('start');
      write(linked, 'src/app.js', 'console.log("wt");\n');
      write(dir, 'src/app.js', 'console.log("main");\n');
      await checkpoints.restore(first.id);
      assert.equal(fs.readFileSync(path.join(linked, 'src/app.js'), 'utf8'), 'console.log(1);\n');
      assert.equal(fs.readFileSync(path.join(dir, 'src/app.js'), 'utf8'), 'console.log("main");\n');
    } finally {
      run(dir, ['worktree', 'remove', '--force', linked]);
    }
  });
});
