import * as assert from 'node:assert/strict';
import type { DiffRefs } from '../../forge/forge';
import { parseDiff } from './diff-lines';
import { placeFindings, summaryBody } from './review-comments';
import type { Finding } from './review-prompt';

const DIFF = [
  '@@ -1,5 +1,6 @@',
  ' import x from "x";',
  '-const a = 1;',
  '+const a = 2;',
  '+const b = a * 2;',
  ' ',
  ' export function f() {',
  '   return a;',
  '',
].join('\n');

const refs: DiffRefs = {
  baseSha: 'b'.repeat(40),
  startSha: 's'.repeat(40),
  headSha: 'h'.repeat(40),
};
const files = [{ oldPath: 'src/a.ts', newPath: 'src/a.ts', lines: parseDiff(DIFF) }];

function finding(line: number, side: 'new' | 'old' = 'new', path = 'src/a.ts'): Finding {
  return { path, line, side, severity: 'minor', body: `at ${side} ${line}` };
}

describe('code review: placing findings on the diff', () => {
  it('parses numbered lines on both sides', () => {
    assert.deepEqual(
      parseDiff(DIFF).map((l) => [l.type, l.oldLine, l.newLine]),
      [
        ['ctx', 1, 1],
        ['del', 2, undefined],
        ['add', undefined, 2],
        ['add', undefined, 3],
        ['ctx', 3, 4],
        ['ctx', 4, 5],
        ['ctx', 5, 6],
      ],
    );
  });

  const cases: [string, Finding, { newLine?: number; oldLine?: number } | 'elsewhere'][] = [
    ['an added line by its new number', finding(2), { newLine: 2 }],
    ['an unchanged line by both numbers', finding(5), { newLine: 5, oldLine: 4 }],
    ['a removed line by its old number', finding(2, 'old'), { oldLine: 2 }],
    [
      'an old-side number that is unchanged, by both',
      finding(3, 'old'),
      { newLine: 4, oldLine: 3 },
    ],
    ['a line outside the hunks: elsewhere', finding(40), 'elsewhere'],
    ['a removed line asked for on the new side: elsewhere, no guessing', finding(7), 'elsewhere'],
    ['a file not in the diff: elsewhere', finding(2, 'new', 'src/other.ts'), 'elsewhere'],
    ['a path with a b/ prefix', finding(3, 'new', 'b/src/a.ts'), { newLine: 3 }],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => {
      const placement = placeFindings([input], files, refs);
      if (expected === 'elsewhere') {
        assert.equal(placement.inline.length, 0);
        assert.equal(placement.elsewhere.length, 1);
        return;
      }
      const position = placement.inline[0]?.position;
      assert.ok(position, 'placed inline');
      assert.equal(position.newLine, expected.newLine);
      assert.equal(position.oldLine, expected.oldLine);
      assert.equal(position.headSha, refs.headSha);
      assert.equal(position.newPath, 'src/a.ts');
    });
  }

  it('drops duplicate findings', () => {
    assert.equal(placeFindings([finding(2), finding(2)], files, refs).inline.length, 1);
  });

  it('summarises counts, findings elsewhere and skipped files', () => {
    const placement = placeFindings([finding(2), finding(40)], files, refs);
    const body = summaryBody('Looks mostly fine.', placement, [
      { path: 'big.json', reason: 'too large' },
    ]);
    assert.match(body, /2 findings \(2 minor\); 1 posted as inline comments\./);
    assert.match(body, /`src\/a.ts:40`/);
    assert.match(body, /`big.json`: too large/);
  });
});
