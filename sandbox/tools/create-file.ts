import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { resolveWorkspacePath } from '../workspace-path';
import { defineAgentTool, ToolFailure } from './agent-tool';
import { formatSize, plural } from './model-text';
import { splitLines, statIfExists } from './text-file';

const CreateFileParams = z.object({
  path: z.string().min(1).describe('Path of the new file, relative to the workspace root'),
  content: z.string().describe('The whole content of the file'),
  overwrite: z
    .boolean()
    .optional()
    .describe('Replace the file if it exists; default false (prefer edit_file for changes)'),
});

export const createFileTool = defineAgentTool({
  name: 'create_file',
  description:
    'Create a file with the given content, and any missing parent directories. Refuses to replace ' +
    'an existing file unless overwrite is true; to change part of a file use edit_file.',
  params: CreateFileParams,
  async run({ path: given, content, overwrite = false }, { sandbox }) {
    const target = await resolveWorkspacePath(sandbox, given, { write: true });
    const name = target.relative;
    if (name === '.') throw new ToolFailure('Give a file path, not the workspace root.');
    const existing = await statIfExists(target.absolute);
    if (existing?.isDirectory()) {
      throw new ToolFailure(`${name} is a directory; choose a file path inside it.`);
    }
    if (existing && !overwrite) {
      throw new ToolFailure(
        `${name} already exists (${formatSize(existing.size)}). Change it with edit_file, or call ` +
          'create_file with overwrite: true to replace its whole content.',
      );
    }
    await createParents(target.absolute, name);
    await sandbox.writeFile(name, content);
    const lines = plural(splitLines(content).length, 'line');
    return `${existing ? 'Overwrote' : 'Created'} ${name} (${lines}).`;
  },
});

async function createParents(absolute: string, name: string): Promise<void> {
  try {
    await fs.mkdir(path.dirname(absolute), { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST' && code !== 'ENOTDIR') throw error;
    throw new ToolFailure(
      `Cannot create ${name}: a part of its directory path is a file. Use list_dir to check the path.`,
    );
  }
}
