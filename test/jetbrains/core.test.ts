import * as assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { requireDocker } from '../support/docker-world';
import {
  fixer,
  PROJECT_DIR,
  seedFailedPipeline,
  setUpExample,
  type ExampleSetup,
} from '../support/fix-pipeline-world';
import { playRecordedModel } from '../support/recorded-model';
import {
  MODEL_KEY,
  readTree,
  startReviewWorld,
  USERS,
  type ReviewWorld,
} from '../support/review-world';
import { tempDir } from '../support/temp-dir';

const ROOT = path.resolve(__dirname, '..', '..');
const CORE = path.join(ROOT, 'clients', 'jetbrains', 'core');
const SERVER = path.join(ROOT, 'dist', 'tandem.js');
/** Debian's packages: openjdk-17-jdk-headless, junit5, libgoogle-gson-java. */
const JARS = process.env.TANDEM_JAVA_JARS ?? '/usr/share/java';
const GSON = path.join(JARS, 'gson.jar');
const COMPILE_CLASSPATH = [
  'gson.jar',
  'junit-jupiter-api.jar',
  'junit-jupiter-params.jar',
  'apiguardian-api.jar',
  'opentest4j.jar',
  'junit-platform-commons.jar',
].map((jar) => path.join(JARS, jar));
const LAUNCHER = path.join(JARS, 'junit-platform-console-standalone.jar');
const INSTALL_HINT = 'apt-get install -y openjdk-17-jdk-headless junit5 libgoogle-gson-java';

interface JavaTest {
  className: string;
  method: string;
  integration: boolean;
}

/** Every @Test method of the core's test sources, found by reading them (so a test can't go missing). */
function javaTests(): JavaTest[] {
  const tests: JavaTest[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.java')) {
        const source = fs.readFileSync(full, 'utf8');
        const pkg = /^package ([\w.]+);/m.exec(source)?.[1];
        const className = `${pkg}.${entry.name.slice(0, -'.java'.length)}`;
        const integration = source.includes('@Tag("integration")');
        for (const m of source.matchAll(/@Test\s+(?:@\w+(?:\([^)]*\))?\s+)*void (\w+)\(/g)) {
          tests.push({ className, method: m[1], integration });
        }
      }
    }
  };
  walk(path.join(CORE, 'src', 'test', 'java'));
  return tests;
}

/** `aFailedAnswerLeavesTheApprovalPending` → `a failed answer leaves the approval pending`. */
function words(method: string): string {
  return method.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

function javaFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.java'))
    .map((f) => path.join(dir, f));
}

let compiled: Promise<string> | undefined;
let build: ReturnType<typeof tempDir> | undefined;

/** Compiles the core and its tests with javac (once per run); returns the classes directory. */
function compile(): Promise<string> {
  compiled ??= (async () => {
    build = tempDir('tandem-jetbrains-core-');
    for (const jar of [...COMPILE_CLASSPATH, LAUNCHER]) {
      if (!fs.existsSync(jar)) throw new Error(`${jar} is missing: ${INSTALL_HINT}`);
    }
    const classes = path.join(build.dir, 'classes');
    const sources = [
      ...javaFiles(path.join(CORE, 'src', 'main', 'java')),
      ...javaFiles(path.join(CORE, 'src', 'test', 'java')),
    ];
    const args = ['--release', '17', '-Xlint:all', '-Werror', '-encoding', 'UTF-8'];
    args.push('-d', classes, '-cp', COMPILE_CLASSPATH.join(':'), ...sources);
    try {
      await promisify(execFile)('javac', args, { maxBuffer: 16 * 1024 * 1024 });
    } catch (error) {
      const e = error as { code?: string; stderr?: string; message: string };
      if (e.code === 'ENOENT') {
        throw new Error(`javac is not installed: ${INSTALL_HINT}`, { cause: error });
      }
      throw new Error(`javac failed:\n${e.stderr ?? e.message}`, { cause: error });
    }
    return classes;
  })();
  return compiled;
}

interface Outcome {
  status: 'passed' | 'failed' | 'skipped';
  message: string;
}

/**
 * Runs JUnit's console launcher on the compiled classes and reads its XML report: one outcome per
 * `Class#method`.
 */
