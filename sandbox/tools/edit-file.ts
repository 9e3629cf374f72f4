import { z } from 'zod';
import { defineAgentTool, ToolFailure } from './agent-tool';
import { closestTextHint } from './closest-text';
import { lineEnding, lineNumberAt, numberLines, resolveTextFile, splitLines } from './text-file';

/** Lines of the edited region shown back, so the model sees the result without re-reading. */
const SNIPPET_CONTEXT_LINES = 2;
const SNIPPET_MAX_LINES = 30;

const EditFileParams = z.object({
  path: z.string().min(1).describe('File path relative to the workspace root'),
  old_text: z
    .string()
    .describe(
      'Text to replace, copied exactly from the file (indentation included); it must match once ' +
        'unless replace_all is set. Include enough surrounding lines to make it unique.',
    ),
  new_text: z.string().describe('The replacement text'),
  replace_all: z
    .boolean()
    .optional()
    .describe('Replace every occurrence instead of requiring exactly one; default false'),
});

export const editFileTool = defineAgentTool({
  name: 'edit_file',
  description:
    'Edit a file by replacing an exact piece of text with new text. Read the file first and copy ' +
    'old_text exactly. The file keeps its line endings. To create a file use create_file.',
  params: EditFileParams,
  async run({ path, old_text: oldText, new_text: newText, replace_all: replaceAll }, context) {
    const file = await resolveTextFile(context.sandbox, path, { write: true });
    const name = file.path.relative;
    if (oldText === '') {
      throw new ToolFailure(
        'old_text is empty. Give the exact text to replace; to add text, include a line next to ' +
          'the insertion point in old_text and new_text. To write a whole file use create_file.',
      );
    }
    if (oldText === newText) {
      throw new ToolFailure('old_text and new_text are the same, so there is nothing to change.');
    }
    const content = await context.sandbox.readFile(name);
    const eol = lineEnding(content);
    const { needle, offsets } = findOccurrences(content, oldText, eol);
    if (offsets.length === 0) throw new ToolFailure(closestTextHint(content, oldText, name));
    if (offsets.length > 1 && !replaceAll) {
      const lines = offsets.map((offset) => lineNumberAt(content, offset)).join(', ');
      throw new ToolFailure(
        `old_text matches ${offsets.length} times in ${name} (at lines ${lines}). Include more ` +
          'surrounding lines so it matches exactly once, or set replace_all: true to change every occurrence.',
      );
    }
    const replacement = withLineEnding(newText, eol);
    const chosen = replaceAll ? offsets : offsets.slice(0, 1);
    const updated = replaceAt(content, chosen, needle.length, replacement);
    await context.sandbox.writeFile(name, updated);
    // Where each replacement now starts: earlier replacements shifted it by the length change.
    const lines = chosen.map((offset, index) =>
      lineNumberAt(updated, offset + index * (replacement.length - needle.length)),
    );
    const what =
      chosen.length === 1
        ? `replaced 1 occurrence at line ${lines[0]}`
        : `replaced ${chosen.length} occurrences at lines ${lines.join(', ')}`;
    return `Edited ${name}: ${what}.\n${snippet(updated, lines[0], replacement)}`;
  },
});

/**
 * Occurrences of `oldText`, tried as given first and then with the file's line ending, because
 * the model usually writes `\n` even when the file uses `\r\n`.
 */
function findOccurrences(
  content: string,
  oldText: string,
  eol: '\r\n' | '\n',
): { needle: string; offsets: number[] } {
  const exact = occurrences(content, oldText);
  if (exact.length > 0) return { needle: oldText, offsets: exact };
  const adapted = withLineEnding(oldText, eol);
  return { needle: adapted, offsets: adapted === oldText ? [] : occurrences(content, adapted) };
}

/** Start offsets of non-overlapping occurrences, left to right. */
function occurrences(content: string, needle: string): number[] {
  const offsets: number[] = [];
  for (
    let at = content.indexOf(needle);
    at !== -1;
    at = content.indexOf(needle, at + needle.length)
  ) {
    offsets.push(at);
  }
  return offsets;
}

function withLineEnding(text: string, eol: '\r\n' | '\n'): string {
  return text.replace(/\r?\n/g, eol);
}

/** Splices by offset; `String.replace` would interpret `$&` and friends in the new text. */
function replaceAt(
  content: string,
  offsets: number[],
  length: number,
  replacement: string,
): string {
  let result = '';
  let from = 0;
  for (const offset of offsets) {
    result += content.slice(from, offset) + replacement;
    from = offset + length;
  }
  return result + content.slice(from);
}

function snippet(updated: string, firstLine: number, replacement: string): string {
  const lines = splitLines(updated);
  const replacedLines = Math.max(1, splitLines(replacement).length);
  const start = Math.max(1, firstLine - SNIPPET_CONTEXT_LINES);
  const end = Math.min(
    lines.length,
    firstLine + replacedLines - 1 + SNIPPET_CONTEXT_LINES,
    start + SNIPPET_MAX_LINES - 1,
  );
  if (end < start) return '(the file is now empty)';
  return numberLines(lines.slice(start - 1, end), start);
}
