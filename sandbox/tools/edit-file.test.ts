import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FakeSandbox } from '../../test/support/fake-sandbox';
import type { AgentTool } from './agent-tool';
import { editFileTool } from './edit-file';

const SOURCE = [
  'function add(a, b) {',
  '  return a + b;',
  '}',
  '',
  'function sub(a, b) {',
  '  return a - b;',
  '}',
  '',
  'const total = add(1, 2);',
  'const other = add(1, 2);',
  '',
].join('\n');

interface Case {
  name: string;
  args: Record<string, unknown>;
  /** Expected file afterwards; omitted when the edit must leave the file alone. */
  after?: string;
  says: string[];
}

const cases: Case[] = [
  {
    name: 'replaces a unique match',
    args: { old_text: '  return a - b;', new_text: '  return a - b - 0;' },
    after: SOURCE.replace('a - b;', 'a - b - 0;'),
    says: ['Edited src/math.js: replaced 1 occurrence at line 6.', '6\t  return a - b - 0;'],
  },
  {
    name: 'replaces a multi-line match',
    args: { old_text: 'function sub(a, b) {\n  return a - b;\n}', new_text: '' },
    after: SOURCE.replace('function sub(a, b) {\n  return a - b;\n}', ''),
    says: ['replaced 1 occurrence at line 5'],
  },
  {
    name: 'replaces every match when asked',
    args: { old_text: 'add(1, 2)', new_text: 'add(2, 3)', replace_all: true },
    after: SOURCE.replaceAll('add(1, 2)', 'add(2, 3)'),
    says: ['replaced 2 occurrences at lines 9, 10'],
  },
  {
    name: 'keeps $ patterns in the new text literal',
    args: { old_text: 'const total', new_text: "const $& = '$1'; const total" },
    after: SOURCE.replace('const total', () => "const $& = '$1'; const total"),
    says: ['replaced 1 occurrence at line 9'],
  },
  {
    name: 'refuses an ambiguous match with the line numbers',
    args: { old_text: 'add(1, 2)', new_text: 'add(2, 3)' },
    says: [
      'Error: old_text matches 2 times in src/math.js (at lines 9, 10).',
      'Include more surrounding lines',
      'replace_all: true',
    ],
  },
  {
    name: 'points at the lines that differ only in whitespace',
    args: { old_text: 'function sub(a, b) {\n    return a - b;\n}', new_text: 'x' },
    says: [
      'Error: old_text was not found exactly in src/math.js, but lines 5-7 match it apart from whitespace',
    ],
  },
  {
    name: 'points at where the first line appears',
    args: { old_text: 'function add(a, b) {\n  return a * b;\n}', new_text: 'x' },
    says: ['Its first line appears at line 1, but the text after it differs.', 'read_file'],
  },
  {
    name: 'says to read the file when nothing is close',
    args: { old_text: 'class Calculator {}', new_text: 'x' },
    says: ['Error: old_text was not found in src/math.js. Read the file with read_file'],
  },
  {
    name: 'refuses an empty old_text',
    args: { old_text: '', new_text: 'x' },
    says: ['Error: old_text is empty.', 'create_file'],
  },
  {
    name: 'refuses a no-op',
    args: { old_text: '}', new_text: '}' },
    says: ['Error: old_text and new_text are the same'],
  },
];

describe('edit_file', () => {
  let sandbox: FakeSandbox;
  beforeEach(async () => {
    sandbox = await FakeSandbox.create({
      'src/math.js': SOURCE,
      'win.txt': 'first\r\nsecond\r\nthird\r\n',
      'bin.dat': Buffer.from([1, 0, 2]),
    });
  });
  afterEach(() => sandbox.dispose());

  const edit = (args: Record<string, unknown>) =>
    (editFileTool as AgentTool).execute(args, { sandbox });

  for (const { name, args, after, says } of cases) {
    it(name, async () => {
      const text = await edit({ path: 'src/math.js', ...args });
      for (const part of says) assert.ok(text.includes(part), `expected ${part} in:\n${text}`);
      assert.equal(await sandbox.hostRead('src/math.js'), after ?? SOURCE);
    });
  }

  it('keeps CRLF line endings when the model writes LF', async () => {
    const text = await edit({
      path: 'win.txt',
      old_text: 'first\nsecond',
      new_text: 'one\ntwo\nmore',
    });
    assert.match(text, /^Edited win\.txt: replaced 1 occurrence at line 1\./);
    assert.equal(await sandbox.hostRead('win.txt'), 'one\r\ntwo\r\nmore\r\nthird\r\n');
  });

  it('keeps LF line endings when the model writes CRLF', async () => {
    await edit({
      path: 'src/math.js',
      old_text: '}\r\n\r\nfunction sub',
      new_text: '}\r\nfunction sub',
    });
    assert.equal(
      await sandbox.hostRead('src/math.js'),
      SOURCE.replace('}\n\nfunction sub', '}\nfunction sub'),
    );
  });

  const refusals: [string, Record<string, unknown>, string][] = [
    ['a missing file', { path: 'src/none.js' }, 'Error: No file at src/none.js.'],
    ['a binary file', { path: 'bin.dat' }, 'Error: bin.dat is a binary file'],
    [
      'a file outside',
      { path: '../outside.txt' },
      'Error: ../outside.txt is outside the workspace',
    ],
    ['git metadata', { path: '.git/HEAD' }, "Error: .git/HEAD is inside git's metadata"],
  ];
  for (const [name, args, says] of refusals) {
    it(`refuses ${name}`, async () => {
      const text = await edit({ old_text: 'a', new_text: 'b', ...args });
      assert.ok(text.startsWith(says), text);
    });
  }

  it('refuses a symlink to a file outside', async () => {
    fs.writeFileSync(path.join(sandbox.outside, 'secret.txt'), 'a\n');
    fs.symlinkSync(path.join(sandbox.outside, 'secret.txt'), path.join(sandbox.worktree, 'link'));
    const text = await edit({ path: 'link', old_text: 'a', new_text: 'b' });
    assert.match(text, /^Error: link leads outside the workspace through a symlink/);
    assert.equal(fs.readFileSync(path.join(sandbox.outside, 'secret.txt'), 'utf8'), 'a\n');
  });
});
