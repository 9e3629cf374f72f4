import * as assert from 'node:assert/strict';
import { cleanTrace } from './job-trace';

const E = '\u001b';
let clock = 1_718_000_000;
/** A section opening as the runner writes it: marker, erase, then the coloured header. */
const start = (name: string, header: string, options = '') =>
  `section_start:${clock++}:${name}${options}\r${E}[0K${E}[0K${E}[36;1m${header}${E}[0;m${E}[0;m`;
const end = (name: string) => `section_end:${clock++}:${name}\r${E}[0K`;
const green = (text: string) => `${E}[32;1m${text}${E}[0;m`;

/** A Node job whose tests fail, shaped like GitLab.com's shared runners write it. */
const FAILED_NPM_JOB = [
  `${E}[0KRunning with gitlab-runner 17.5.0 (1d5ac3a7)${E}[0;m`,
  `${E}[0K  on green-4.saas-linux-small-amd64.runners-manager.gitlab.com/default JLgUopmM, system ID: s_deaa2ca09de7${E}[0;m`,
  start('prepare_executor', 'Preparing the "docker+machine" executor'),
  `${E}[0KUsing Docker executor with image node:20 ...${E}[0;m`,
  `${E}[0KPulling docker image node:20 ...${E}[0;m`,
  `${E}[0KUsing docker image sha256:5a2b7c for node:20 with digest node@sha256:9f3e ...${E}[0;m`,
  end('prepare_executor') + start('prepare_script', 'Preparing environment'),
  'Running on runner-jlguopmm-project-4242-concurrent-0 via runner-jlguopmm-s-l-s-amd64-1718000000-5f3a...',
  end('prepare_script') + start('get_sources', 'Getting source from Git repository'),
  green('Fetching changes with git depth set to 20...'),
  'Initialized empty Git repository in /builds/acme/shop/.git/',
  green('Created fresh repository.'),
  green('Checking out 5d41402a as detached HEAD (ref is feature/cart)...'),
  '',
  green('Skipping Git submodules setup'),
  end('get_sources') + start('restore_cache', 'Restoring cache'),
  green('Checking cache for default-protected...'),
  `Downloading cache from https://storage.googleapis.com/gitlab-runners-cache/project/4242/default-protected${E}[0;m  ETag${E}[0;m="abc"`,
  green('Successfully extracted cache'),
  end('restore_cache') + start('step_script', 'Executing "step_script" stage of the job script'),
  `${E}[0KUsing docker image sha256:5a2b7c for node:20 with digest node@sha256:9f3e ...${E}[0;m`,
  green('$ npm ci'),
  `(${E}[107;97m#########${E}[0m${E}[100;90m⠂⠂⠂⠂⠂⠂⠂⠂⠂${E}[0m) ⠙ idealTree: timing idealTree Completed in 312ms${E}[0m${E}[K\r` +
    `(${E}[107;97m##################${E}[0m) ⠼ reify:typescript: timing reifyNode Completed in 4021ms${E}[0m${E}[K\r${E}[K`,
  'added 312 packages, and audited 313 packages in 9s',
  green('$ npm test'),
  '',
  '> shop@1.0.0 test',
  '> jest',
  '',
  `${E}[0m${E}[7m${E}[1m${E}[31m FAIL ${E}[39m${E}[22m${E}[27m${E}[0m ${E}[2msrc/${E}[22m${E}[1mcart.test.ts${E}[22m`,
  `  ${E}[1m● ${E}[22mcart › applies the discount`,
  '',
  `    ${E}[2mexpect(${E}[22m${E}[31mreceived${E}[39m${E}[2m).${E}[22mtoBe${E}[2m(${E}[22m${E}[32mexpected${E}[39m${E}[2m)${E}[22m`,
  `    Expected: ${E}[32m90${E}[39m`,
  `    Received: ${E}[31m100${E}[39m`,
  '',
  `${E}[1mTests:       ${E}[22m${E}[1m${E}[31m1 failed${E}[39m${E}[22m, ${E}[1m${E}[32m11 passed${E}[39m${E}[22m, 12 total`,
  end('step_script') + start('upload_artifacts_on_failure', 'Uploading artifacts for failed job'),
  green('Uploading artifacts...'),
  `${E}[0;33mWARNING: coverage/: no matching files. Ensure that the artifact path is relative to the working directory (/builds/acme/shop)${E}[0;m `,
  `${E}[31;1mERROR: No files to upload                         ${E}[0;m `,
  end('upload_artifacts_on_failure') +
    start('cleanup_file_variables', 'Cleaning up project directory and file based variables'),
  end('cleanup_file_variables'),
  `${E}[31;1mERROR: Job failed: exit code 1`,
  `${E}[0;m`,
].join('\n');

