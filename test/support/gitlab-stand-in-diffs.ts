import { diffHunks, findDiffLine, formatHunks } from './unified-diff';
import type {
  DiffOptions,
  FileDiffRecord,
  MergeRequestRecord,
  PositionRecord,
} from './gitlab-stand-in-model';
import type { BareRepository } from './gitlab-stand-in-repository';

/** GitLab's default `diff_max_patch_bytes`: larger file diffs come back empty and `too_large`. */
const MAX_PATCH_BYTES = 204_800;

/**
 * Where a text position lands in the latest version, or undefined when GitLab would refuse it:
 * shas must be the latest version's, the paths a file of its diff, and the lines a diff line
 * (added: new only; removed: old only; unchanged: both, corresponding).
 */
export function resolvePosition(
  mr: MergeRequestRecord,
  position: Record<string, unknown>,
): PositionRecord | undefined {
  const latest = mr.versions[mr.versions.length - 1];
  const text = (key: string) => (typeof position[key] === 'string' ? position[key] : undefined);
  const line = (key: string) => (/^\d+$/.test(text(key) ?? '') ? Number(text(key)) : undefined);
  const [oldPath, newPath] = [
    text('old_path') ?? text('new_path'),
    text('new_path') ?? text('old_path'),
  ];
  if (text('position_type') !== 'text' || !oldPath || !newPath) return undefined;
  if (text('base_sha') !== latest.baseSha || text('start_sha') !== latest.startSha)
    return undefined;
  if (text('head_sha') !== latest.headSha) return undefined;
  const file = latest.diffs.find((d) => d.oldPath === oldPath && d.newPath === newPath);
  const [oldLine, newLine] = [line('old_line'), line('new_line')];
  const found = file && findDiffLine(file.hunks, oldLine, newLine);
  if (!found) return undefined;
  const { baseSha, startSha, headSha } = latest;
  return { baseSha, startSha, headSha, oldPath, newPath, oldLine, newLine, line: found };
}

/**
 * The file diffs between two commits, renames as git detects them (compare, commit diffs);
 * from nothing when `from` is undefined (a root commit).
 */
export function treeDiffs(
  repository: BareRepository,
  from: string | undefined,
  to: string,
): FileDiffRecord[] {
  if (from === undefined) return fileDiffs(new Map(), repository.files(to), {});
  const renames = repository.renames(from, to);
  return fileDiffs(repository.files(from), repository.files(to), { renames });
}

export function fileDiffs(
  base: Map<string, string>,
  head: Map<string, string>,
  seed: DiffOptions,
): FileDiffRecord[] {
  const renames = new Map(Object.entries(seed.renames ?? {}));
  const renamedTo = new Set(renames.values());
  const pairs: [string | undefined, string | undefined][] = [];
  for (const path of base.keys())
    pairs.push([
      path,
      head.has(renames.get(path) ?? path) ? (renames.get(path) ?? path) : undefined,
    ]);
  for (const path of head.keys())
    if (!base.has(path) && !renamedTo.has(path)) pairs.push([undefined, path]);
  return pairs
    .map(([oldPath, newPath]) => fileDiff(oldPath, newPath, base, head, seed))
    .filter((d): d is FileDiffRecord => d !== undefined)
    .sort((a, b) => a.newPath.localeCompare(b.newPath));
}

function fileDiff(
  oldPath: string | undefined,
  newPath: string | undefined,
  base: Map<string, string>,
  head: Map<string, string>,
  seed: DiffOptions,
): FileDiffRecord | undefined {
  const before = oldPath === undefined ? '' : (base.get(oldPath) ?? '');
  const after = newPath === undefined ? '' : (head.get(newPath) ?? '');
  const renamed = oldPath !== undefined && newPath !== undefined && oldPath !== newPath;
  if (before === after && !renamed && oldPath !== undefined && newPath !== undefined)
    return undefined;
  const path = (newPath ?? oldPath) as string;
  const hunks = diffHunks(before, after);
  const patch = formatHunks(hunks);
  const tooLarge =
    (seed.tooLarge ?? []).includes(path) || Buffer.byteLength(patch) > MAX_PATCH_BYTES;
  const collapsed = (seed.collapsed ?? []).includes(path);
  return {
    oldPath: oldPath ?? path,
    newPath: newPath ?? path,
    aMode: oldPath === undefined ? '0' : '100644',
    bMode: newPath === undefined ? '0' : '100644',
    newFile: oldPath === undefined,
    deletedFile: newPath === undefined,
    renamedFile: renamed,
    hunks,
    diff: tooLarge || collapsed ? '' : patch,
    collapsed,
    tooLarge,
    generated: (seed.generated ?? []).includes(path),
  };
}
