import type { Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import {
  resolveWorkspacePath,
  type ResolveOptions,
  type WorkspacePath,
  type WorkspaceRoots,
} from '../workspace-path';
import { ToolFailure } from './agent-tool';

/** How much of a file's head decides whether it is binary (git looks at the same amount). */
const SNIFF_BYTES = 8000;

/** Longest line shown to the model; minified files would otherwise flood its context. */
export const MAX_LINE_CHARS = 2000;

export interface TextFile {
  path: WorkspacePath;
  size: number;
}

/**
 * Resolves a path that must name an existing text file, with failures the model can act on:
 * missing, a directory, or binary.
 */
export async function resolveTextFile(
  roots: WorkspaceRoots,
  given: string,
  options: ResolveOptions = {},
): Promise<TextFile> {
  const resolved = await resolveWorkspacePath(roots, given, options);
  const stats = await statIfExists(resolved.absolute);
  if (!stats) {
    throw new ToolFailure(
      `No file at ${resolved.relative}. Check the name with find_files or list_dir${
        options.write ? ', or create it with create_file' : ''
      }.`,
    );
  }
  if (stats.isDirectory()) {
    throw new ToolFailure(`${resolved.relative} is a directory; use list_dir to see its entries.`);
  }
  if (!stats.isFile()) throw new ToolFailure(`${resolved.relative} is not a regular file.`);
  if (await isBinaryFile(resolved.absolute)) {
    throw new ToolFailure(
      `${resolved.relative} is a binary file (${stats.size} bytes); the file tools handle text only. ` +
        'Inspect it with run_command (e.g. `file`, `xxd | head`) if you need to.',
    );
  }
  return { path: resolved, size: stats.size };
}

export async function statIfExists(absolute: string): Promise<Stats | null> {
  try {
    return await fs.stat(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  }
}

/** A NUL byte near the start means binary, as git and grep decide it. */
export function looksBinary(bytes: Buffer): boolean {
  return bytes.subarray(0, SNIFF_BYTES).includes(0);
}

export async function isBinaryFile(absolute: string): Promise<boolean> {
  const handle = await fs.open(absolute, 'r');
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
    return looksBinary(buffer.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/** The file's dominant line ending, so edits keep it. */
export function lineEnding(text: string): '\r\n' | '\n' {
  const crlf = text.split('\r\n').length - 1;
  const lf = text.split('\n').length - 1 - crlf;
  return crlf > lf ? '\r\n' : '\n';
}

/** Lines without their endings; a final line ending does not start another line. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** `cat -n` style: right-aligned number, a tab, the line (long lines cut with a note). */
export function numberLines(lines: string[], firstLineNumber: number): string {
  const width = String(firstLineNumber + lines.length - 1).length;
  return lines
    .map((line, index) => `${String(firstLineNumber + index).padStart(width)}\t${clipLine(line)}`)
    .join('\n');
}

export function clipLine(line: string, max = MAX_LINE_CHARS): string {
  return line.length <= max ? line : `${line.slice(0, max)} … [${line.length - max} more chars]`;
}

/** 1-based line number of a character offset. */
export function lineNumberAt(text: string, offset: number): number {
  let line = 1;
  for (let index = text.indexOf('\n'); index !== -1 && index < offset;) {
    line++;
    index = text.indexOf('\n', index + 1);
  }
  return line;
}
