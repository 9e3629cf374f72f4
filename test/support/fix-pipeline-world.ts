import * as path from 'node:path';
import { GitClient } from './git-client';
import { GitLabStandIn } from './gitlab-stand-in';
import { ProtocolClient } from './protocol-client';
import { readTree } from './review-world';
import { ScriptedModel, type Reply, type ScriptedRequest } from './scripted-model';
import { tempDir } from './temp-dir';

export const PROJECT_DIR = path.resolve(
  __dirname,
  '..',
  '..',
  'examples',
  'fix-pipeline-demo',
  'project',
);
export const TOKEN = 'glpat-fixer-0123456789';
export const KEY = 'sk-fixer-0123456789';
const FAILING_TRACE = [
  '\x1b[0KRunning with gitlab-runner 17.0.0',
  'section_start:1700000000:step_script\r\x1b[0K\x1b[0;m\x1b[32;1m$ npm test\x1b[0;m',
  'not ok 2 - last, partial page',
  '  expected: { pages: 3 } actual: { pages: 2 }',
  '# fail 2',
  'section_end:1700000001:step_script\r\x1b[0K',
  '\x1b[31;1mERROR: Job failed: exit code 1\x1b[0;m',
].join('\n');

/** The recorded fixer: first the edit, then the report (or what the feedback asks for). */
export function fixer(options: { fix: boolean }) {
  return (request: ScriptedRequest): Reply | undefined => {
    const tools = JSON.stringify(request.body.tools ?? []);
    if (!tools.includes('report_fix')) return undefined;
    const edited = JSON.stringify(request.body.messages).includes('"name":"edit_file"');
    if (!edited) {
      const replacement = options.fix
        ? 'Math.ceil(items.length / size)'
        : 'Math.round(items.length / size) - 1';
      return {
        toolCalls: [
          {
            name: 'edit_file',
            arguments: {
              path: 'src/paginate.js',
              old_text: 'Math.floor(items.length / size)',
              new_text: replacement,
            },
          },
        ],
        usage: { promptTokens: 900, completionTokens: 60 },
      };
    }
    return {
      toolCalls: [
        {
          name: 'report_fix',
          arguments: {
            fixable: true,
            explanation:
              'The page count rounded down, so a last partial page was lost; it rounds up now.',
            commitTitle: 'Count the last partial page',
          },
        },
      ],
      usage: { promptTokens: 1200, completionTokens: 80 },
    };
  };
}

/** The line the recorded implementer adds to paginate(). */
export const GUARD =
  "  if (!Number.isInteger(page) || page < 1) throw new RangeError('page must be a positive integer');\n";

/** The recorded implementer: a plan, then the edit, then the report. */
export function implementer(request: ScriptedRequest): Reply | undefined {
  const tools = JSON.stringify(request.body.tools ?? []);
  const said = JSON.stringify(request.body.messages);
  if (tools.includes('submit_plan')) {
    return {
      toolCalls: [
        {
          name: 'submit_plan',
          arguments: { steps: ['Reject page numbers below 1 in paginate()', 'Test it'] },
        },
      ],
    };
  }
  if (!tools.includes('report_implementation')) return undefined;
  if (!said.includes('"name":"edit_file"')) {
    const anchor = '  const pages = Math.ceil(items.length / size);\n';
    return {
      toolCalls: [
        {
          name: 'edit_file',
          arguments: { path: 'src/paginate.js', old_text: anchor, new_text: GUARD + anchor },
        },
      ],
    };
  }
  return {
    toolCalls: [
      {
        name: 'report_implementation',
        arguments: {
          summary: 'paginate() now throws a RangeError for page numbers below 1.',
          title: 'Reject page numbers below 1',
        },
      },
    ],
  };
}

