import * as assert from 'node:assert/strict';
import { FakeSandbox } from '../../test/support/fake-sandbox';
import type { AgentTool } from './agent-tool';
import { createFileTool } from './create-file';
import { editFileTool } from './edit-file';
import { GIT_DIFF_MAX_CHARS, gitDiffTool } from './git-diff';

describe('git_diff', () => {
  let sandbox: FakeSandbox;
  beforeEach(async () => {
    sandbox = await FakeSandbox.create({ 'src/a.ts': 'export const a = 1;\n', 'b.txt': 'b\n' });
  });
  afterEach(() => sandbox.dispose());

  const run = (tool: AgentTool, args: Record<string, unknown>) => tool.execute(args, { sandbox });

  it('says when nothing changed', async () => {
    assert.equal(
      await run(gitDiffTool, {}),
      'No changes: the workspace matches the commit the session started from.',
    );
  });

  it('shows an edited and a new file, and narrows to paths', async () => {
    await run(editFileTool, { path: 'src/a.ts', old_text: '= 1', new_text: '= 2' });
    await run(createFileTool, { path: 'src/new.ts', content: 'export {};\n' });
    const diff = await run(gitDiffTool, {});
    for (const part of [
      'diff --git a/src/a.ts b/src/a.ts',
      '-export const a = 1;\n+export const a = 2;',
      'diff --git a/src/new.ts b/src/new.ts\nnew file mode 100644',
      '+export {};',
    ]) {
      assert.ok(diff.includes(part), `expected ${part} in:\n${diff}`);
    }
    const narrowed = await run(gitDiffTool, { paths: ['src/new.ts'] });
    assert.ok(!narrowed.includes('src/a.ts') && narrowed.includes('+export {};'), narrowed);
    assert.equal(await run(gitDiffTool, { paths: ['b.txt'] }), 'No changes in b.txt.');
  });

  it('caps a long diff and lists the changed files', async () => {
    await run(createFileTool, {
      path: 'big.txt',
      content: 'x'
        .repeat(99)
        .concat('\n')
        .repeat(GIT_DIFF_MAX_CHARS / 50),
    });
    await run(editFileTool, { path: 'b.txt', old_text: 'b', new_text: 'c' });
    const diff = await run(gitDiffTool, {});
    assert.ok(diff.length < GIT_DIFF_MAX_CHARS + 500, `${diff.length} characters`);
    assert.match(
      diff,
      /\[The diff is too long: \d+ more lines not shown\. Call git_diff with paths to see specific files\. Changed files \(2\):\nb\.txt\nbig\.txt\]$/,
    );
  });

  it('refuses paths outside the workspace', async () => {
    assert.match(
      await run(gitDiffTool, { paths: ['../other'] }),
      /^Error: \.\.\/other is outside the workspace/,
    );
  });
});