async function runJUnit(
  classes: string,
  reports: string,
  tag: { include?: string; exclude?: string },
  env: Record<string, string>,
): Promise<{ outcomes: Map<string, Outcome>; output: string }> {
  const args = [
    '-Dfile.encoding=UTF-8',
    '-Dsun.stdout.encoding=UTF-8',
    '-Dsun.stderr.encoding=UTF-8',
  ];
  args.push('-jar', LAUNCHER, '--disable-banner', '--disable-ansi-colors', '--details=summary');
  args.push('--class-path', `${classes}:${GSON}`, '--scan-class-path', classes);
  args.push('--reports-dir', reports);
  if (tag.include) args.push('--include-tag', tag.include);
  if (tag.exclude) args.push('--exclude-tag', tag.exclude);
  const child = spawn('java', args, { env: { PATH: process.env.PATH ?? '', ...env } });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  await new Promise((resolve) => child.once('close', resolve));
  const report = path.join(reports, 'TEST-junit-jupiter.xml');
  if (!fs.existsSync(report)) throw new Error(`JUnit wrote no report:\n${output}`);
  const xml = fs.readFileSync(report, 'utf8');
  const outcomes = new Map<string, Outcome>();
  for (const m of xml.matchAll(
    /<testcase name="(\w+)\(\)" classname="([\w.$]+)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g,
  )) {
    const body = m[4] ?? '';
    const failure = /<(failure|error) message="([^"]*)"/.exec(body);
    const skipped = /<skipped/.test(body);
    outcomes.set(`${m[2]}#${m[1]}`, {
      status: failure ? 'failed' : skipped ? 'skipped' : 'passed',
      message: failure ? unescapeXml(failure[2]) : '',
    });
  }
  return { outcomes, output };
}

function unescapeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** One mocha test per JUnit test, so the total counts each of them and names a failing one. */
function reportEach(
  tests: JavaTest[],
  results: () => { outcomes: Map<string, Outcome>; output: string },
): void {
  for (const t of tests) {
    const simple = t.className.split('.').pop();
    it(`${simple}: ${words(t.method)}`, function () {
      const { outcomes, output } = results();
      const outcome = outcomes.get(`${t.className}#${t.method}`);
      assert.ok(outcome, `JUnit did not run ${t.className}#${t.method}:\n${output}`);
      if (outcome.status === 'skipped') this.skip();
      assert.equal(outcome.status, 'passed', `${outcome.message}\n${output}`);
    });
  }
}

const ALL = javaTests();

after(() => build?.cleanup());

describe('JetBrains core (Java 17, JUnit 5): unit tests', function () {
  this.timeout(120_000);
  let results: { outcomes: Map<string, Outcome>; output: string };

  before(async () => {
    const classes = await compile();
    results = await runJUnit(
      classes,
      path.join(classes, '..', 'unit'),
      { exclude: 'integration' },
      {},
    );
  });

  reportEach(
    ALL.filter((t) => !t.integration),
    () => results,
  );
});

/** Packages of the IntelliJ Platform, LSP4IJ, lsp4j and Kotlin: not on this machine. */
const PLATFORM =
  /^(com\.intellij|com\.redhat\.devtools|org\.eclipse\.lsp4j|org\.jetbrains|kotlin)\b/;

/**
 * What javac says about one compiler error of the glue compiled against the core alone, when it
 * is not about the platform being absent; undefined when it is.
 */
function glueProblem(block: string, core: ReadonlySet<string>): string | undefined {
  const message = /error: (.*)/.exec(block)?.[1] ?? block;
  if (block.includes('dev.tandem.core')) return block; // a core API the glue uses does not exist
  const location = /location: .*?(?:class|interface|type) ([\w.$<>]+)/.exec(block)?.[1];
  const owner = location?.replace(/<.*$/, '').split(/[.$]/).pop();
  if (owner && core.has(owner)) return block; // a member a core class does not have
  const missing = /^package ([\w.]+) does not exist$/.exec(message);
  if (missing) {
    // A platform package, or a nested type of a platform class (e.g. Service.Level).
    return PLATFORM.test(missing[1]) || /^[A-Z]/.test(missing[1]) ? undefined : block;
  }
  if (message === 'cannot find symbol') return undefined; // platform classes and their members
  if (message === 'method does not override or implement a method from a supertype')
    return undefined;
  return block;
}

