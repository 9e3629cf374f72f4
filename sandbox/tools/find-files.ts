import { z } from 'zod';
import { resolveWorkspacePath } from '../workspace-path';
import { defineAgentTool, ToolFailure } from './agent-tool';
import { globToRegExp } from './glob-pattern';
import { plural } from './model-text';
import { statIfExists } from './text-file';
import { skippedDirectories, walkWorkspace } from './workspace-walk';

export const FIND_FILES_MAX_RESULTS = 500;

const FindFilesParams = z.object({
  pattern: z
    .string()
    .min(1)
    .describe(
      'Glob, relative to `path`: `*` and `?` within a name, `**` across directories, `{a,b}` ' +
        'alternatives, e.g. `src/**/*.ts` or `*.{json,yaml}` (no `/` = any depth)',
    ),
  path: z
    .string()
    .optional()
    .describe('Directory to search in, relative to the workspace root; default the root'),
});

export const findFilesTool = defineAgentTool({
  name: 'find_files',
  readOnly: true,
  description:
    'Find files of the workspace whose path matches a glob. Answers paths relative to the ' +
    'workspace root, sorted. Skips .git and node_modules unless the pattern or path names them.',
  params: FindFilesParams,
  async run({ pattern, path = '.' }, { sandbox, signal }) {
    const matcher = globToRegExp(pattern);
    const start = await resolveWorkspacePath(sandbox, path);
    if (!(await statIfExists(start.absolute))) {
      throw new ToolFailure(`No directory at ${start.relative}. Use list_dir to see what exists.`);
    }
    const walk = await walkWorkspace(start, {
      skip: skippedDirectories(pattern, start.relative),
      signal,
    });
    const matches = walk.files
      .filter((file) => matcher.test(file.fromStart))
      .map((file) => file.relative)
      .sort();
    const where = start.relative === '.' ? 'the workspace' : start.relative;
    const incomplete = walk.incomplete
      ? `\n[The search stopped after ${walk.files.length} files; give a narrower path.]`
      : '';
    if (matches.length === 0) return `No files match ${pattern} in ${where}.${incomplete}`;
    const shown = matches.slice(0, FIND_FILES_MAX_RESULTS);
    const more =
      matches.length > shown.length
        ? `\n[${matches.length - shown.length} more matches not shown; use a narrower pattern or path.]`
        : '';
    const count = plural(matches.length, 'file matches', 'files match');
    return `${count} ${pattern} in ${where}:\n${shown.join('\n')}${more}${incomplete}`;
  },
});
