import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FakeSandbox } from '../../test/support/fake-sandbox';
import type { AgentTool } from './agent-tool';
import { FIND_FILES_MAX_RESULTS, findFilesTool } from './find-files';
import { GREP_MAX_MATCHES, grepTool } from './grep';

type Case = [name: string, args: Record<string, unknown>, expected: string | RegExp];

describe('search tools', () => {
  let sandbox: FakeSandbox;

  before(async () => {
    const generated: Record<string, string> = {};
    for (let index = 0; index < FIND_FILES_MAX_RESULTS + 5; index++) {
      generated[`gen/f${String(index).padStart(4, '0')}.gen`] = 'TODO\n';
    }
    sandbox = await FakeSandbox.create({
      'src/app.ts': 'import { add } from "./math";\nexport const total = add(1, 2);\n',
      'src/math.ts':
        'export function add(a: number, b: number) {\n  return a + b; // TODO overflow\n}\n',
      'src/ui/view.tsx': 'export const View = () => null; // todo: render\n',
      'test/math.test.ts': 'import { add } from "../src/math";\n',
      'node_modules/lib/index.ts': 'export function add() {}\n',
      'assets/data.bin': Buffer.from('add\0add\0'),
      'win.txt': 'alpha\r\nadd here\r\n',
      ...generated,
    });
    fs.symlinkSync('/etc', path.join(sandbox.worktree, 'etc-link'));
    fs.writeFileSync(path.join(sandbox.outside, 'secret.txt'), 'password=hunter2\n');
    fs.symlinkSync(path.join(sandbox.outside, 'secret.txt'), path.join(sandbox.worktree, 'secret'));
    fs.symlinkSync('src/math.ts', path.join(sandbox.worktree, 'math-link.ts'));
  });
  after(() => sandbox.dispose());

  const run = (tool: AgentTool, args: Record<string, unknown>) => tool.execute(args, { sandbox });
  const check = (tool: AgentTool, cases: Case[]) => {
    for (const [name, args, expected] of cases) {
      it(name, async () => {
        const text = await run(tool, args);
        if (typeof expected === 'string') assert.equal(text, expected);
        else assert.match(text, expected);
      });
    }
  };

  describe('find_files', () =>
    check(findFilesTool, [
      [
        'a recursive glob',
        { pattern: 'src/**/*.ts' },
        '2 files match src/**/*.ts in the workspace:\nsrc/app.ts\nsrc/math.ts',
      ],
      [
        'a name at any depth, symlinks by name, skipping node_modules',
        { pattern: '*.ts' },
        '4 files match *.ts in the workspace:\nmath-link.ts\nsrc/app.ts\nsrc/math.ts\ntest/math.test.ts',
      ],
      [
        'alternatives',
        { pattern: '*.{ts,tsx}', path: 'src' },
        /^3 files match .*\nsrc\/app\.ts\nsrc\/math\.ts\nsrc\/ui\/view\.tsx$/,
      ],
      [
        'node_modules when the pattern names it',
        { pattern: 'node_modules/**/*.ts' },
        '1 file matches node_modules/**/*.ts in the workspace:\nnode_modules/lib/index.ts',
      ],
      [
        'relative to a path',
        { pattern: '*.tsx', path: 'src/ui' },
        /^1 file matches \*\.tsx in src\/ui:\nsrc\/ui\/view\.tsx$/,
      ],
      ['no match', { pattern: '*.py' }, 'No files match *.py in the workspace.'],
      [
        'a capped result',
        { pattern: 'gen/*.gen' },
        new RegExp(
          `^${FIND_FILES_MAX_RESULTS + 5} files match[^]*gen/f0000\\.gen[^]*\\[5 more matches not shown; use a narrower pattern or path\\.\\]$`,
        ),
      ],
      [
        'a symlinked directory is not followed',
        { pattern: 'passwd' },
        'No files match passwd in the workspace.',
      ],
      [
        'a missing path',
        { path: 'lib', pattern: '*' },
        'Error: No directory at lib. Use list_dir to see what exists.',
      ],
      ['an escape', { path: '../', pattern: '*' }, /^Error: \.\.\/ is outside the workspace/],
      ['a broken glob', { pattern: '{a,b' }, /^Error: The glob \{a,b has an unclosed "\{"/],
    ]));

  describe('grep', () =>
    check(grepTool, [
      [
        'a regex across the tree, skipping binaries and node_modules',
        { pattern: 'function add\\b' },
        '1 match in 1 file:\nsrc/math.ts:1: export function add(a: number, b: number) {',
      ],
      [
        'ignoring case, in a directory',
        { pattern: 'todo', path: 'src', ignoreCase: true },
        '2 matches in 2 files:\nsrc/math.ts:2:   return a + b; // TODO overflow\nsrc/ui/view.tsx:1: export const View = () => null; // todo: render',
      ],
      [
        'a glob filter',
        { pattern: 'add', glob: '*.test.ts' },
        '1 match in 1 file:\ntest/math.test.ts:1: import { add } from "../src/math";',
      ],
      [
        'one file',
        { pattern: 'here$', path: 'win.txt' },
        '1 match in 1 file:\nwin.txt:2: add here',
      ],
      [
        'node_modules when the path names it',
        { pattern: 'add', path: 'node_modules' },
        /^1 match in 1 file:\nnode_modules\/lib\/index\.ts:1:/,
      ],
      [
        'a capped result with what was left out',
        { pattern: 'TODO', path: 'gen' },
        new RegExp(
          `^${FIND_FILES_MAX_RESULTS + 5} matches in ${FIND_FILES_MAX_RESULTS + 5} files:\\n` +
            `(gen/f\\d{4}\\.gen:1: TODO\\n){${GREP_MAX_MATCHES}}` +
            `\\[${FIND_FILES_MAX_RESULTS + 5 - GREP_MAX_MATCHES} more matches \\(${FIND_FILES_MAX_RESULTS + 5 - GREP_MAX_MATCHES} more files\\) not shown; narrow`,
        ),
      ],
      ['no match', { pattern: 'zebra' }, 'No matches for zebra in the workspace.'],
      [
        'an invalid regex',
        { pattern: 'add(' },
        /^Error: Invalid regular expression add\(: .*Unterminated group.*escape \( \[/,
      ],
      [
        'an inline flag the engine lacks',
        { pattern: '(?i)add' },
        /^Error: Invalid regular expression .*use ignoreCase: true instead of \(\?i\)/,
      ],
      ['a missing path', { pattern: 'x', path: 'nope' }, /^Error: Nothing at nope\./],
      [
        'a symlink out',
        { pattern: 'root', path: 'etc-link' },
        /^Error: etc-link leads outside the workspace/,
      ],
      [
        'never through a symlinked file',
        { pattern: 'hunter2' },
        'No matches for hunter2 in the workspace.',
      ],
      [
        'a symlinked file out, named',
        { pattern: 'x', path: 'secret' },
        /^Error: secret leads outside the workspace/,
      ],
      [
        'a symlinked file inside, named',
        { pattern: 'return', path: 'math-link.ts' },
        '1 match in 1 file:\nmath-link.ts:2:   return a + b; // TODO overflow',
      ],
    ]));
});