describe('JetBrains plugin glue (the platform and LSP4IJ are not here)', function () {
  this.timeout(120_000);

  it('parses as Java 17, and every core class and method it uses exists (javac against the core)', async () => {
    const classes = await compile();
    const glue = javaFiles(path.join(ROOT, 'clients', 'jetbrains', 'src', 'main', 'java'));
    assert.ok(glue.length >= 10, `glue sources: ${glue.length}`);
    const out = path.join(classes, '..', 'glue');
    const args = ['--release', '17', '-Xmaxerrs', '100000', '-encoding', 'UTF-8', '-d', out];
    args.push('-cp', `${classes}:${GSON}`, ...glue);
    const stderr = await new Promise<string>((resolve) => {
      execFile('javac', args, { maxBuffer: 64 * 1024 * 1024 }, (_error, _stdout, err) =>
        resolve(err),
      );
    });
    const blocks = stderr.split(/\n(?=\S+\.java:\d+: )/).filter((b) => /: error: /.test(b));
    assert.ok(
      blocks.length > 0,
      'javac found the platform classes: compile the plugin with Gradle',
    );
    const core = new Set(
      fs
        .readdirSync(classes, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.class') && f.includes(`dev${path.sep}tandem${path.sep}core`))
        .map((f) => path.basename(f, '.class').split('$').pop() as string),
    );
    assert.ok(core.has('ClientState') && core.has('SessionSnapshot'));
    // A glue class of the same simple name as a core one is the glue's own.
    for (const file of glue) {
      for (const m of fs.readFileSync(file, 'utf8').matchAll(/\b(?:class|interface) (\w+)/g)) {
        core.delete(m[1]);
      }
    }
    const problems = blocks.map((b) => glueProblem(b, core)).filter(Boolean);
    assert.deepEqual(problems, [], 'errors that are not about the absent platform');
    const parse = await new Promise<string>((resolve) => {
      const only = ['-XDshould-stop.ifNoError=PARSE', '-XDshould-stop.ifError=PARSE', '-d', out];
      execFile('javac', [...only, ...glue], (_e, _o, err) => resolve(err));
    });
    assert.equal(parse, '', 'the glue parses');
  });
});

describe('JetBrains core (Java 17, JUnit 5): drives the real server over stdio (slow)', function () {
  this.timeout(420_000);
  let review: ReviewWorld;
  let example: ExampleSetup | undefined;
  let state: ReturnType<typeof tempDir>;
  let results: { outcomes: Map<string, Outcome>; output: string };

  before(async function () {
    state = tempDir('tandem-jetbrains-state-');
    const classes = await compile();
    review = await startReviewWorld();
    playRecordedModel(review.model, review.base, review.head);
    let dockerReady = true;
    let pipelineId = 0;
    try {
      await requireDocker(this);
    } catch (error) {
      if ((error as Error).message.includes('in CI')) throw error;
      dockerReady = false; // skipped: the Fix Pipeline test reports itself skipped
    }
    if (dockerReady) {
      example = await setUpExample(readTree(PROJECT_DIR), (gitlab) => {
        pipelineId = seedFailedPipeline(gitlab);
      });
      example.model.respond(fixer({ fix: true }));
    }
    const reviewWorkspace = path.join(state.dir, 'review-workspace');
    fs.mkdirSync(reviewWorkspace);
    const config = {
      server: [process.execPath, SERVER, 'lsp', '--stdio'],
      review: {
        stateDir: path.join(state.dir, 'review-state'),
        workspace: reviewWorkspace,
        mrUrl: review.mr.webUrl,
        model: { baseUrl: review.model.baseUrl, name: 'scripted', apiKey: MODEL_KEY },
        gitlab: { url: review.gitlab.url, token: USERS.dev.token },
        extra: { model: { retryBaseMs: 10, timeoutMs: 5000, maxRetries: 3 } },
      },
      fixPipeline: example && {
        stateDir: example.stateDir,
        workspace: example.workspaceDir,
        pipelineUrl: `${example.gitlab.url}/group/app/-/pipelines/${pipelineId}`,
        model: {
          baseUrl: example.model.baseUrl,
          name: 'scripted',
          apiKey: example.env.OPENAI_API_KEY,
        },
        gitlab: { url: example.gitlab.url, token: example.env.GITLAB_TOKEN },
        extra: example.settings,
      },
    };
    const configFile = path.join(state.dir, 'config.json');
    fs.writeFileSync(configFile, JSON.stringify(config, null, 2), { mode: 0o600 });
    const env: Record<string, string> = { TANDEM_IT_CONFIG: configFile, HOME: state.dir };
    if (process.env.DOCKER_HOST) env.DOCKER_HOST = process.env.DOCKER_HOST;
    results = await runJUnit(
      classes,
      path.join(classes, '..', 'integration'),
      { include: 'integration' },
      env,
    );
    for (const line of results.output.split('\n').filter((l) => l.startsWith('[it] '))) {
      process.stdout.write(`      ${line.slice(5)}\n`);
    }
    const secrets = [MODEL_KEY, USERS.dev.token, example?.env.GITLAB_TOKEN].filter(
      Boolean,
    ) as string[];
    for (const secret of secrets) {
      assert.ok(!results.output.includes(secret), 'no secret in what the client and server logged');
    }
  });
  after(async () => {
    await review?.stop();
    await example?.stop();
    state?.cleanup();
  });

  reportEach(
    ALL.filter((t) => t.integration),
    () => results,
  );
});
