import { splitLines } from './text-file';

const MAX_LINES_LISTED = 5;
/** A shorter first line (`}`, `*\/`) appears everywhere and would point nowhere useful. */
const MIN_ANCHOR_CHARS = 4;

/**
 * Why `edit_file` found nothing, pointing at the nearest thing it could find cheaply: the same
 * lines with different whitespace, or the lines where the text's first line appears.
 */
export function closestTextHint(content: string, oldText: string, name: string): string {
  const fileLines = splitLines(content).map((line) => line.trim());
  const wanted = trimBlankEdges(splitLines(oldText).map((line) => line.trim()));
  const readAdvice = 'Read the file with read_file and copy the text to replace exactly.';
  if (wanted.length === 0) {
    return `old_text (only whitespace) was not found in ${name}. ${readAdvice}`;
  }
  const sameButWhitespace = findLines(fileLines, wanted);
  if (sameButWhitespace !== -1) {
    const first = sameButWhitespace + 1;
    const last = first + wanted.length - 1;
    return (
      `old_text was not found exactly in ${name}, but lines ${range(first, last)} match it ` +
      'apart from whitespace (indentation, tabs or trailing spaces). Read those lines with ' +
      'read_file and copy them exactly, whitespace included.'
    );
  }
  const anchor = wanted[0];
  if (anchor.length >= MIN_ANCHOR_CHARS) {
    const hits = fileLines.flatMap((line, index) => (line.includes(anchor) ? [index + 1] : []));
    if (hits.length > 0) {
      const listed = hits.slice(0, MAX_LINES_LISTED).join(', ');
      const more =
        hits.length > MAX_LINES_LISTED ? ` and ${hits.length - MAX_LINES_LISTED} more` : '';
      return (
        `old_text was not found in ${name}. Its first line appears at ${hits.length === 1 ? 'line' : 'lines'} ${listed}${more}, but ` +
        `the text after it differs. ${readAdvice}`
      );
    }
  }
  return `old_text was not found in ${name}. ${readAdvice}`;
}

function trimBlankEdges(lines: string[]): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start] === '') start++;
  while (end > start && lines[end - 1] === '') end--;
  return lines.slice(start, end);
}

/** Index of the first run of `haystack` lines equal to `needle`, or -1. */
function findLines(haystack: string[], needle: string[]): number {
  for (let start = 0; start + needle.length <= haystack.length; start++) {
    if (needle.every((line, offset) => haystack[start + offset] === line)) return start;
  }
  return -1;
}

function range(first: number, last: number): string {
  return first === last ? `${first}` : `${first}-${last}`;
}
