import type { DiffPosition, DiffRefs } from '../../forge/forge';
import { findDiffLine } from './diff-lines';
import type { Finding } from './review-prompt';
import type { ReviewedFile, SkippedFile } from './review-context';

export interface PlacedFinding {
  finding: Finding;
  position: DiffPosition;
}

export interface Placement {
  inline: PlacedFinding[];
  /** Findings on lines the diff does not show; they go into the summary note. */
  elsewhere: Finding[];
}

/** Most inline discussions one review posts; the rest go into the summary note. */
export const MAX_INLINE = 30;

/**
 * Anchors findings to the merge request's latest diff version. GitLab accepts a position only
 * when it names a line the diff shows: added lines by new line, removed lines by old line,
 * unchanged lines by both.
 */
export function placeFindings(
  findings: readonly Finding[],
  files: readonly ReviewedFile[],
  refs: DiffRefs,
): Placement {
  const inline: PlacedFinding[] = [];
  const elsewhere: Finding[] = [];
  const seen = new Set<string>();
  for (const finding of findings) {
    const key = `${finding.path}:${finding.side}:${finding.line}:${finding.body}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const position = positionFor(finding, files, refs);
    if (position && inline.length < MAX_INLINE) inline.push({ finding, position });
    else elsewhere.push(finding);
  }
  return { inline, elsewhere };
}

function positionFor(
  finding: Finding,
  files: readonly ReviewedFile[],
  refs: DiffRefs,
): DiffPosition | undefined {
  const path = finding.path.replace(/^\.?\/+/, '').replace(/^[ab]\//, '');
  const file = files.find((f) => f.newPath === path || f.oldPath === path);
  if (!file) return undefined;
  // No guessing across sides: old and new numbering differ, so a miss goes into the summary.
  const line = findDiffLine(file.lines, finding.line, finding.side);
  if (!line) return undefined;
  return {
    ...refs,
    oldPath: file.oldPath,
    newPath: file.newPath,
    newLine: line.type === 'del' ? undefined : line.newLine,
    oldLine: line.type === 'add' ? undefined : line.oldLine,
  };
}

const SEVERITY_ORDER = ['critical', 'major', 'minor', 'suggestion'] as const;

export function findingBody(finding: Finding): string {
  return `**${capitalize(finding.severity)}:** ${finding.body}`;
}

export function summaryBody(
  summary: string,
  placement: Placement,
  skipped: readonly SkippedFile[],
): string {
  const all = [...placement.inline.map((p) => p.finding), ...placement.elsewhere];
  const parts = ['## Code review', '', summary.trim(), ''];
  if (all.length === 0) {
    parts.push('No findings.');
  } else {
    const counts = SEVERITY_ORDER.map(
      (s) => [s, all.filter((f) => f.severity === s).length] as const,
    )
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${n} ${s}`);
    parts.push(
      `${all.length} finding${all.length === 1 ? '' : 's'} (${counts.join(', ')}); ` +
        `${placement.inline.length} posted as inline comments.`,
    );
  }
  if (placement.elsewhere.length > 0) {
    parts.push('', '### Findings outside the changed lines', '');
    for (const f of placement.elsewhere) {
      parts.push(`- \`${f.path}:${f.line}\` — ${findingBody(f)}`);
    }
  }
  if (skipped.length > 0) {
    parts.push('', '### Not reviewed', '');
    for (const s of skipped) parts.push(`- \`${s.path}\`: ${s.reason}`);
  }
  parts.push('', '<sub>Posted by tandem (Code Review flow).</sub>');
  return parts.join('\n');
}

function capitalize(text: string): string {
  return text[0].toUpperCase() + text.slice(1);
}
