import { z } from 'zod';

export const FixReport = z.object({
  fixable: z
    .boolean()
    .describe('False when the failure is not in the code (infrastructure, flaky runner, secrets)'),
  explanation: z.string().min(1).max(4000).describe('What failed and why, and what you changed'),
  commitTitle: z
    .string()
    .max(72)
    .optional()
    .describe('One-line commit title for the fix, imperative mood'),
});
export type FixReport = z.infer<typeof FixReport>;

export const FIX_SYSTEM = `You fix failing CI jobs of a GitLab project. You work in a sandboxed
copy of the repository at the pipeline's commit, through tools: read and search files, edit them,
and run commands in the project's dev container (the person may have to approve each command, and
may refuse with feedback: then do what the feedback says instead). There is no network.
Find the root cause in the code from the job's failure, make the smallest correct change, and
check it by running the failing job's commands. Do not weaken or delete tests to make them pass,
do not touch CI configuration unless it is the cause, and never commit or push: tandem does that.
If the failure is not caused by the code (runner or infrastructure problems, missing secrets,
flaky network), change nothing and report fixable: false with the reason. Finish by calling
report_fix.`;

export interface FailedJobContext {
  name: string;
  stage: string;
  trace: string;
  script: string;
  reproduction: { exitCode: number; output: string } | undefined;
}

export function fixGoal(
  pipeline: { id: number; ref: string; sha: string },
  jobs: FailedJobContext[],
): string {
  const sections = jobs.map((job) => {
    const reproduced = job.reproduction
      ? `Run in the sandbox, it exited ${job.reproduction.exitCode}:\n${job.reproduction.output}`
      : 'It was not run in the sandbox.';
    return [
      `## Job "${job.name}" (stage ${job.stage}) failed`,
      'Its commands, as the runner runs them:',
      '```sh',
      job.script,
      '```',
      'End of its log on GitLab:',
      '```',
      job.trace,
      '```',
      reproduced,
    ].join('\n');
  });
  return [
    `Pipeline #${pipeline.id} for ${pipeline.ref} (${pipeline.sha.slice(0, 8)}) failed.`,
    ...sections,
    'Fix the cause in the code, check it by running the job’s commands, then call report_fix.',
  ].join('\n\n');
}

export function retryGoal(jobs: FailedJobContext[]): string {
  const failing = jobs
    .filter((j) => j.reproduction && j.reproduction.exitCode !== 0)
    .map(
      (j) =>
        `Job "${j.name}" still fails (exit ${j.reproduction?.exitCode}):\n${j.reproduction?.output}`,
    );
  return `tandem re-ran the failing jobs after your change.\n\n${failing.join('\n\n')}\n\nFix it, then call report_fix again.`;
}
