/** One line of a unified diff, with its line numbers on each side. */
export interface DiffLine {
  type: 'add' | 'del' | 'ctx';
  oldLine?: number;
  newLine?: number;
  text: string;
}

const HUNK_HEADER = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

/** Parses the hunks of a unified diff (GitLab's `diff` field) into numbered lines. */
export function parseDiff(diff: string): DiffLine[] {
  const lines: DiffLine[] = [];
  let oldLine = 0;
  let newLine = 0;
  let inHunk = false;
  for (const raw of diff.split('\n')) {
    const header = HUNK_HEADER.exec(raw);
    if (header) {
      oldLine = Number(header[1]);
      newLine = Number(header[2]);
      inHunk = true;
      continue;
    }
    if (!inHunk || raw.startsWith('\\')) continue;
    const mark = raw[0];
    const text = raw.slice(1);
    if (mark === '+') lines.push({ type: 'add', newLine: newLine++, text });
    else if (mark === '-') lines.push({ type: 'del', oldLine: oldLine++, text });
    else if (mark === ' ' || raw === '')
      lines.push({ type: 'ctx', oldLine: oldLine++, newLine: newLine++, text });
  }
  // A trailing newline in the diff text yields one empty "context" line that is not in the file.
  if (diff.endsWith('\n') && lines.at(-1)?.type === 'ctx' && lines.at(-1)?.text === '') lines.pop();
  return lines;
}

/** Finds the diff line a comment on `line` of one side attaches to, if the diff shows it. */
export function findDiffLine(
  lines: readonly DiffLine[],
  line: number,
  side: 'new' | 'old',
): DiffLine | undefined {
  return side === 'new'
    ? lines.find((l) => l.newLine === line && l.type !== 'del')
    : (lines.find((l) => l.oldLine === line && l.type === 'del') ??
        lines.find((l) => l.oldLine === line && l.type === 'ctx'));
}
