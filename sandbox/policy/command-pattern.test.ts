import * as assert from 'node:assert/strict';
import {
  CommandPatternError,
  exactPatternFor,
  findShellMetacharacter,
  parseCommandPattern,
  permits,
  restricts,
} from './command-pattern';

describe('command patterns', () => {
  describe('parsing', () => {
    const check = (
      text: string,
      expected: { kind: 'exact' | 'prefix'; text: string; words: string[] } | RegExp,
    ) =>
      it(`${JSON.stringify(text)} → ${expected instanceof RegExp ? 'refused' : expected.kind}`, () => {
        if (expected instanceof RegExp) {
          assert.throws(
            () => parseCommandPattern(text),
            (error: Error) => {
              assert.ok(error instanceof CommandPatternError);
              assert.match(error.message, expected);
              return true;
            },
          );
        } else {
          assert.deepEqual(parseCommandPattern(text), expected);
        }
      });

    check('npm test', { kind: 'exact', text: 'npm test', words: ['npm', 'test'] });
    check('git status', { kind: 'exact', text: 'git status', words: ['git', 'status'] });
    check('npm run *', { kind: 'prefix', text: 'npm run *', words: ['npm', 'run'] });
    check('  npm \t run   *  ', { kind: 'prefix', text: 'npm run *', words: ['npm', 'run'] });
    check('npm\t\ttest ', { kind: 'exact', text: 'npm test', words: ['npm', 'test'] });
    check('ls *.txt', { kind: 'exact', text: 'ls *.txt', words: ['ls', '*.txt'] });
    check('npm run t*', { kind: 'exact', text: 'npm run t*', words: ['npm', 'run', 't*'] });
    check('npm test && npm run lint', {
      kind: 'exact',
      text: 'npm test && npm run lint',
      words: ['npm', 'test', '&&', 'npm', 'run', 'lint'],
    });
    check('', /empty.*`npm run \*`/);
    check('   \t ', /empty/);
    check('*', /would match every command/);
    check('  *  ', /would match every command/);
    check('* *', /only be the last word/);
    check('npm * test', /only be the last word.*`npm \* test`/);
    check('npm test; rm *', /contains `;`.*exact pattern instead/);
    check('cat x | grep *', /contains `\|`/);
  });

  describe('permitting (allow rules)', () => {
    const check = (pattern: string, command: string, expected: boolean) =>
      it(`${pattern} ${expected ? 'permits' : 'does not permit'} ${JSON.stringify(command)}`, () =>
        assert.equal(permits(parseCommandPattern(pattern), command), expected));

    check('npm test', 'npm test', true);
    check('npm test', '  npm   test ', true);
    check('npm test', 'npm\ttest', true);
    check('npm test', 'npm test --watch', false);
    check('npm test', 'npm tests', false);
    check('npm test', 'NPM test', false);
    check('npm run *', 'npm run test', true);
    check('npm run *', 'npm run build -- --watch', true);
    check('npm run *', 'npm  run   lint', true);
    check('npm run *', 'npm run', true);
    check('npm run *', 'npm runner', false);
    check('npm run *', 'npm runx test', false);
    check('npm run *', 'npm', false);
    check('npm run *', 'pnpm run test', false);
    check('npm run *', 'npm "run" test', false);
    check('git status *', 'git status', true);
    check('npm run *', 'npm run test; rm -rf ~', false);
    check('npm run *', 'npm run test $(rm -rf ~)', false);
    check('npm run *', 'npm run build --out $TMPDIR', true);
    check('npm run *', 'npm run build --out ${TMPDIR}', true);
    check('npm test && npm run lint', 'npm test && npm run lint', true);
    check('npm test && npm run lint', 'npm test && npm run lint; rm -rf ~', false);
  });

  describe('restricting (deny and ask rules)', () => {
    const check = (pattern: string, command: string, expected: boolean) =>
      it(`${pattern} ${expected ? 'catches' : 'misses'} ${JSON.stringify(command)}`, () =>
        assert.equal(restricts(parseCommandPattern(pattern), command), expected));

    check('git push *', 'git push origin main', true);
    check('git push *', 'npm test && git push', true);
    check('git push *', 'npm test;git push --force', true);
    check('git push *', 'echo $(git push)', true);
    check('git push *', 'echo `git push`', true);
    check('git push *', 'FOO=1 git push', true);
    check('git push *', 'true | ! git push', true);
    check('git push *', 'if true; then git push; fi', true);
    check('git push *', 'git pushy', false);
    check('git push *', 'git status', false);
    check('rm -rf build', 'npm test && rm -rf build', true);
    check('rm -rf build', 'rm -rf build/x', false);
    check('a && b', 'a && b', true);
  });

  describe('shell metacharacters', () => {
    const check = (command: string, expected: string | undefined) =>
      it(`${JSON.stringify(command)} → ${expected ?? 'none'}`, () =>
        assert.equal(findShellMetacharacter(command), expected));

    check('npm test', undefined);
    check('echo $HOME', undefined);
    check('echo ${HOME}', undefined);
    check("git log --format='%h %s'", undefined);
    check('a; b', '`;`');
    check('a && b', '`&&`');
    check('a || b', '`||`');
    check('a | b', '`|`');
    check('a &', '`&`');
    check('a $(b)', '`$(`');
    check('a $((1 + 2))', '`$(`');
    check('a `b`', 'a backtick');
    check('a > f', 'a redirection (`<` or `>`)');
    check('a < f', 'a redirection (`<` or `>`)');
    check('a >> f', '`>>`');
    check('a <<EOF', 'a redirection (`<` or `>`)');
    check('diff <(a) b', 'a redirection (`<` or `>`)');
    check('a\nb', 'a line break');
    check('a\rb', 'a line break');
    check('(a)', 'a parenthesis');
    check('echo ${x:=y}', 'a `${…}` expansion with operators');
    check('echo ${x@P}', 'a `${…}` expansion with operators');
    check('echo $[x]', '`$[`');
    check('a\u0000b', 'a control character');
    check("echo 'a; b'", '`;`');
  });

  describe('exact pattern for a command', () => {
    const check = (command: string, expected: string | undefined) =>
      it(`${JSON.stringify(command)} → ${expected ?? 'none'}`, () =>
        assert.equal(exactPatternFor(command), expected));

    check('  npm   test ', 'npm test');
    check('npm test && npm run lint', 'npm test && npm run lint');
    check('ls *.txt', 'ls *.txt');
    check('ls *', undefined);
    check('cp * /tmp', undefined);
    check('  ', undefined);
  });
});
