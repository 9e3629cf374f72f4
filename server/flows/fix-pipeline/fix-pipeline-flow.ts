import { agentTools, type ToolContext } from '../../../sandbox/tools';
import type { Sandbox } from '../../../sandbox/sandbox';
import type { ModelMessage } from '../../chat/model';
import { runAgentStep } from '../../agent/agent-loop';
import { AccessLevel } from '../../forge/forge';
import type { JobInfo, PipelineInfo } from '../../forge/gitlab-records';
import { type Flow, type FlowContext, FlowError, type FlowResult, IDEMPOTENT } from '../flow';
import { localJobReference } from '../local-reference';
import { finishLocally, noteOnce, publishStep } from '../publish';
import { startEarly, together } from '../together';
import type { JobDefinition } from './ci-config';
import { type FailedJobContext, FIX_SYSTEM, FixReport, fixGoal, retryGoal } from './fix-prompt';
import { cleanTrace } from './job-trace';
import { jobDefinition, type JobRun, runJob } from './job-runs';

/** Fix-and-verify rounds before the flow gives up. */
const FIX_ATTEMPTS = 3;
const TRACE_BUDGET = { maxLines: 150, maxChars: 8000 };

/**
 * Fix Pipeline: reads the failed jobs and their logs, reproduces them in the sandbox at the
 * pipeline's commit, lets the agent fix the code, re-runs the jobs until they pass, then pushes
 * the session's branch and opens a merge request (into the pipeline's branch, or into the
 * source branch of the merge request the pipeline ran for, which also gets a note).
 */
export const fixPipelineFlow: Flow = {
  id: 'fix_pipeline',
  name: 'Fix Pipeline',
  referenceKind: 'pipeline',
  requiredAccess: AccessLevel.developer,
  requiredAccessName: 'Developer',
  recommendWhen: 'the person wants a failing pipeline or build fixed',
  run: fixPipeline,
  localReference: async (text, workspaceFolder) => localJobReference(text, workspaceFolder),
};

interface FailedJob {
  job: JobInfo;
  trace: string;
}

async function fixPipeline(ctx: FlowContext): Promise<FlowResult> {
  const { id } = ctx.reference;
  const local = ctx.reference.local;
  const { pipeline, failed, fetchFrom } = local
    ? localFailure(ctx, local.job as string)
    : await ctx.step('fetch_pipeline', () => fetchFailure(ctx), IDEMPOTENT);
  // Started already while the traces downloaded (the same sandbox), unless this is a resume.
  const sandbox = await ctx.step(
    'prepare_sandbox',
    () => (local ? ctx.sandbox() : ctx.sandbox({ ref: pipeline.sha, fetchFrom })),
    IDEMPOTENT,
  );
  const definitions = await ctx.step(
    'read_ci_config',
    () => Promise.all(failed.map((f) => jobDefinition(sandbox, f.job.name))),
    IDEMPOTENT,
  );
  const env = { sha: pipeline.sha, ref: pipeline.ref };
  let jobs = await ctx.step(
    'reproduce',
    () => runAll(ctx, sandbox, failed, definitions, env),
    IDEMPOTENT,
  );
  const pipelineLink = local
    ? { label: ctx.reference.label, url: ctx.reference.url }
    : { label: `Pipeline #${id}`, url: pipeline.webUrl };
  if (jobs.every((j) => j.reproduction?.exitCode === 0)) {
    return {
      summary: local
        ? `Job "${local.job}" passes in the sandbox: there is nothing to fix.`
        : `The failed jobs (${jobs.map((j) => j.name).join(', ')}) pass in the sandbox at ${pipeline.sha.slice(0, 8)}: the failure does not come from the code (runner, network or a flaky test). Retry the pipeline; nothing was changed.`,
      links: [pipelineLink],
    };
  }

  const tools: ToolContext = {
    sandbox,
    signal: ctx.signal,
    authorizeCommand: ctx.authorizeCommand,
  };
  let history: ModelMessage[] = [];
  let report: FixReport | undefined;
  for (let attempt = 1; attempt <= FIX_ATTEMPTS; attempt++) {
    const goal = attempt === 1 ? fixGoal(pipeline, jobs) : retryGoal(jobs);
    const outcome = await ctx.step('fix', () =>
      runAgentStep(
        ctx,
        { name: 'fix', system: FIX_SYSTEM, goal, tools: agentTools, finish: REPORT_FIX },
        tools,
        history,
      ),
    );
    history = outcome.messages;
    report = outcome.answer;
    if (!report.fixable) {
      return { summary: `Not fixable in the code: ${report.explanation}`, links: [pipelineLink] };
    }
    jobs = await ctx.step(
      'verify',
      () => runAll(ctx, sandbox, failed, definitions, env),
      IDEMPOTENT,
    );
    if (jobs.every((j) => j.reproduction?.exitCode === 0)) break;
    if (attempt === FIX_ATTEMPTS) throw stillFailing(jobs);
  }
  if (local) return commitLocalFix(ctx, sandbox, local.job as string, report as FixReport);
  return publishFix(ctx, sandbox, pipeline, report as FixReport, pipelineLink);
}

/** Local mode: the job of the workspace's CI configuration, run as if a pipeline had failed. */
function localFailure(
  ctx: FlowContext,
  job: string,
): { pipeline: PipelineInfo; failed: FailedJob[]; fetchFrom?: string } {
  ctx.event('pipeline', `Local job "${job}" of ${ctx.reference.local?.workspaceFolder}`);
  return {
    pipeline: {
      id: 0,
      status: 'failed',
      ref: 'HEAD',
      sha: 'HEAD',
      source: 'local',
      webUrl: ctx.reference.url,
    },
    failed: [
      {
        job: {
          id: 0,
          name: job,
          stage: 'test',
          status: 'failed',
          allowFailure: false,
          webUrl: ctx.reference.url,
        },
        trace: '(run locally: there is no GitLab log; see the sandbox run below)',
      },
    ],
  };
}

