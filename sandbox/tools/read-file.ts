import { z } from 'zod';
import { defineAgentTool, ToolFailure } from './agent-tool';
import { plural } from './model-text';
import { numberLines, resolveTextFile, splitLines } from './text-file';

export const READ_FILE_DEFAULT_LINES = 500;
export const READ_FILE_MAX_LINES = 2000;
/** Whatever the line count, a page stays under this many characters of file text. */
const MAX_PAGE_CHARS = 100_000;

const ReadFileParams = z.object({
  path: z.string().min(1).describe('File path relative to the workspace root'),
  offset: z.number().int().min(1).optional().describe('1-based line number to start at; default 1'),
  limit: z
    .number()
    .int()
    .min(1)
    .max(READ_FILE_MAX_LINES)
    .optional()
    .describe(`How many lines to return; default ${READ_FILE_DEFAULT_LINES}`),
});

export const readFileTool = defineAgentTool({
  name: 'read_file',
  readOnly: true,
  description:
    'Read a text file of the workspace with line numbers. Long files come in pages: the answer ' +
    'says which lines it shows and the offset to read the next page. Read a file before editing it.',
  params: ReadFileParams,
  async run({ path, offset = 1, limit = READ_FILE_DEFAULT_LINES }, context) {
    const file = await resolveTextFile(context.sandbox, path);
    const name = file.path.relative;
    const lines = splitLines(await context.sandbox.readFile(name));
    if (lines.length === 0) return `${name} is empty.`;
    if (offset > lines.length) {
      throw new ToolFailure(
        `${name} has ${lines.length} lines; offset ${offset} is past the end. Use an offset from 1 to ${lines.length}.`,
      );
    }
    const page = takePage(lines, offset - 1, limit);
    const last = offset + page.length - 1;
    const body = numberLines(page, offset);
    if (offset === 1 && last === lines.length) {
      return `${name} (${plural(lines.length, 'line')})\n${body}`;
    }
    const range = `lines ${offset}-${last} of ${lines.length}`;
    const next =
      last === lines.length
        ? 'This is the end of the file.'
        : `To read more, call read_file with offset: ${last + 1}` +
          (limit === READ_FILE_DEFAULT_LINES ? '.' : ` and limit: ${limit}.`);
    return `${name} (${range})\n${body}\n[Showed ${range}. ${next}]`;
  },
});

function takePage(lines: string[], start: number, limit: number): string[] {
  const page: string[] = [];
  let chars = 0;
  for (const line of lines.slice(start, start + limit)) {
    chars += line.length + 1;
    // Always show at least one line, however long; numberLines clips it.
    if (chars > MAX_PAGE_CHARS && page.length > 0) break;
    page.push(line);
  }
  return page;
}
