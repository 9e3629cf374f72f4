import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  jobScript,
  listJobs,
  resolveJob,
  type JobDefinition,
  type ProjectFiles,
} from './ci-config';

function project(files: Record<string, string>): ProjectFiles {
  return (path) => (Object.hasOwn(files, path) ? files[path] : undefined);
}

const ci = (text: string) => project({ '.gitlab-ci.yml': text });

describe('fix pipeline: reading a job from .gitlab-ci.yml', () => {
  const cases: [string, ProjectFiles, string, Partial<JobDefinition>][] = [
    [
      'extends over several levels: hashes merge, arrays are replaced',
      ci(`
.base:
  image: node:20
  variables: { A: base, B: base }
  script: [echo base, echo more]
.lint-base:
  extends: .base
  variables: { B: lint, C: lint }
  before_script: [npm ci]
lint:
  extends: .lint-base
  stage: verify
  script: [npm run lint]
  variables: { C: job }
`),
      'lint',
      {
        image: 'node:20',
        stage: 'verify',
        script: ['npm run lint'],
        beforeScript: ['npm ci'],
        variables: { A: 'base', B: 'lint', C: 'job' },
      },
    ],
    [
      'extends a list: the later template wins, the job over both',
      ci(`
.a: { script: [echo a], image: a, variables: { X: a, Y: a } }
.b: { image: b, variables: { X: b } }
job: { extends: [.a, .b], variables: { Y: job } }
`),
      'job',
      { image: 'b', script: ['echo a'], variables: { X: 'b', Y: 'job' } },
    ],
    [
      'default: applies where the job is silent; job keys, even empty ones, win',
      ci(`
default:
  image: ruby:3.3
  before_script: [bundle install]
  after_script: [echo done]
rspec:
  image: ruby:3.2
  after_script: []
  script: [bundle exec rspec]
`),
      'rspec',
      {
        image: 'ruby:3.2',
        beforeScript: ['bundle install'],
        afterScript: [],
        script: ['bundle exec rspec'],
      },
    ],
    [
      'deprecated top-level image and scripts still apply; default: is more specific',
      ci(`
image: old:1
before_script: [echo global]
after_script: [echo global after]
default:
  image: { name: new:2, entrypoint: [''] }
test: { script: [make test] }
`),
      'test',
      {
        image: 'new:2',
        stage: 'test',
        beforeScript: ['echo global'],
        afterScript: ['echo global after'],
      },
    ],
    [
      'a default keyword reaches jobs through extends, unless the template sets it',
      ci(`
default: { before_script: [echo default] }
.quiet: { before_script: [] }
job: { extends: .quiet, script: [echo job] }
`),
      'job',
      { beforeScript: [], script: ['echo job'] },
    ],
    [
      'inherit:default false and inherit:variables false',
      ci(`
variables: { G: global }
default: { image: img, before_script: [echo default] }
job:
  inherit: { default: false, variables: false }
  script: [echo job]
`),
      'job',
      { image: undefined, beforeScript: [], variables: {} },
    ],
    [
      'inherit lists pick defaults and variables by name',
      ci(`
variables: { KEEP: k, DROP: d }
default: { image: img, before_script: [echo default] }
job:
  inherit: { default: [image], variables: [KEEP] }
  script: [echo job]
`),
      'job',
      { image: 'img', beforeScript: [], variables: { KEEP: 'k' } },
    ],
    [
      'global variables merge with the job, the job wins; numbers, objects and expand: false',
      ci(`
variables:
  NODE_ENV: production
  RETRIES: 3
  DEPLOY: { value: staging, description: where to deploy }
  RAW: { value: "$NOT_EXPANDED", expand: false }
job:
  variables: { NODE_ENV: test, EXTRA: "" }
  script: [npm test]
`),
      'job',
      {
        variables: {
          NODE_ENV: 'test',
          RETRIES: '3',
          DEPLOY: 'staging',
          RAW: '$$NOT_EXPANDED',
          EXTRA: '',
        },
      },
    ],
    [
      'local include as a string, with the main file overriding included keys',
      project({
        '.gitlab-ci.yml': `
include: ci/common.yml
test: { image: main }
`,
        'ci/common.yml': `
variables: { FROM: common }
test: { image: included, script: [echo included] }
`,
      }),
      'test',
      { image: 'main', script: ['echo included'], variables: { FROM: 'common' } },
    ],
    [
      'local include as an object with a leading slash, nested includes, later includes win',
      project({
        '.gitlab-ci.yml': `
include:
  - local: /ci/first.yml
  - ci/second.yml
`,
        'ci/first.yml': `
include: { local: ci/templates.yml }
build: { extends: .tpl, variables: { ORDER: first } }
`,
        'ci/second.yml': 'build: { variables: { ORDER: second } }',
        'ci/templates.yml': '.tpl: { script: [make], image: gcc }',
      }),
      'build',
      { image: 'gcc', script: ['make'], variables: { ORDER: 'second' } },
    ],
    [
      '!reference splices lists one level and reads hashes',
      ci(`
.setup:
  script: [echo one, echo two]
  variables: { SHARED: yes-shared }
job:
  before_script:
    - !reference [.setup, script]
    - echo three
  script:
    - echo four
  variables: !reference [.setup, variables]
`),
      'job',
      {
        beforeScript: ['echo one', 'echo two', 'echo three'],
        script: ['echo four'],
        variables: { SHARED: 'yes-shared' },
      },
    ],
    [
      '!reference sees extended templates and follows references in what it finds',
      ci(`
.a: { script: [echo a] }
.b: { extends: .a, after_script: [!reference [.a, script], echo b] }
job:
  script: !reference [.b, after_script]
`),
      'job',
      { script: ['echo a', 'echo b'] },
    ],
    [
      'anchors, aliases and merge keys; nested script lists are flattened',
      ci(`
.defaults: &defaults
  image: python:3.12
  variables: { PIP: quiet }
.install: &install
  - pip install -r requirements.txt
  - [pip check, pip list]
test:
  <<: *defaults
  script:
    - *install
    - pytest
`),
      'test',
      {
        image: 'python:3.12',
        variables: { PIP: 'quiet' },
        script: ['pip install -r requirements.txt', 'pip check', 'pip list', 'pytest'],
      },
    ],
    [
      'a multi-line command stays one entry',
      ci(`
job:
  script:
    - |
      if [ -f Makefile ]; then
        make
      fi
    - >
      echo folded
      into one line
`),
      'job',
      { script: ['if [ -f Makefile ]; then\n  make\nfi\n', 'echo folded into one line\n'] },
    ],
    [
      'a header document with spec: is skipped',
      ci(`
spec:
  inputs: { stage: { default: test } }
---
job: { script: [echo body] }
`),
      'job',
      { script: ['echo body'] },
    ],
  ];
  for (const [name, files, job, expected] of cases) {
    it(name, () => {
      const definition = resolveJob(files, job);
      const picked = Object.fromEntries(
        Object.keys(expected).map((k) => [k, definition[k as keyof JobDefinition]]),
      );
      assert.deepEqual(picked, expected);
      assert.equal(definition.name, job);
    });
  }

  const warningCases: [string, ProjectFiles, RegExp[]][] = [
    [
      'remote, template, project and component includes',
      ci(`
include:
  - https://example.com/ci.yml
  - remote: https://example.com/other.yml
  - template: Security/SAST.gitlab-ci.yml
  - { project: group/ci, file: /templates/build.yml }
  - component: gitlab.com/components/opentofu/full-pipeline@1
job: { script: [echo ok] }
`),
      [
        /remote "https:\/\/example.com\/ci.yml"/,
        /remote "https:\/\/example.com\/other.yml"/,
        /template "Security\/SAST.gitlab-ci.yml"/,
        /project "group\/ci"/,
        /component "gitlab.com\/components/,
      ],
    ],
    [
      'a wildcard local include and include rules',
      project({
        '.gitlab-ci.yml': `
include:
  - local: 'ci/*.yml'
  - local: ci/extra.yml
    rules: [{ if: $CI_COMMIT_BRANCH }]
job: { script: [echo ok] }
`,
        'ci/extra.yml': '',
      }),
      [/pattern "ci\/\*.yml"/, /include rules are not evaluated; ci\/extra.yml is included/],
    ],
    [
      'default:variables, which GitLab rejects',
      ci(`
default: { variables: { X: "1" } }
job: { script: [echo ok] }
`),
      [/default:variables is not a GitLab keyword/],
    ],
    [
      'variable names a shell cannot export',
      ci(`
job: { script: [echo ok], variables: { "BAD-NAME": x, GOOD: y } }
`),
      [/"BAD-NAME" is not a valid shell name/],
    ],
  ];
  for (const [name, files, expected] of warningCases) {
    it(`warns and goes on: ${name}`, () => {
      const { warnings, script } = resolveJob(files, 'job');
      assert.deepEqual(script, ['echo ok']);
      assert.equal(warnings.length, expected.length, warnings.join('\n'));
      expected.forEach((pattern, i) => assert.match(warnings[i], pattern));
    });
  }

  const errorCases: [string, ProjectFiles, string, RegExp][] = [
    [
      'an extends cycle',
      ci(`
.a: { extends: .c }
.b: { extends: .a }
.c: { extends: .b }
job: { extends: .a, script: [echo] }
`),
      'job',
      /extends forms a cycle \(\.a → \.c → \.b → \.a\): remove one of these extends/,
    ],
    [
      'a job that extends itself',
      ci('job: { extends: job, script: [echo] }'),
      'job',
      /cycle \(job → job\)/,
    ],
    [
      'extends of something undefined, maybe from a skipped include',
      ci(`
include: { template: Jobs/Build.gitlab-ci.yml }
job: { extends: .auto-build, script: [echo] }
`),
      'job',
      /"job" extends "\.auto-build", which is not defined \(it may come from an include that could not be read\)/,
    ],
    [
      'a reference cycle',
      ci(`
.a: { script: [!reference [.b, script]] }
.b: { script: [!reference [.a, script]] }
job: { script: !reference [.a, script] }
`),
      'job',
      /nests more than 10 references deep, likely a cycle/,
    ],
    [
      'a reference to nothing',
      ci('job: { script: !reference [.setup, script] }'),
      'job',
      /!reference \[\.setup, script\] points at nothing \("\.setup" is not there\)/,
    ],
    [
      'a reference that is not a list',
      ci('job: { script: !reference .setup }'),
      'job',
      /!reference takes a list of keys/,
    ],
    [
      'an unknown job, listing the jobs there are',
      ci(`
.hidden: { script: [echo] }
build: { script: [make] }
test: { script: [make test] }
variables: { A: b }
`),
      'deploy',
      /There is no job "deploy" in \.gitlab-ci\.yml\. Pick one of: build, test\./,
    ],
    [
      'a hidden job',
      ci('.tpl: { script: [echo] }\nbuild: { script: [make] }'),
      '.tpl',
      /Pick one of: build\./,
    ],
    [
      'a keyword asked for as a job',
      ci('variables: { A: b }\nbuild: { script: [make] }'),
      'variables',
      /no job "variables"/,
    ],
    [
      'a job without a script',
      ci('bridge: { trigger: group/downstream }'),
      'bridge',
      /has no script/,
    ],
    ['no .gitlab-ci.yml', project({}), 'job', /no \.gitlab-ci\.yml at its root/],
    ['invalid YAML', ci('job: { script: [echo\n'), 'job', /\.gitlab-ci\.yml is not valid YAML/],
    [
      'a missing local include',
      ci('include: ci/missing.yml\njob: { script: [echo] }'),
      'job',
      /includes "ci\/missing.yml", which is not in the repository: add the file or fix the include/,
    ],
  ];
  for (const [name, files, job, expected] of errorCases) {
    it(`refuses clearly: ${name}`, () => {
      assert.throws(() => resolveJob(files, job), expected);
    });
  }

  it('lists the jobs, without hidden jobs or keywords, from every included file', () => {
    const files = project({
      '.gitlab-ci.yml': `
include: ci/deploy.yml
stages: [build, test, deploy]
variables: { A: b }
default: { image: alpine }
workflow: { rules: [{ when: always }] }
image: alpine
services: [postgres]
cache: { paths: [node_modules] }
before_script: [echo]
after_script: [echo]
.template: { script: [echo] }
build: { stage: build, script: [make] }
test: { script: [make test] }
`,
      'ci/deploy.yml': 'pages: { stage: deploy, script: [make site] }',
    });
    assert.deepEqual(listJobs(files), [
      { name: 'pages', stage: 'deploy' },
      { name: 'build', stage: 'build' },
      { name: 'test', stage: 'test' },
    ]);
  });
});

