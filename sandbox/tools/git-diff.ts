import { z } from 'zod';
import { worktreeDiff } from '../git';
import { resolveWorkspacePath } from '../workspace-path';
import { defineAgentTool } from './agent-tool';

export const GIT_DIFF_MAX_CHARS = 60_000;
const MAX_FILES_LISTED = 50;

const GitDiffParams = z.object({
  paths: z
    .array(z.string().min(1))
    .optional()
    .describe('Only these files or directories, relative to the workspace root; default all'),
});

export const gitDiffTool = defineAgentTool({
  name: 'git_diff',
  readOnly: true,
  description:
    'Show what changed in the workspace since the session started, as a unified diff, new files ' +
    'included. Use it to review your own changes before finishing.',
  params: GitDiffParams,
  async run({ paths = [] }, { sandbox }) {
    const pathspecs: string[] = [];
    for (const given of paths) {
      pathspecs.push((await resolveWorkspacePath(sandbox, given)).relative);
    }
    const diff = await worktreeDiff(sandbox.worktree, pathspecs);
    if (diff.trim() === '') {
      return pathspecs.length > 0
        ? `No changes in ${pathspecs.join(', ')}.`
        : 'No changes: the workspace matches the commit the session started from.';
    }
    return diff.length <= GIT_DIFF_MAX_CHARS ? diff : truncated(diff);
  },
});

/** The diff's head, cut at a line, with the changed files so the model can ask for each. */
function truncated(diff: string): string {
  const cut = diff.lastIndexOf('\n', GIT_DIFF_MAX_CHARS);
  const head = diff.slice(0, cut > 0 ? cut : GIT_DIFF_MAX_CHARS);
  const hiddenLines = diff.slice(head.length).split('\n').filter(Boolean).length;
  const files = [...diff.matchAll(/^diff --git "?a\/.*? "?b\/(.*?)"?$/gm)].map((match) => match[1]);
  const listed = files.slice(0, MAX_FILES_LISTED).join('\n');
  const more =
    files.length > MAX_FILES_LISTED ? `\n… and ${files.length - MAX_FILES_LISTED} more` : '';
  return (
    `${head}\n[The diff is too long: ${hiddenLines} more lines not shown. Call git_diff with ` +
    `paths to see specific files. Changed files (${files.length}):\n${listed}${more}]`
  );
}
