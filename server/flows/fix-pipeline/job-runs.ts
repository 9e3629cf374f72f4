import type { Sandbox } from '../../../sandbox/sandbox';
import type { FlowContext } from '../flow';
import { FlowError } from '../flow';
import { jobCommand, type JobDefinition, resolveJob } from './ci-config';

/** Characters of a job run's output kept for the model and the session (the tail). */
const OUTPUT_TAIL_CHARS = 8000;
const JOB_TIMEOUT_MS = 20 * 60_000;

export interface JobRun {
  exitCode: number;
  /** The end of stdout and stderr together. */
  output: string;
  durationMs: number;
}

/** Reads the failing job's definition from the worktree's CI configuration. */
export async function jobDefinition(sandbox: Sandbox, name: string): Promise<JobDefinition> {
  const files = new Map<string, string | undefined>();
  // resolveJob reads synchronously: read every file it may ask for first, then answer from memory.
  const read = async (file: string) => {
    if (!files.has(file)) files.set(file, await sandbox.readFile(file).catch(() => undefined));
  };
  await read('.gitlab-ci.yml');
  for (let round = 0; round < 20; round++) {
    const missing: string[] = [];
    try {
      return resolveJob((file) => {
        const path = file.replace(/^\/+/, '');
        if (!files.has(path)) missing.push(path);
        return files.get(path);
      }, name);
    } catch (error) {
      if (missing.length === 0)
        throw new FlowError(`Cannot reproduce job "${name}": ${(error as Error).message}`);
      for (const file of missing) await read(file);
    }
  }
  throw new FlowError(
    `Cannot reproduce job "${name}": its CI configuration includes too many files.`,
  );
}

/**
 * Runs a job's commands in the sandbox as the runner would, after the person (or a policy rule)
 * allowed it. Answers undefined when the run was refused.
 */
export async function runJob(
  ctx: FlowContext,
  sandbox: Sandbox,
  job: JobDefinition,
  env: { sha: string; ref: string },
): Promise<JobRun | { refused: string }> {
  const command = jobCommand(job, {
    projectDir: sandbox.workspaceFolder,
    commitSha: env.sha,
    refName: env.ref,
  });
  const allowed = await ctx.authorizeCommand(command, sandbox.workspaceFolder, {
    title: jobTitle(job),
  });
  if (!allowed.allowed) {
    return {
      refused: `${allowed.reason}${allowed.feedback ? ` Feedback: ${allowed.feedback}` : ''}`,
    };
  }
  const result = await sandbox.exec(command, {
    timeoutMs: JOB_TIMEOUT_MS,
    signal: ctx.signal,
    env: job.variables,
  });
  const output = `${result.stdout}${result.stderr ? `\n${result.stderr}` : ''}`;
  const run = { exitCode: result.exitCode, output: tail(output), durationMs: result.durationMs };
  ctx.event('job_run', `Job "${job.name}" exited ${run.exitCode} in the sandbox`, run);
  return run;
}

function tail(text: string): string {
  return text.length <= OUTPUT_TAIL_CHARS
    ? text
    : `[… ${text.length - OUTPUT_TAIL_CHARS} characters cut]\n${text.slice(-OUTPUT_TAIL_CHARS)}`;
}

/** `Run CI job "test" (node --version; npm test)?`: the job's own commands, short. */
export function jobTitle(job: JobDefinition): string {
  const commands = [...job.beforeScript, ...job.script].map((c) => c.split('\n')[0]);
  const list = commands.join('; ');
  const shown = list.length > 120 ? `${list.slice(0, 117)}…` : list;
  return `Run CI job "${job.name}" in the sandbox (${shown})?`;
}
