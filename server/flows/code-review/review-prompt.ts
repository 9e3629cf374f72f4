import { z } from 'zod';
import type { ModelMessage, ModelTool } from '../../chat/model';
import type { MergeRequestInfo } from '../../forge/forge';

export const Finding = z.object({
  path: z.string().min(1).describe('Path of the file in the new version'),
  line: z.number().int().positive().describe('Line number on the chosen side of the diff'),
  side: z
    .enum(['new', 'old'])
    .default('new')
    .describe('`new` for added or unchanged lines, `old` for removed lines'),
  severity: z.enum(['critical', 'major', 'minor', 'suggestion']),
  body: z.string().min(1).max(4000).describe('What is wrong, why it matters, how to fix it'),
});
export type Finding = z.infer<typeof Finding>;

export const ReviewSubmission = z.object({
  summary: z.string().min(1).max(4000).describe('Overall assessment in a few sentences'),
  findings: z.array(Finding).max(100),
});
export type ReviewSubmission = z.infer<typeof ReviewSubmission>;

export const SUBMIT_REVIEW = 'submit_review';

export const submitReviewTool: ModelTool = {
  type: 'function',
  function: {
    name: SUBMIT_REVIEW,
    description: 'Submit the review: an overall summary and the findings, each on one line.',
    parameters: z.toJSONSchema(ReviewSubmission, { io: 'input' }) as Record<string, unknown>,
  },
};

const SYSTEM = `You review GitLab merge requests like a careful senior engineer.
Report real problems only: bugs, security issues, data loss, race conditions, missing error
handling, performance traps, misleading names or docs. No praise, no nitpicks about style that a
formatter would fix. Each finding names one line: a line of the new version shown in the diff
(an added or unchanged line, side "new") or a removed line (side "old"), using the line numbers
given. Say what is wrong, why it matters and how to fix it, briefly. If the change is fine, submit
no findings and say so in the summary. Answer by calling ${SUBMIT_REVIEW} exactly once.`;

export function reviewMessages(mr: MergeRequestInfo, context: string): ModelMessage[] {
  const description = mr.description.trim() || '(no description)';
  return [
    { role: 'system', content: SYSTEM },
    {
      role: 'user',
      content:
        `Merge request !${mr.iid}: ${mr.title}\n` +
        `Branches: ${mr.sourceBranch} → ${mr.targetBranch}\n\n` +
        `Description:\n${description}\n\nChanged files:\n\n${context}`,
    },
  ];
}