/** A job that never reached its script: the clone failed. */
const FAILED_CLONE = [
  `${E}[0KRunning with gitlab-runner 17.5.0 (1d5ac3a7)${E}[0;m`,
  start('prepare_executor', 'Preparing the "docker" executor'),
  `${E}[0KUsing Docker executor with image alpine:3.20 ...${E}[0;m`,
  end('prepare_executor') + start('get_sources', 'Getting source from Git repository'),
  green('Fetching changes with git depth set to 20...'),
  'Reinitialized existing Git repository in /builds/acme/shop/.git/',
  'fatal: couldn\u2019t find remote ref refs/pipelines/1234',
  end('get_sources') +
    start('cleanup_file_variables', 'Cleaning up project directory and file based variables'),
  end('cleanup_file_variables'),
  `${E}[31;1mERROR: Job failed: exit code 1`,
  `${E}[0;m`,
].join('\n');

describe('fix pipeline: cleaning a job trace', () => {
  it('folds the runner sections that went well and keeps the script in full', () => {
    const { text, truncated, sections } = cleanTrace(FAILED_NPM_JOB);
    assert.equal(
      text,
      [
        'Running with gitlab-runner 17.5.0 (1d5ac3a7)',
        '  on green-4.saas-linux-small-amd64.runners-manager.gitlab.com/default JLgUopmM, system ID: s_deaa2ca09de7',
        '▸ Preparing the "docker+machine" executor (3 lines folded)',
        '▸ Preparing environment (1 line folded)',
        '▸ Getting source from Git repository (6 lines folded)',
        '▸ Restoring cache (3 lines folded)',
        '▸ Executing "step_script" stage of the job script',
        'Using docker image sha256:5a2b7c for node:20 with digest node@sha256:9f3e ...',
        '$ npm ci',
        'added 312 packages, and audited 313 packages in 9s',
        '$ npm test',
        '',
        '> shop@1.0.0 test',
        '> jest',
        '',
        ' FAIL  src/cart.test.ts',
        '  ● cart › applies the discount',
        '',
        '    expect(received).toBe(expected)',
        '    Expected: 90',
        '    Received: 100',
        '',
        'Tests:       1 failed, 11 passed, 12 total',
        '▸ Uploading artifacts for failed job',
        'Uploading artifacts...',
        'WARNING: coverage/: no matching files. Ensure that the artifact path is relative to the working directory (/builds/acme/shop)',
        'ERROR: No files to upload',
        '▸ Cleaning up project directory and file based variables',
        'ERROR: Job failed: exit code 1',
      ].join('\n'),
    );
    assert.equal(truncated, false);
    assert.deepEqual(sections, [
      'prepare_executor',
      'prepare_script',
      'get_sources',
      'restore_cache',
      'step_script',
      'upload_artifacts_on_failure',
      'cleanup_file_variables',
    ]);
  });

  it('keeps the runner section the job failed in', () => {
    assert.equal(
      cleanTrace(FAILED_CLONE).text,
      [
        'Running with gitlab-runner 17.5.0 (1d5ac3a7)',
        '▸ Preparing the "docker" executor (1 line folded)',
        '▸ Getting source from Git repository',
        'Fetching changes with git depth set to 20...',
        'Reinitialized existing Git repository in /builds/acme/shop/.git/',
        'fatal: couldn\u2019t find remote ref refs/pipelines/1234',
        '▸ Cleaning up project directory and file based variables',
        'ERROR: Job failed: exit code 1',
      ].join('\n'),
    );
  });

  const cases: [string, string, string][] = [
    ['colours and bold', `${E}[32;1m$ echo hi${E}[0;m\nhi`, '$ echo hi\nhi'],
    [
      '256 colours and true colour',
      `${E}[38;5;196mred${E}[0m ${E}[38;2;0;128;0mgreen${E}[m`,
      'red green',
    ],
    [
      'hyperlinks and window titles',
      `${E}]8;;https://x.test${E}\\link${E}]8;;${E}\\ ${E}]0;title\u0007done`,
      'link done',
    ],
    ['character set switches', `${E}(Bplain${E}(B`, 'plain'],
    [
      'progress overwritten by carriage returns',
      'Downloading 10%\rDownloading 55%\rDownloading 100%\n',
      'Downloading 100%',
    ],
    ['a shorter overwrite leaves the rest, as a terminal shows it', 'abcdef\rxy', 'xycdef'],
    ['a carriage return then erase to the end of the line', `abcdef\r${E}[Kxy`, 'xy'],
    ['erase the whole line', `abcdef${E}[2K\rxy`, 'xy'],
    ['Windows line endings', 'one\r\ntwo\r\n', 'one\ntwo'],
    ['backspaces', 'ab\bc', 'ac'],
    [
      'blank lines stay, lines of only escape codes go',
      `a\n\nb\n${E}[0;m\n${E}[0K\nc\n\n\n`,
      'a\n\nb\nc',
    ],
    [
      'time-stamped lines, with a line split by the runner joined again',
      [
        '2024-05-01T10:00:00.123456Z 00O $ make',
        '2024-05-01T10:00:00.223456Z 01E make: *** [Makefile:3: all] ',
        '2024-05-01T10:00:00.223457Z 01E+Error 1',
      ].join('\n'),
      '$ make\nmake: *** [Makefile:3: all] Error 1',
    ],
    [
      'a section with no header is shown by its name',
      `${start('step_script', '')}\n$ true\n${end('step_script')}`,
      '▸ step_script\n$ true',
    ],
    [
      "the job's own sections stay open, collapsed or not",
      [
        start('step_script', 'Executing "step_script" stage of the job script'),
        green('$ ./build.sh'),
        `${E}[0Ksection_start:${clock}:compile[collapsed=true]\r${E}[0KCompiling`,
        'cc -c main.c',
        `${E}[0Ksection_end:${clock}:compile\r${E}[0K`,
        'done',
        end('step_script'),
      ].join('\n'),
      '▸ Executing "step_script" stage of the job script\n$ ./build.sh\n▸ Compiling\ncc -c main.c\ndone',
    ],
    [
      'a runner section the trace ends in (a timeout, a cancel) stays open',
      `${start('restore_cache', 'Restoring cache')}\nDownloading cache...\n`,
      '▸ Restoring cache\nDownloading cache...',
    ],
    [
      'text after a section end on the same line',
      `${start('prepare_script', 'Preparing environment')}\nRunning on r1\n${end('prepare_script')}${E}[31;1mERROR: Job failed: system failure`,
      '▸ Preparing environment (1 line folded)\nERROR: Job failed: system failure',
    ],
    [
      'a section end without a start is ignored',
      `before\n${end('get_sources')}after`,
      'before\nafter',
    ],
  ];
  for (const [name, raw, expected] of cases) {
    it(`cleans ${name}`, () => {
      assert.equal(cleanTrace(raw).text, expected);
    });
  }

  const numbered = (count: number, width = 9) =>
    Array.from({ length: count }, (_, i) => `line ${String(i + 1).padStart(width - 5, '0')}`).join(
      '\n',
    );

  const budgets: [string, string, { maxLines: number; maxChars: number }, string, boolean][] = [
    ['within budget: all of it', numbered(5), { maxLines: 5, maxChars: 1000 }, numbered(5), false],
    [
      'past the line budget: the last lines, after a note',
      numbered(10),
      { maxLines: 3, maxChars: 1000 },
      '[… 7 earlier lines cut, 70 characters in all]\nline 0008\nline 0009\nline 0010',
      true,
    ],
    [
      'past the character budget: as many last lines as fit with the note',
      numbered(40),
      { maxLines: 1000, maxChars: 200 },
      `[… 28 earlier lines cut, 280 characters in all]\n${numbered(40).split('\n').slice(28).join('\n')}`,
      true,
    ],
    [
      'one enormous last line: its end',
      `short\n${'x'.repeat(500)}END`,
      { maxLines: 1000, maxChars: 200 },
      `[… 1 earlier line cut, 391 characters in all]\n…${'x'.repeat(115)}END`,
      true,
    ],
  ];
  for (const [name, raw, budget, expected, truncated] of budgets) {
    it(`keeps the tail ${name}`, () => {
      const result = cleanTrace(raw, budget);
      assert.equal(result.text, expected);
      assert.equal(result.truncated, truncated);
      assert.ok(result.text.length <= budget.maxChars);
    });
  }

  it('keeps the end of a long real trace: the failure, not the set-up', () => {
    const noisy = FAILED_NPM_JOB.replace(
      green('$ npm test'),
      [
        ...Array.from({ length: 500 }, (_, i) => `npm warn deprecated pkg-${i}@1.0.0`),
        green('$ npm test'),
      ].join('\n'),
    );
    const { text, truncated } = cleanTrace(noisy, { maxLines: 30, maxChars: 4000 });
    assert.equal(truncated, true);
    assert.match(text, /^\[… \d+ earlier lines cut, \d+ characters in all\]\n/);
    assert.match(text, /Expected: 90\n {4}Received: 100/);
    assert.match(text, /ERROR: Job failed: exit code 1$/);
    assert.equal(text.split('\n').length, 31);
  });
});
