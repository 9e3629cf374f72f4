import { agentTools, type ToolContext } from '../../../sandbox/tools';
import type { Sandbox } from '../../../sandbox/sandbox';
import { runAgentStep } from '../../agent/agent-loop';
import { AccessLevel, type ProjectInfo } from '../../forge/forge';
import type { IssueInfo, IssueNote } from '../../forge/gitlab-records';
import { type Flow, type FlowContext, FlowError, type FlowResult, IDEMPOTENT } from '../flow';
import { localTaskReference } from '../local-reference';
import { finishLocally, publishStep } from '../publish';
import { startEarly, together } from '../together';
import {
  IMPLEMENT_SYSTEM,
  Implementation,
  implementGoal,
  Plan,
  planGoal,
  testsFailedGoal,
} from './implement-prompt';
import { detectTestCommand } from './test-command';

const TEST_ATTEMPTS = 3;
const OUTPUT_TAIL = 6000;
const READ_ONLY = new Set(['read_file', 'list_dir', 'find_files', 'grep', 'git_diff']);

/**
 * Implement Issue: reads the issue and its discussion, plans (the plan is recorded), implements
 * in the sandbox, runs the project's tests until they pass, then pushes the session's branch
 * and opens a merge request that closes the issue.
 */
export const implementIssueFlow: Flow = {
  id: 'implement_issue',
  name: 'Implement Issue',
  referenceKind: 'issue',
  requiredAccess: AccessLevel.developer,
  requiredAccessName: 'Developer',
  recommendWhen: 'the person wants an issue implemented as a merge request',
  run: implementIssue,
  localReference: async (text, workspaceFolder) => localTaskReference(text, workspaceFolder),
};

async function implementIssue(ctx: FlowContext): Promise<FlowResult> {
  const local = ctx.reference.local;
  const {
    issue,
    notes,
    project,
    sandbox: preparing,
  } = local
    ? {
        issue: localIssue(local.task as string, ctx.reference.url),
        notes: [],
        project: undefined,
        sandbox: ctx.sandbox(),
      }
    : await ctx.step('fetch_issue', () => fetchIssue(ctx), IDEMPOTENT);
  const sandbox = await ctx.step('prepare_sandbox', () => preparing, IDEMPOTENT);
  const tools: ToolContext = {
    sandbox,
    signal: ctx.signal,
    authorizeCommand: ctx.authorizeCommand,
  };
  const planned = await ctx.step(
    'plan',
    () =>
      runAgentStep(
        ctx,
        {
          name: 'plan',
          system: IMPLEMENT_SYSTEM,
          goal: planGoal(issue, notes),
          tools: agentTools.filter((t) => READ_ONLY.has(t.name)),
          finish: {
            name: 'submit_plan',
            description: 'Submit the plan before changing anything.',
            answer: Plan,
          },
        },
        tools,
      ),
    // Planning reads and thinks; it changes nothing.
    IDEMPOTENT,
  );
  ctx.event(
    'plan',
    planned.answer.steps.map((s, i) => `${i + 1}. ${s}`).join('\n'),
    planned.answer,
  );

  let history = planned.messages;
  let goal = implementGoal(planned.answer);
  let implementation: Implementation | undefined;
  for (let attempt = 1; attempt <= TEST_ATTEMPTS; attempt++) {
    const outcome = await ctx.step('implement', () =>
      runAgentStep(
        ctx,
        { name: 'implement', system: IMPLEMENT_SYSTEM, goal, tools: agentTools, finish: REPORT },
        tools,
        history,
      ),
    );
    history = outcome.messages;
    implementation = outcome.answer;
    const tests = await ctx.step('test', () => runTests(ctx, sandbox), IDEMPOTENT);
    if (tests.passed) break;
    if (attempt === TEST_ATTEMPTS) {
      throw new FlowError(
        `The project's tests (\`${tests.command}\`) still fail after ${TEST_ATTEMPTS} attempts; no merge request was opened. Last output:\n${tests.output.slice(-2000)}`,
      );
    }
    goal = testsFailedGoal(tests.command, tests.output);
  }
  if (!project) {
    return commitLocalImplementation(ctx, sandbox, implementation as Implementation, issue);
  }
  return publishImplementation(
    ctx,
    sandbox,
    issue,
    implementation as Implementation,
    project.defaultBranch,
  );
}

