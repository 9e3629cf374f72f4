/**
 * A small, exact line diff (Myers' O(ND) algorithm) producing git-style unified hunks, so the
 * GitLab stand-in can serve real diffs and validate comment positions against them.
 */

export interface DiffLine {
  type: 'context' | 'added' | 'removed';
  text: string;
  /** 1-based line in the old file; set for context and removed lines. */
  oldLine?: number;
  /** 1-based line in the new file; set for context and added lines. */
  newLine?: number;
  /** The line is the last of its file and has no newline after it. */
  noEol: boolean;
}

export interface DiffHunk {
  oldStart: number;
  oldCount: number;
  newStart: number;
  newCount: number;
  lines: DiffLine[];
}

interface SourceLine {
  text: string;
  noEol: boolean;
}

/** Hunks turning `oldText` into `newText`, with `context` unchanged lines around each change. */
export function diffHunks(oldText: string, newText: string, context = 3): DiffHunk[] {
  const lines = diffLines(splitLines(oldText), splitLines(newText));
  return groupHunks(lines, context);
}

/** The hunks as GitLab's `diff` field shows them: `@@` headers and lines, no `---`/`+++` header. */
export function formatHunks(hunks: DiffHunk[]): string {
  return hunks.map(formatHunk).join('');
}

/** The diff line at a position: old only (removed), new only (added) or both (unchanged). */
export function findDiffLine(
  hunks: DiffHunk[],
  oldLine: number | undefined,
  newLine: number | undefined,
): DiffLine | undefined {
  if (oldLine === undefined && newLine === undefined) return undefined;
  for (const hunk of hunks) {
    const line = hunk.lines.find((l) => l.oldLine === oldLine && l.newLine === newLine);
    if (line) return line;
  }
  return undefined;
}

function splitLines(text: string): SourceLine[] {
  if (text === '') return [];
  const parts = text.split('\n');
  const endsWithEol = parts[parts.length - 1] === '';
  if (endsWithEol) parts.pop();
  return parts.map((line, i) => ({ text: line, noEol: !endsWithEol && i === parts.length - 1 }));
}

function key(line: SourceLine): string {
  return line.noEol ? line.text : `${line.text}\n`;
}

/** Every line of both files in diff order, removals before additions within each change. */
function diffLines(a: SourceLine[], b: SourceLine[]): DiffLine[] {
  const ops = myers(a.map(key), b.map(key));
  const result: DiffLine[] = [];
  let [x, y] = [0, 0];
  let pending: { removed: DiffLine[]; added: DiffLine[] } = { removed: [], added: [] };
  const flush = () => {
    result.push(...pending.removed, ...pending.added);
    pending = { removed: [], added: [] };
  };
  for (const op of ops) {
    if (op === '=') {
      flush();
      result.push({ type: 'context', ...a[x], oldLine: ++x, newLine: ++y });
    } else if (op === '-') {
      pending.removed.push({ type: 'removed', ...a[x], oldLine: ++x });
    } else {
      pending.added.push({ type: 'added', ...b[y], newLine: ++y });
    }
  }
  flush();
  return result;
}

/** Edit script from a to b: '=' keep, '-' delete from a, '+' insert from b. */
function myers(a: string[], b: string[]): ('=' | '-' | '+')[] {
  const [n, m] = [a.length, b.length];
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]);
      let x = down ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) [x, y] = [x + 1, y + 1];
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, n, m, offset);
    }
  }
  return [];
}

function backtrack(trace: Int32Array[], n: number, m: number, offset: number) {
  const ops: ('=' | '-' | '+')[] = [];
  let [x, y] = [n, m];
  for (let d = trace.length - 1; d >= 0; d--) {
    const v = trace[d];
    const k = x - y;
    const down = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]);
    const prevK = down ? k + 1 : k - 1;
    const prevX = v[offset + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push('=');
      [x, y] = [x - 1, y - 1];
    }
    if (d > 0) ops.push(x === prevX ? '+' : '-');
    [x, y] = [prevX, prevY];
  }
  return ops.reverse();
}

/** Changes closer than 2 × context share a hunk, as in git. */
function groupHunks(lines: DiffLine[], context: number): DiffHunk[] {
  const changed = lines.flatMap((line, i) => (line.type === 'context' ? [] : [i]));
  const ranges: [number, number][] = [];
  for (const i of changed) {
    const last = ranges[ranges.length - 1];
    if (last && i - last[1] - 1 <= 2 * context) last[1] = i;
    else ranges.push([i, i]);
  }
  return ranges.map(([first, last]) => {
    const from = Math.max(0, first - context);
    return hunk(
      lines.slice(from, Math.min(lines.length, last + context + 1)),
      lines.slice(0, from),
    );
  });
}

/** A side with no lines gives the line *before* the hunk as its start (0 at the top of the file). */
function hunk(lines: DiffLine[], before: DiffLine[]): DiffHunk {
  const oldBefore = before.filter((l) => l.oldLine !== undefined).length;
  const newBefore = before.filter((l) => l.newLine !== undefined).length;
  const oldCount = lines.filter((l) => l.oldLine !== undefined).length;
  const newCount = lines.filter((l) => l.newLine !== undefined).length;
  return {
    oldStart: oldCount ? oldBefore + 1 : oldBefore,
    oldCount,
    newStart: newCount ? newBefore + 1 : newBefore,
    newCount,
    lines,
  };
}

function formatHunk(h: DiffHunk): string {
  const range = (start: number, count: number) => (count === 1 ? `${start}` : `${start},${count}`);
  const header = `@@ -${range(h.oldStart, h.oldCount)} +${range(h.newStart, h.newCount)} @@\n`;
  const sign = { context: ' ', added: '+', removed: '-' } as const;
  const body = h.lines.map(
    (l) => `${sign[l.type]}${l.text}\n${l.noEol ? '\\ No newline at end of file\n' : ''}`,
  );
  return header + body.join('');
}
