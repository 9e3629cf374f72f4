import { z } from 'zod';
import type { Flow } from '../flows/flow';
import type { ChatSendParams } from '../protocol';
import type { ModelTool } from './model';

export const RECOMMEND_FLOW = 'recommend_flow';

export function recommendFlowArguments(flows: readonly Flow[]) {
  const ids = flows.map((f) => f.id) as [string, ...string[]];
  return z.object({
    flow: z.enum(ids).describe('Which flow to recommend'),
    reference: z
      .string()
      .min(1)
      .describe(
        'The explicit reference the person gave: a URL, group/project!7 or group/project#12; ' +
          'for local work on the workspace, a CI job name (fix_pipeline) or the task in words ' +
          '(implement_issue)',
      ),
    reason: z.string().optional().describe('One sentence on why this flow fits the request'),
  });
}

export function recommendFlowTool(flows: readonly Flow[]): ModelTool {
  return {
    type: 'function',
    function: {
      name: RECOMMEND_FLOW,
      description:
        'Recommend running a flow. The person sees an approval card with the flow and the ' +
        'reference and approves or denies it; the tool result says what they decided. Call it ' +
        'only when the person asked for what the flow does and gave an explicit reference.',
      parameters: z.toJSONSchema(recommendFlowArguments(flows), { io: 'input' }) as Record<
        string,
        unknown
      >,
    },
  };
}

export function chatSystemPrompt(
  flows: readonly Flow[],
  gitlabUrl: string,
  context?: ChatSendParams['context'],
): string {
  const flowLines = flows.map((f) => `- ${f.id} (${f.name}): when ${f.recommendWhen}.`).join('\n');
  const lines = [
    'You are tandem, a coding assistant in the editor, working with the GitLab instance at ' +
      `${gitlabUrl}.`,
    'You can recommend flows that run in the background and do real work on GitLab:',
    flowLines || '- (no flows are available in this build)',
    `When a request matches a flow and the person gave an explicit reference (a URL, or ` +
      'group/project!7 for a merge request, group/project#12 for an issue), call ' +
      `${RECOMMEND_FLOW}. Fix Pipeline and Implement Issue also work locally, without GitLab: ` +
      'on a job of the workspace’s .gitlab-ci.yml (its name is the reference) or on a task the ' +
      'person describes in words (the description is the reference); the result stays on a ' +
      'branch of their repository. Without a reference, ask for one. Never say a flow started unless the ' +
      'tool result says so; when it did, confirm in one short sentence.',
    'If the person denies a flow, do not recommend it again unless asked; keep helping in other ' +
      'ways: explain, guide, answer questions.',
    'A running flow shows its status in a session widget; do not report its progress yourself.',
    'Answer in Markdown, concisely.',
  ];
  if (context?.workspaceFolder) lines.push(`Workspace folder: ${context.workspaceFolder}`);
  if (context?.activeFile) {
    lines.push(`Active file: ${context.activeFile.uri}`);
    if (context.activeFile.selection) {
      lines.push('Selected text:', '```', context.activeFile.selection, '```');
    }
  }
  return lines.join('\n');
}
