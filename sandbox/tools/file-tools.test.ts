import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FakeSandbox } from '../../test/support/fake-sandbox';
import type { AgentTool } from './agent-tool';
import { createFileTool } from './create-file';
import { LIST_DIR_MAX_ENTRIES, listDirTool } from './list-dir';
import { READ_FILE_DEFAULT_LINES, readFileTool } from './read-file';

const numbered = (count: number) =>
  Array.from({ length: count }, (_, index) => `line ${index + 1}`).join('\n') + '\n';

describe('file tools', () => {
  let sandbox: FakeSandbox;

  before(async () => {
    sandbox = await FakeSandbox.create({
      'src/small.ts': 'const a = 1;\nconst b = 2;\n',
      'src/long.txt': numbered(1200),
      'src/empty.txt': '',
      'src/minified.js': 'x'.repeat(5000),
      'assets/logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0]),
      'many/.keep': '',
      'README.md': '# app\n',
    });
    for (let index = 0; index < LIST_DIR_MAX_ENTRIES + 20; index++) {
      fs.writeFileSync(
        path.join(sandbox.worktree, 'many', `f${String(index).padStart(4, '0')}`),
        '',
      );
    }
    fs.symlinkSync('/etc/passwd', path.join(sandbox.worktree, 'passwd'));
  });
  after(() => sandbox.dispose());

  const run = (tool: AgentTool, args: unknown) => tool.execute(args, { sandbox });

  describe('read_file', () => {
    const cases: [string, object, (string | RegExp)[]][] = [
      [
        'a small file whole',
        { path: 'src/small.ts' },
        ['src/small.ts (2 lines)\n1\tconst a = 1;\n2\tconst b = 2;'],
      ],
      [
        'the first page of a long file',
        { path: 'src/long.txt' },
        [
          `src/long.txt (lines 1-${READ_FILE_DEFAULT_LINES} of 1200)`,
          `${READ_FILE_DEFAULT_LINES}\tline ${READ_FILE_DEFAULT_LINES}\n[`,
          `call read_file with offset: ${READ_FILE_DEFAULT_LINES + 1}`,
        ],
      ],
      [
        'a page by offset and limit',
        { path: 'src/long.txt', offset: 1195, limit: 3 },
        [
          '(lines 1195-1197 of 1200)',
          '1195\tline 1195\n1196\tline 1196\n1197\tline 1197\n',
          'offset: 1198 and limit: 3',
        ],
      ],
      [
        'the last page',
        { path: 'src/long.txt', offset: 1199 },
        ['1200\tline 1200', 'This is the end of the file.'],
      ],
      ['an empty file', { path: 'src/empty.txt' }, ['src/empty.txt is empty.']],
      [
        'a very long line, clipped',
        { path: 'src/minified.js' },
        [/1\tx{2000} … \[3000 more chars\]$/],
      ],
      ['a container path', { path: '/workspaces/app/README.md' }, ['README.md (1 line)\n1\t# app']],
      [
        'a binary file',
        { path: 'assets/logo.png' },
        ['Error: assets/logo.png is a binary file (11 bytes)', 'run_command'],
      ],
      ['a missing file', { path: 'src/nope.ts' }, ['Error: No file at src/nope.ts.', 'find_files']],
      ['a directory', { path: 'src' }, ['Error: src is a directory; use list_dir']],
      [
        'an offset past the end',
        { path: 'src/small.ts', offset: 9 },
        ['Error: src/small.ts has 2 lines; offset 9 is past the end.'],
      ],
      [
        'an escape',
        { path: '../../etc/passwd' },
        ['Error: ../../etc/passwd is outside the workspace'],
      ],
      [
        'a symlink out',
        { path: 'passwd' },
        ['Error: passwd leads outside the workspace through a symlink'],
      ],
      [
        'an absolute path outside',
        { path: '/etc/passwd' },
        ['Error: /etc/passwd is outside the workspace'],
      ],
      [
        'a limit over the maximum',
        { path: 'src/small.ts', limit: 5000 },
        ['Error: invalid arguments for read_file', 'limit'],
      ],
      ['a missing path argument', {}, ['Error: invalid arguments for read_file', 'path']],
    ];
    for (const [name, args, expected] of cases) {
      it(name, async () => assertContains(await run(readFileTool, args), expected));
    }
  });

  describe('list_dir', () => {
    it('lists the root: directories first, sizes, no .git', async () => {
      const text = await run(listDirTool, {});
      assert.equal(
        text,
        'Workspace root (5 entries)\nassets/\nmany/\nsrc/\nREADME.md (6 bytes)\npasswd (symlink)',
      );
    });

    const cases: [string, object, (string | RegExp)[]][] = [
      [
        'a subdirectory',
        { path: 'src' },
        ['src (4 entries)\nempty.txt (0 bytes)\nlong.txt (10.6 KB)'],
      ],
      [
        'a capped directory',
        { path: 'many' },
        [
          `many (${LIST_DIR_MAX_ENTRIES + 21} entries)`,
          '[21 more entries not shown; use find_files',
        ],
      ],
      [
        'a file',
        { path: 'README.md' },
        ['Error: README.md is a file, not a directory; use read_file'],
      ],
      ['a missing directory', { path: 'lib' }, ['Error: No directory at lib.']],
      ['an escape', { path: '..' }, ['Error: .. is outside the workspace']],
    ];
    for (const [name, args, expected] of cases) {
      it(name, async () => assertContains(await run(listDirTool, args), expected));
    }
  });

  describe('create_file', () => {
    it('creates a file and its parent directories', async () => {
      const text = await run(createFileTool, { path: 'lib/deep/new.ts', content: 'export {};\n' });
      assert.equal(text, 'Created lib/deep/new.ts (1 line).');
      assert.equal(await sandbox.hostRead('lib/deep/new.ts'), 'export {};\n');
    });

    it('overwrites only when asked', async () => {
      assertContains(await run(createFileTool, { path: 'README.md', content: 'x' }), [
        'Error: README.md already exists (6 bytes). Change it with edit_file, or call create_file with overwrite: true',
      ]);
      assert.equal(await sandbox.hostRead('README.md'), '# app\n');
      const text = await run(createFileTool, {
        path: 'README.md',
        content: '# b\n\nc\n',
        overwrite: true,
      });
      assert.equal(text, 'Overwrote README.md (3 lines).');
      assert.equal(await sandbox.hostRead('README.md'), '# b\n\nc\n');
    });

    const cases: [string, object, string[]][] = [
      ['a directory', { path: 'src', content: '' }, ['Error: src is a directory']],
      [
        'the root',
        { path: '.', content: '' },
        ['Error: Give a file path, not the workspace root.'],
      ],
      [
        'below a file',
        { path: 'README.md/x.ts', content: '' },
        ['Error: Cannot create README.md/x.ts: a part of its directory path is a file'],
      ],
      [
        'inside .git',
        { path: '.git/hooks/pre-commit', content: '' },
        ["Error: .git/hooks/pre-commit is inside git's metadata"],
      ],
      [
        'an escape',
        { path: 'a/../../x.ts', content: '' },
        ['Error: a/../../x.ts is outside the workspace'],
      ],
      [
        'through a symlink out',
        { path: 'passwd', content: '', overwrite: true },
        ['Error: passwd leads outside the workspace'],
      ],
    ];
    for (const [name, args, expected] of cases) {
      it(`refuses ${name}`, async () => assertContains(await run(createFileTool, args), expected));
    }
  });
});

function assertContains(text: string, expected: (string | RegExp)[]): void {
  for (const part of expected) {
    if (typeof part === 'string')
      assert.ok(text.includes(part), `expected ${JSON.stringify(part)} in:\n${text}`);
    else assert.match(text, part);
  }
}