async function commitLocalFix(
  ctx: FlowContext,
  sandbox: Sandbox,
  job: string,
  report: FixReport,
): Promise<FlowResult> {
  const title = report.commitTitle ?? `Fix job ${job}`;
  const first = report.explanation.split('\n')[0];
  return finishLocally(
    ctx,
    sandbox,
    { title, body: report.explanation },
    `Fixed job "${job}": ${first}`,
  );
}

const REPORT_FIX = {
  name: 'report_fix',
  description: 'Report the fix (or that the failure is not in the code) when you are done.',
  answer: FixReport,
};

/**
 * The pipeline, its failed jobs and their traces. The sandbox starts at the pipeline's commit
 * as soon as that is known, while the traces download.
 */
async function fetchFailure(
  ctx: FlowContext,
): Promise<{ pipeline: PipelineInfo; failed: FailedJob[]; fetchFrom: string }> {
  const { projectPath, id } = ctx.reference;
  const [pipeline, project, allFailed] = await together([
    ctx.forge.getPipeline(projectPath, id),
    ctx.forge.getProject(projectPath),
    ctx.forge.getPipelineJobs(projectPath, id, { failedOnly: true }),
  ] as const);
  const jobs = allFailed.filter((j) => !j.allowFailure);
  if (jobs.length === 0) {
    throw new FlowError(`Pipeline #${id} has no failed jobs to fix (it is ${pipeline.status}).`);
  }
  startEarly(ctx.sandbox({ ref: pipeline.sha, fetchFrom: project.httpUrlToRepo }));
  const traces = await Promise.all(jobs.map((j) => ctx.forge.getJobTrace(projectPath, j.id)));
  const failed = jobs.map((job, i) => ({ job, trace: cleanTrace(traces[i], TRACE_BUDGET).text }));
  ctx.event('pipeline', `Pipeline #${id} on ${pipeline.ref}: ${jobs.length} failed job(s)`, {
    sha: pipeline.sha,
    jobs: jobs.map((j) => ({ name: j.name, stage: j.stage, failureReason: j.failureReason })),
  });
  return { pipeline, failed, fetchFrom: project.httpUrlToRepo };
}

async function runAll(
  ctx: FlowContext,
  sandbox: Sandbox,
  failed: FailedJob[],
  definitions: JobDefinition[],
  env: { sha: string; ref: string },
): Promise<FailedJobContext[]> {
  const out: FailedJobContext[] = [];
  for (let i = 0; i < failed.length; i++) {
    const run = await runJob(ctx, sandbox, definitions[i], env);
    out.push({
      name: failed[i].job.name,
      stage: failed[i].job.stage,
      trace: failed[i].trace,
      script: [...definitions[i].beforeScript, ...definitions[i].script].join('\n'),
      reproduction: 'refused' in run ? undefined : (run as JobRun),
    });
  }
  return out;
}

function stillFailing(jobs: FailedJobContext[]): FlowError {
  const failing = jobs.find((j) => j.reproduction?.exitCode !== 0);
  const output = failing?.reproduction?.output.slice(-2000) ?? '(the job was not run)';
  return new FlowError(
    `The fix did not make job "${failing?.name}" pass after ${FIX_ATTEMPTS} attempts; no merge request was opened. Last output:\n${output}`,
  );
}

async function publishFix(
  ctx: FlowContext,
  sandbox: Sandbox,
  pipeline: PipelineInfo,
  report: FixReport,
  pipelineLink: { label: string; url: string },
): Promise<FlowResult> {
  const { projectPath, id } = ctx.reference;
  const forMergeRequest = /^refs\/merge-requests\/(\d+)\/head$/.exec(pipeline.ref);
  const original = forMergeRequest
    ? await ctx.forge.getMergeRequest(projectPath, Number(forMergeRequest[1]))
    : undefined;
  const targetBranch = original?.sourceBranch ?? pipeline.ref;
  const title = report.commitTitle ?? `Fix pipeline #${id}`;
  const published = await publishStep(ctx, {
    sandbox,
    targetBranch,
    commitMessage: `${title}\n\n${report.explanation}\n\nFixes pipeline #${id} (${pipeline.webUrl}).`,
    title,
    description: `${report.explanation}\n\nFixes [pipeline #${id}](${pipeline.webUrl}): the failed jobs pass in tandem's sandbox with this change.\n\n<sub>Opened by tandem (Fix Pipeline).</sub>`,
  });
  if (original) {
    const fixUrl = published.mergeRequest.webUrl;
    await noteOnce(ctx, original, {
      body: `Pipeline #${id} failed; tandem opened ${fixUrl} with a fix into \`${targetBranch}\`.`,
      marker: fixUrl,
    });
  }
  return {
    summary: `Fixed pipeline #${id}: ${report.explanation.split('\n')[0]} Merge request !${published.mergeRequest.iid} targets ${targetBranch}.`,
    links: [
      { label: `Merge request !${published.mergeRequest.iid}`, url: published.mergeRequest.webUrl },
      pipelineLink,
      {
        label: `Branch ${published.branch}`,
        url: `${ctx.config.gitlab.url}/${projectPath}/-/tree/${published.branch}`,
      },
    ],
  };
}
