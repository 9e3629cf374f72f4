import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { git } from '../../sandbox/git';
import {
  SandboxError,
  type DirEntry,
  type ExecOptions,
  type ExecResult,
  type Sandbox,
} from '../../sandbox/sandbox';
import { resolveWorkspacePath } from '../../sandbox/workspace-path';
import { tempDir } from './temp-dir';

export interface ExecCall {
  command: string;
  options: ExecOptions;
}

/** What a scripted command answers; `output` chunks are streamed before it returns. */
export interface ScriptedExec extends Partial<ExecResult> {
  output?: { chunk: string; stream: 'stdout' | 'stderr' }[];
}

const IDENTITY = ['-c', 'user.name=tandem test', '-c', 'user.email=test@example.com'];

/**
 * A `Sandbox` over a temporary git repository. Files are real (through the same confinement as
 * the tools); commands are never run: `exec` records them and answers from a script, so tests
 * need no Docker and cannot touch the host.
 */
export class FakeSandbox implements Sandbox {
  readonly workspaceFolder = '/workspaces/app';
  readonly branch = 'tandem/test-session';
  readonly execCalls: ExecCall[] = [];
  private readonly scripted: ScriptedExec[] = [];

  private constructor(
    readonly worktree: string,
    private readonly cleanup: () => void,
  ) {}

  /** A worktree holding `files` (path → content), committed as the session's starting point. */
  static async create(files: Record<string, string | Buffer> = {}): Promise<FakeSandbox> {
    const temp = tempDir('tandem-sandbox-');
    const worktree = path.join(temp.dir, 'worktree');
    await fs.mkdir(worktree);
    await git(worktree, ['init', '--quiet', '--initial-branch', 'main']);
    for (const [name, content] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(worktree, name)), { recursive: true });
      await fs.writeFile(path.join(worktree, name), content);
    }
    await git(worktree, ['add', '--all']);
    await git(worktree, [...IDENTITY, 'commit', '--quiet', '--allow-empty', '-m', 'start']);
    return new FakeSandbox(worktree, temp.cleanup);
  }

  /** The temp dir holding the worktree: a place outside the workspace for escape attempts. */
  get outside(): string {
    return path.dirname(this.worktree);
  }

  /** Queues answers for the next `exec` calls, in order; unscripted calls exit 0 silently. */
  script(...results: ScriptedExec[]): this {
    this.scripted.push(...results);
    return this;
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    this.execCalls.push({ command, options });
    const { output = [], ...result } = this.scripted.shift() ?? {};
    for (const { chunk, stream } of output) options.onOutput?.(chunk, stream);
    const streamed = (stream: 'stdout' | 'stderr') =>
      output
        .filter((piece) => piece.stream === stream)
        .map((piece) => piece.chunk)
        .join('');
    return {
      exitCode: 0,
      stdout: streamed('stdout'),
      stderr: streamed('stderr'),
      truncated: false,
      timedOut: false,
      durationMs: 5,
      ...result,
    };
  }

  async readFile(given: string): Promise<string> {
    const file = await resolveWorkspacePath(this, given);
    try {
      return await fs.readFile(file.absolute, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      throw new SandboxError(`No file at ${file.relative}.`, 'not_found');
    }
  }

  async writeFile(given: string, content: string): Promise<void> {
    const file = await resolveWorkspacePath(this, given, { write: true });
    await fs.mkdir(path.dirname(file.absolute), { recursive: true });
    await fs.writeFile(file.absolute, content);
  }

  async listDir(given: string): Promise<DirEntry[]> {
    const directory = await resolveWorkspacePath(this, given);
    const entries = await fs.readdir(directory.absolute, { withFileTypes: true });
    return Promise.all(
      entries.map(async (entry) => ({
        name: entry.name,
        type: entry.isDirectory()
          ? 'directory'
          : entry.isFile()
            ? 'file'
            : entry.isSymbolicLink()
              ? 'symlink'
              : 'other',
        size: (await fs.lstat(path.join(directory.absolute, entry.name))).size,
      })),
    );
  }

  async dispose(): Promise<void> {
    this.cleanup();
  }

  /** Test convenience: the file's bytes as they are on disk. */
  async hostRead(name: string): Promise<string> {
    return fs.readFile(path.join(this.worktree, name), 'utf8');
  }
}