describe('fix pipeline: the job as one shell script', () => {
  let dir: string;
  beforeEach(() => {
    // realpath: on some systems the temporary directory is a symlink and `pwd` would differ.
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'tandem-ci-job-')));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function run(job: Partial<JobDefinition>): { code: number | null; out: string } {
    const definition: JobDefinition = {
      name: 'test',
      stage: 'test',
      script: [],
      beforeScript: [],
      afterScript: [],
      variables: {},
      warnings: [],
      ...job,
    };
    const env = { projectDir: dir, commitSha: 'a'.repeat(40), refName: 'Feature/Fix_CI' };
    writeFileSync(join(dir, 'job.sh'), jobScript(definition, env));
    const result = spawnSync('/bin/sh', [join(dir, 'job.sh')], {
      cwd: tmpdir(),
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    return { code: result.status, out: result.stdout + result.stderr };
  }

  const cases: [string, Partial<JobDefinition>, number, string][] = [
    [
      'before_script and script share one shell and echo each command',
      {
        beforeScript: ['X=from-before', 'cd sub 2>/dev/null || mkdir sub'],
        script: ['echo "$X"', 'pwd'],
      },
      0,
      `$ X=from-before\n$ cd sub 2>/dev/null || mkdir sub\n$ echo "$X"\nfrom-before\n$ pwd\n<dir>\n`,
    ],
    [
      'the first failing command stops the job; after_script still runs, in the project directory',
      {
        beforeScript: ['echo one'],
        script: ['echo two', 'false', 'echo never'],
        afterScript: ['echo "after $CI_JOB_STATUS in $(pwd)"'],
      },
      1,
      `$ echo one\none\n$ echo two\ntwo\n$ false\n$ echo "after $CI_JOB_STATUS in $(pwd)"\nafter failed in <dir>\n`,
    ],
    [
      "the exit code is the script's, not after_script's",
      { script: ['exit 3'], afterScript: ['false', 'echo never'] },
      3,
      `$ exit 3\n$ false\nWARNING: after_script failed, but job will continue unaffected: exit code 1\n`,
    ],
    [
      'a failing after_script does not fail a job that passed',
      { script: ['true'], afterScript: ['echo "$CI_JOB_STATUS"', 'exit 7'] },
      0,
      `$ true\n$ echo "$CI_JOB_STATUS"\nsuccess\n$ exit 7\nWARNING: after_script failed, but job will continue unaffected: exit code 7\n`,
    ],
    [
      'a failing command inside a multi-line command stops it',
      { script: ['echo start\nfalse\necho never', 'echo never either'] },
      1,
      `$ echo start # collapsed multi-line command\nstart\n`,
    ],
    [
      'a failure in a pipeline counts when the shell has pipefail',
      {
        script: [
          'if (set -o pipefail) 2>/dev/null; then false | true; else false; fi',
          'echo never',
        ],
      },
      1,
      `$ if (set -o pipefail) 2>/dev/null; then false | true; else false; fi\n`,
    ],
    [
      'predefined variables the runner would set',
      {
        name: 'unit tests',
        stage: 'verify',
        script: [
          'echo "$CI $GITLAB_CI [$CI_JOB_NAME] $CI_JOB_STAGE"',
          'echo "$CI_COMMIT_SHORT_SHA $CI_COMMIT_REF_NAME $CI_COMMIT_REF_SLUG"',
          'test "$CI_PROJECT_DIR" = "$(pwd)" && test "$CI_COMMIT_SHA" = "$CI_COMMIT_SHORT_SHA"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
        ],
      },
      0,
      '$ echo "$CI $GITLAB_CI [$CI_JOB_NAME] $CI_JOB_STAGE"\ntrue true [unit tests] verify\n' +
        '$ echo "$CI_COMMIT_SHORT_SHA $CI_COMMIT_REF_NAME $CI_COMMIT_REF_SLUG"\naaaaaaaa Feature/Fix_CI feature-fix-ci\n' +
        '$ test "$CI_PROJECT_DIR" = "$(pwd)" && test "$CI_COMMIT_SHA" = "$CI_COMMIT_SHORT_SHA"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n',
    ],
    [
      'variables are exported exactly, expanded as the runner does, and never run',
      {
        variables: {
          QUOTES: `it's "quoted"`,
          DOLLAR: 'cost $$5 and $(touch pwned) `touch pwned`',
          LINES: 'one\ntwo',
          CACHE: '$CI_PROJECT_DIR/.cache and ${CI_JOB_NAME}',
          UNKNOWN: '[$NOT_SET]',
          RAW: '$$CI_PROJECT_DIR',
          CI_JOB_NAME: 'overridden',
        },
        script: [
          `printf '%s|' "$QUOTES" "$DOLLAR" "$LINES" "$UNKNOWN" "$RAW" "$CI_JOB_NAME"; echo`,
          'echo "$CACHE"',
          'test ! -e pwned',
        ],
      },
      0,
      `$ printf '%s|' "$QUOTES" "$DOLLAR" "$LINES" "$UNKNOWN" "$RAW" "$CI_JOB_NAME"; echo\n` +
        `it's "quoted"|cost $5 and $(touch pwned) \`touch pwned\`|one\ntwo|[]|$CI_PROJECT_DIR|overridden|\n` +
        `$ echo "$CACHE"\n<dir>/.cache and overridden\n$ test ! -e pwned\n`,
    ],
  ];
  for (const [name, job, code, out] of cases) {
    it(name, () => {
      const result = run(job);
      assert.equal(result.out, out.replaceAll('<dir>', dir));
      assert.equal(result.code, code);
    });
  }

  it('reproduces a job read from .gitlab-ci.yml', () => {
    const job = resolveJob(
      ci(`
variables: { GREETING: hello }
default: { before_script: [echo "$GREETING from before"] }
.tpl: { after_script: [echo cleanup] }
job: { extends: .tpl, script: [echo "$GREETING $TARGET", exit 2], variables: { TARGET: world } }
`),
      'job',
    );
    assert.deepEqual(run(job), {
      code: 2,
      out: '$ echo "$GREETING from before"\nhello from before\n$ echo "$GREETING $TARGET"\nhello world\n$ exit 2\n$ echo cleanup\ncleanup\n',
    });
  });
});
