import { z } from 'zod';
import type { DirEntry } from '../sandbox';
import { resolveWorkspacePath } from '../workspace-path';
import { defineAgentTool, ToolFailure } from './agent-tool';
import { formatSize, plural } from './model-text';
import { statIfExists } from './text-file';

export const LIST_DIR_MAX_ENTRIES = 500;

const ListDirParams = z.object({
  path: z
    .string()
    .optional()
    .describe('Directory relative to the workspace root; default the root itself'),
});

export const listDirTool = defineAgentTool({
  name: 'list_dir',
  readOnly: true,
  description:
    'List a directory of the workspace: subdirectories first (ending in /), then files with ' +
    'their sizes. Use find_files to search a whole tree by name.',
  params: ListDirParams,
  async run({ path = '.' }, { sandbox }) {
    const resolved = await resolveWorkspacePath(sandbox, path);
    const stats = await statIfExists(resolved.absolute);
    if (!stats) {
      throw new ToolFailure(
        `No directory at ${resolved.relative}. List its parent to see what exists.`,
      );
    }
    if (!stats.isDirectory()) {
      throw new ToolFailure(
        `${resolved.relative} is a file, not a directory; use read_file to read it.`,
      );
    }
    // git's metadata is noise to the model and writing there is refused anyway.
    const entries = (await sandbox.listDir(resolved.relative))
      .filter((entry) => entry.name !== '.git')
      .sort(byTypeThenName);
    const label = resolved.relative === '.' ? 'Workspace root' : resolved.relative;
    if (entries.length === 0) return `${label} is empty.`;
    const shown = entries.slice(0, LIST_DIR_MAX_ENTRIES).map(describeEntry);
    const hidden = entries.length - shown.length;
    const note =
      hidden > 0
        ? `\n[${plural(hidden, 'more entry', 'more entries')} not shown; use find_files with a pattern to narrow down.]`
        : '';
    return `${label} (${plural(entries.length, 'entry', 'entries')})\n${shown.join('\n')}${note}`;
  },
});

function byTypeThenName(a: DirEntry, b: DirEntry): number {
  const rank = (entry: DirEntry) => (entry.type === 'directory' ? 0 : 1);
  return rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

function describeEntry(entry: DirEntry): string {
  switch (entry.type) {
    case 'directory':
      return `${entry.name}/`;
    case 'file':
      return `${entry.name} (${formatSize(entry.size)})`;
    case 'symlink':
      return `${entry.name} (symlink)`;
    default:
      return `${entry.name} (special file)`;
  }
}
