import type { FileDiff } from '../../forge/forge';
import type { ReviewConfig } from '../../config';
import { type DiffLine, parseDiff } from './diff-lines';

/** A changed file the model will see, with its parsed diff for placing comments later. */
export interface ReviewedFile {
  oldPath: string;
  newPath: string;
  lines: DiffLine[];
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface ReviewContext {
  /** The changed files as the model reads them: numbered diffs and nearby code. */
  text: string;
  files: ReviewedFile[];
  skipped: SkippedFile[];
}

/** Lines of head-revision code shown around each change, beyond the diff's own context. */
const NEARBY_LINES = 12;

/**
 * Chooses what the model sees, deliberately: each file's numbered diff and the code around the
 * changes, within a per-file and a total budget. Whatever does not fit is listed, with why, so
 * the summary can say what was not reviewed.
 */
export async function buildReviewContext(
  diffs: readonly FileDiff[],
  readHead: (path: string) => Promise<string | null>,
  limits: ReviewConfig,
): Promise<ReviewContext> {
  const files: ReviewedFile[] = [];
  const skipped: SkippedFile[] = [];
  const sections: string[] = [];
  let total = 0;
  for (const diff of diffs) {
    const reason = skipReason(diff, limits);
    if (reason) {
      skipped.push({ path: diff.newPath, reason });
      continue;
    }
    const lines = parseDiff(diff.diff);
    const head = diff.deletedFile ? null : await readHead(diff.newPath);
    let section = renderFile(diff, lines, head);
    if (section.length > limits.maxFileChars) section = renderFile(diff, lines, null);
    if (total + section.length > limits.maxTotalChars) {
      skipped.push({
        path: diff.newPath,
        reason: `the review's total context cap of ${limits.maxTotalChars} characters was reached (tandem.review.maxTotalChars)`,
      });
      continue;
    }
    total += section.length;
    sections.push(section);
    files.push({ oldPath: diff.oldPath, newPath: diff.newPath, lines });
  }
  return { text: sections.join('\n\n'), files, skipped };
}

function skipReason(diff: FileDiff, limits: ReviewConfig): string | undefined {
  if (diff.collapsed) return 'GitLab did not include its diff (too large or generated)';
  if (diff.diff.trim() === '') return 'no text diff (binary file or mode change only)';
  if (diff.diff.length > limits.maxFileChars) {
    return `its diff has ${diff.diff.length} characters, over the per-file cap of ${limits.maxFileChars} (tandem.review.maxFileChars)`;
  }
  return undefined;
}

function renderFile(diff: FileDiff, lines: readonly DiffLine[], head: string | null): string {
  const status = diff.newFile
    ? 'added'
    : diff.deletedFile
      ? 'deleted'
      : diff.renamedFile
        ? `renamed from ${diff.oldPath}`
        : 'modified';
  const parts = [`### ${diff.newPath} (${status})`, 'Diff — old line | new line | text:'];
  for (const line of lines) parts.push(renderDiffLine(line));
  if (head !== null) {
    const nearby = renderNearby(head, lines);
    if (nearby) parts.push('', 'Code around the changes at the head commit — line | text:', nearby);
  }
  return parts.join('\n');
}

function renderDiffLine(line: DiffLine): string {
  const mark = line.type === 'add' ? '+' : line.type === 'del' ? '-' : ' ';
  const oldNo = String(line.oldLine ?? '').padStart(5);
  const newNo = String(line.newLine ?? '').padStart(5);
  return `${mark}${oldNo} ${newNo} | ${line.text}`;
}

function renderNearby(head: string, lines: readonly DiffLine[]): string {
  const source = head.split('\n');
  const shown = new Set<number>();
  for (const line of lines) {
    if (line.newLine === undefined) continue;
    const from = Math.max(1, line.newLine - NEARBY_LINES);
    const to = Math.min(source.length, line.newLine + NEARBY_LINES);
    for (let n = from; n <= to; n++) shown.add(n);
  }
  const numbers = [...shown].sort((a, b) => a - b);
  const out: string[] = [];
  let previous = 0;
  for (const n of numbers) {
    if (previous && n !== previous + 1) out.push('  ...');
    out.push(`${String(n).padStart(5)} | ${source[n - 1]}`);
    previous = n;
  }
  return out.join('\n');
}