/**
 * The issue and its discussion, and the project. The sandbox starts at the head of the default
 * branch as soon as that is known, while the discussion downloads.
 */
async function fetchIssue(ctx: FlowContext): Promise<{
  issue: IssueInfo;
  notes: IssueNote[];
  project: ProjectInfo;
  sandbox: Promise<Sandbox>;
}> {
  const { projectPath, id } = ctx.reference;
  const starting = ctx.forge.getProject(projectPath).then(async (project) => {
    const branch = await ctx.forge.getBranch(projectPath, project.defaultBranch);
    if (!branch)
      throw new FlowError(`${projectPath} has no ${project.defaultBranch} branch to start from.`);
    const ref = branch.commitSha;
    return { project, sandbox: startEarly(ctx.sandbox({ ref, fetchFrom: project.httpUrlToRepo })) };
  });
  const [issue, notes, started] = await together([
    ctx.forge.getIssue(projectPath, id),
    ctx.forge.getIssueNotes(projectPath, id),
    starting,
  ] as const);
  return { issue, notes, ...started };
}

/** Local mode: the task in words stands in for an issue. */
function localIssue(task: string, url: string): IssueInfo {
  const title = task.split('\n')[0].slice(0, 72);
  return {
    iid: 0,
    title,
    description: task,
    state: 'opened',
    labels: [],
    author: 'you',
    webUrl: url,
  };
}

async function commitLocalImplementation(
  ctx: FlowContext,
  sandbox: Sandbox,
  implementation: Implementation,
  issue: IssueInfo,
): Promise<FlowResult> {
  const title = implementation.title ?? issue.title;
  const body = implementation.summary;
  return finishLocally(ctx, sandbox, { title, body }, `Implemented "${issue.title}".`);
}

const REPORT = {
  name: 'report_implementation',
  description: 'Report what you implemented when the change and its tests are done.',
  answer: Implementation,
};

async function runTests(
  ctx: FlowContext,
  sandbox: Sandbox,
): Promise<{ passed: boolean; command: string; output: string }> {
  const tests = await detectTestCommand(sandbox, ctx.config.flows.testCommand);
  if (!tests) {
    ctx.event(
      'tests',
      'No test command found (set tandem.flows.testCommand); continuing without tests',
    );
    return { passed: true, command: '', output: '' };
  }
  const { command, label, title } = tests;
  const allowed = await ctx.authorizeCommand(command, sandbox.workspaceFolder, { title });
  if (!allowed.allowed) {
    throw new FlowError(
      `The tests (\`${label}\`) were not allowed to run: ${allowed.reason} ${allowed.feedback ?? ''}`.trim(),
    );
  }
  const result = await sandbox.exec(command, { signal: ctx.signal });
  const output = `${result.stdout}\n${result.stderr}`.slice(-OUTPUT_TAIL);
  ctx.event('tests', `\`${label}\` exited ${result.exitCode}`, {
    command,
    exitCode: result.exitCode,
    output,
  });
  return { passed: result.exitCode === 0, command: label, output };
}

async function publishImplementation(
  ctx: FlowContext,
  sandbox: Sandbox,
  issue: IssueInfo,
  implementation: Implementation,
  targetBranch: string,
): Promise<FlowResult> {
  const title = implementation.title ?? issue.title;
  const published = await publishStep(ctx, {
    sandbox,
    targetBranch,
    commitMessage: `${title}\n\n${implementation.summary}\n\nCloses #${issue.iid}`,
    title,
    description: `${implementation.summary}\n\nCloses #${issue.iid}\n\n<sub>Opened by tandem (Implement Issue).</sub>`,
  });
  return {
    summary: `Implemented #${issue.iid} "${issue.title}" in merge request !${published.mergeRequest.iid}.`,
    links: [
      { label: `Merge request !${published.mergeRequest.iid}`, url: published.mergeRequest.webUrl },
      { label: `Issue #${issue.iid}`, url: issue.webUrl },
    ],
  };
}
