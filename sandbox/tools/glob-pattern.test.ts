import * as assert from 'node:assert/strict';
import { ToolFailure } from './agent-tool';
import { globToRegExp } from './glob-pattern';

describe('glob patterns', () => {
  const cases: [string, string[], string[]][] = [
    ['*.ts', ['a.ts', 'src/a.ts', 'src/deep/b.ts', '.eslintrc.ts'], ['a.tsx', 'a.ts/x', 'ats']],
    ['src/*.ts', ['src/a.ts'], ['src/deep/a.ts', 'a.ts', 'lib/src/a.ts']],
    ['src/**/*.ts', ['src/a.ts', 'src/x/y/a.ts'], ['a.ts', 'srcx/a.ts', 'src/a.tsx']],
    ['**/test/*.js', ['test/a.js', 'pkg/test/a.js'], ['test/x/a.js', 'contest/a.js']],
    ['src/', ['src/a', 'src/x/y', 'lib/src/a'], ['src', 'srcx/a']],
    ['src/**', ['src/a', 'src/x/y'], ['src', 'srcx/a']],
    ['**', ['a', 'x/y/z'], []],
    ['*.{ts,tsx}', ['a.ts', 'b/c.tsx'], ['a.js', 'a.{ts,tsx}']],
    ['{src,test}/**/*.ts', ['src/a.ts', 'test/x/b.ts'], ['lib/a.ts']],
    ['file?.txt', ['file1.txt', 'd/fileA.txt'], ['file10.txt', 'file/.txt']],
    ['[ab]*.md', ['a.md', 'beta.md'], ['c.md']],
    ['[!ab]*.md', ['c.md'], ['a.md', 'b.md']],
    ['/README.md', ['README.md'], ['docs/README.md']],
    ['./src/*.ts', ['src/a.ts'], ['x/src/a.ts']],
    ['a.b(c)+$.txt', ['a.b(c)+$.txt'], ['aab(c)+$.txt', 'a.bcc+$.txt']],
    ['\\*.txt', ['*.txt'], ['a.txt']],
    ['[unclosed', ['[unclosed'], ['u']],
  ];
  for (const [glob, matching, notMatching] of cases) {
    it(glob, () => {
      const regex = globToRegExp(glob);
      for (const file of matching) assert.ok(regex.test(file), `${glob} should match ${file}`);
      for (const file of notMatching)
        assert.ok(!regex.test(file), `${glob} should not match ${file}`);
    });
  }

  it('refuses an unclosed brace with what to do', () => {
    assert.throws(
      () => globToRegExp('*.{ts,js'),
      (error: unknown) => {
        assert.ok(error instanceof ToolFailure);
        assert.match(error.message, /unclosed "\{"; close it or escape it/);
        return true;
      },
    );
  });
});
