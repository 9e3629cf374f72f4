import { z } from 'zod';
import type { IssueInfo, IssueNote } from '../../forge/gitlab-records';

export const Plan = z.object({
  steps: z.array(z.string().min(1)).min(1).max(20).describe('The changes, in order, one line each'),
});
export type Plan = z.infer<typeof Plan>;

export const Implementation = z.object({
  summary: z.string().min(1).max(4000).describe('What you changed and why, for the merge request'),
  title: z
    .string()
    .max(72)
    .optional()
    .describe('Merge request title; the issue title when omitted'),
});
export type Implementation = z.infer<typeof Implementation>;

export const IMPLEMENT_SYSTEM = `You implement GitLab issues in a sandboxed copy of the project's
repository, through tools: read and search files, edit and create them, and run commands in the
project's dev container (the person may have to approve each command, and may refuse with
feedback: then do what the feedback says instead). There is no network. Follow the project's
conventions, keep the change focused on the issue, and add or update tests for it. Never commit
or push: tandem does that after the project's tests pass.`;

export function planGoal(issue: IssueInfo, notes: IssueNote[]): string {
  const discussion = notes
    .filter((n) => !n.system)
    .map((n) => `- ${n.author}: ${n.body}`)
    .join('\n');
  return [
    `Issue #${issue.iid}: ${issue.title}`,
    issue.labels.length ? `Labels: ${issue.labels.join(', ')}` : '',
    `\n${issue.description || '(no description)'}`,
    discussion ? `\nDiscussion:\n${discussion}` : '',
    '\nRead the code you need, then call submit_plan with the changes you will make. Do not edit yet.',
  ]
    .filter(Boolean)
    .join('\n');
}

export function implementGoal(plan: Plan): string {
  return `Your plan:\n${plan.steps.map((s, i) => `${i + 1}. ${s}`).join('\n')}\n\nImplement it now, with tests, then call report_implementation.`;
}

export function testsFailedGoal(command: string, output: string): string {
  return `tandem ran the project's tests (\`${command}\`) and they fail:\n${output}\n\nFix the code (not the tests, unless they are wrong), then call report_implementation again.`;
}