/** The example project on the GitLab stand-in and a clone of it as workspace, before a server. */
export interface ExampleSetup {
  gitlab: GitLabStandIn;
  model: ScriptedModel;
  /** The server's state directory. */
  stateDir: string;
  /** A clone of `group/app`, the server's workspace folder. */
  workspaceDir: string;
  /** Environment for the server process: model, GitLab (with their secrets) and state. */
  env: Record<string, string>;
  /** The `tandem` settings section the tests use. */
  settings: { model: { retryBaseMs: number }; sandbox: { memory: string; pids: number } };
  stop(): Promise<void>;
}

/**
 * Seeds `group/app` (user `dev`, Developer) with `files` and whatever `seed` adds, and clones it
 * as the workspace; the caller starts a server on it.
 */
export async function setUpExample(
  files: Record<string, string> = readTree(PROJECT_DIR),
  seed: (gitlab: GitLabStandIn) => void = () => undefined,
): Promise<ExampleSetup> {
  const gitlab = await GitLabStandIn.start();
  const model = await ScriptedModel.start({ apiKey: KEY });
  gitlab.addUser({ username: 'dev', token: TOKEN });
  gitlab.addProject({ path: 'group/app', files, defaultBranch: 'main' });
  gitlab.addMember({ path: 'group/app', username: 'dev', level: 30 });
  seed(gitlab);
  const state = tempDir('tandem-example-state-');
  const workspace = tempDir('tandem-example-workspace-');
  const git = new GitClient(path.join(state.dir, 'git-home'));
  const header = `http.extraHeader=PRIVATE-TOKEN: ${TOKEN}`;
  await git.ok(workspace.dir, ['-c', header, 'clone', '-q', gitlab.gitUrl('group/app'), '.']);
  return {
    gitlab,
    model,
    stateDir: state.dir,
    workspaceDir: workspace.dir,
    env: {
      TANDEM_STATE_DIR: state.dir,
      OPENAI_BASE_URL: model.baseUrl,
      OPENAI_API_KEY: KEY,
      GITLAB_URL: gitlab.url,
      GITLAB_TOKEN: TOKEN,
    },
    settings: { model: { retryBaseMs: 10 }, sandbox: { memory: '1g', pids: 256 } },
    stop: async () => {
      await Promise.all([gitlab.stop(), model.stop()]);
      workspace.cleanup();
      state.cleanup();
    },
  };
}

/** The example project on the GitLab stand-in, a clone of it as workspace, and the server. */
export interface ExampleWorld {
  gitlab: GitLabStandIn;
  model: ScriptedModel;
  client: ProtocolClient;
  stop(): Promise<void>;
}

/** `setUpExample` with the server started on it. */
export async function startExampleWorld(
  files: Record<string, string> = readTree(PROJECT_DIR),
  seed: (gitlab: GitLabStandIn) => void = () => undefined,
): Promise<ExampleWorld> {
  const setup = await setUpExample(files, seed);
  const client = await ProtocolClient.start({
    env: setup.env,
    settings: setup.settings,
    workspaceFolder: setup.workspaceDir,
  });
  return {
    gitlab: setup.gitlab,
    model: setup.model,
    client,
    stop: async () => {
      await client.stop();
      await setup.stop();
    },
  };
}

/** The example project with a failed pipeline on `main`. */
export interface FixPipelineWorld extends ExampleWorld {
  pipelineId: number;
}

/** Adds a pipeline on `main` whose `test` job failed; returns its id. */
export function seedFailedPipeline(gitlab: GitLabStandIn): number {
  return gitlab.addPipeline({
    project: 'group/app',
    ref: 'main',
    jobs: [
      { name: 'lint', stage: 'lint', status: 'success' },
      { name: 'test', stage: 'test', status: 'failed', trace: FAILING_TRACE },
    ],
  }).id;
}

export async function startFixPipelineWorld(): Promise<FixPipelineWorld> {
  let pipelineId = 0;
  const world = await startExampleWorld(readTree(PROJECT_DIR), (gitlab) => {
    pipelineId = seedFailedPipeline(gitlab);
  });
  return { ...world, pipelineId };
}
