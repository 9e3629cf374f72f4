import * as fs from 'node:fs/promises';
import { z } from 'zod';
import { resolveWorkspacePath } from '../workspace-path';
import { defineAgentTool, ToolFailure } from './agent-tool';
import { globToRegExp } from './glob-pattern';
import { plural } from './model-text';
import { clipLine, looksBinary, splitLines, statIfExists } from './text-file';
import { skippedDirectories, walkWorkspace, type WalkedFile } from './workspace-walk';

export const GREP_MAX_MATCHES = 200;
/** Larger files are generated or data; searching them costs much and tells the model little. */
export const GREP_MAX_FILE_BYTES = 2 * 1024 * 1024;
const MAX_MATCH_LINE_CHARS = 300;

const GrepParams = z.object({
  pattern: z.string().min(1).describe('JavaScript regular expression, matched line by line'),
  path: z
    .string()
    .optional()
    .describe('File or directory to search, relative to the workspace root; default the root'),
  glob: z
    .string()
    .optional()
    .describe('Only search files matching this glob (relative to `path`), e.g. `*.ts`'),
  ignoreCase: z.boolean().optional().describe('Match regardless of case; default false'),
});

interface Tally {
  lines: string[];
  matches: number;
  files: number;
  hiddenFiles: number;
  skippedLarge: number;
}

export const grepTool = defineAgentTool({
  name: 'grep',
  readOnly: true,
  description:
    'Search the contents of workspace files with a regular expression. Answers `path:line: text` ' +
    'for each matching line. Skips binary files, .git and node_modules. Narrow with path or glob.',
  params: GrepParams,
  async run({ pattern, path = '.', glob, ignoreCase = false }, { sandbox, signal }) {
    const regex = compileRegex(pattern, ignoreCase);
    const matcher = glob ? globToRegExp(glob) : null;
    const start = await resolveWorkspacePath(sandbox, path);
    if (!(await statIfExists(start.absolute))) {
      throw new ToolFailure(`Nothing at ${start.relative}. Use list_dir or find_files to find it.`);
    }
    const walk = await walkWorkspace(start, {
      skip: skippedDirectories(glob, start.relative),
      signal,
    });
    const tally: Tally = { lines: [], matches: 0, files: 0, hiddenFiles: 0, skippedLarge: 0 };
    for (const file of walk.files) {
      signal?.throwIfAborted();
      if (matcher && !matcher.test(file.fromStart)) continue;
      await searchFile(file, regex, tally);
    }
    return report(pattern, start.relative, tally, walk.incomplete);
  },
});

function compileRegex(pattern: string, ignoreCase: boolean): RegExp {
  try {
    return new RegExp(pattern, ignoreCase ? 'i' : '');
  } catch (error) {
    throw new ToolFailure(
      `Invalid regular expression ${pattern}: ${(error as Error).message}. Patterns use JavaScript ` +
        'syntax: escape ( [ { . * + ? with a backslash to match them literally, and use ' +
        'ignoreCase: true instead of (?i).',
    );
  }
}

async function searchFile(file: WalkedFile, regex: RegExp, tally: Tally): Promise<void> {
  // A symlink may point outside the worktree; its target, if inside, is searched on its own.
  if (file.symlink) return;
  const stats = await fs.stat(file.absolute).catch(() => null);
  if (!stats?.isFile()) return;
  if (stats.size > GREP_MAX_FILE_BYTES) {
    tally.skippedLarge++;
    return;
  }
  const content = await fs.readFile(file.absolute).catch(() => null);
  if (!content || looksBinary(content)) return;
  let matchedHere = 0;
  splitLines(content.toString('utf8')).forEach((line, index) => {
    if (!regex.test(line)) return;
    matchedHere++;
    tally.matches++;
    if (tally.lines.length < GREP_MAX_MATCHES) {
      tally.lines.push(`${file.relative}:${index + 1}: ${clipLine(line, MAX_MATCH_LINE_CHARS)}`);
    } else if (matchedHere === 1) {
      tally.hiddenFiles++;
    }
  });
  if (matchedHere > 0) tally.files++;
}

function report(pattern: string, where: string, tally: Tally, incomplete: boolean): string {
  const notes: string[] = [];
  const hidden = tally.matches - tally.lines.length;
  if (hidden > 0) {
    notes.push(
      `${plural(hidden, 'more match', 'more matches')}` +
        `${tally.hiddenFiles ? ` (${plural(tally.hiddenFiles, 'more file')})` : ''} ` +
        'not shown; narrow the search with path or glob, or a more specific pattern.',
    );
  }
  if (tally.skippedLarge > 0) {
    notes.push(
      `${plural(tally.skippedLarge, 'file')} over ${GREP_MAX_FILE_BYTES / (1024 * 1024)} MB not searched.`,
    );
  }
  if (incomplete)
    notes.push('The search stopped early in a very large tree; give a narrower path.');
  const footer = notes.map((note) => `\n[${note}]`).join('');
  const place = where === '.' ? 'the workspace' : where;
  if (tally.matches === 0) return `No matches for ${pattern} in ${place}.${footer}`;
  const summary = `${plural(tally.matches, 'match', 'matches')} in ${plural(tally.files, 'file')}`;
  return `${summary}:\n${tally.lines.join('\n')}${footer}`;
}
