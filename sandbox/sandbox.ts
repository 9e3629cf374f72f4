/**
 * Where agent commands run. Only `sandbox/` runs commands or talks to Docker; the rest of the
 * server sees this interface.
 */

export interface ExecOptions {
  /** Working directory inside the sandbox; relative paths are relative to the workspace. */
  cwd?: string;
  /** Extra environment for this command; filtered through the sandbox's allow-list. */
  env?: Record<string, string>;
  /** Kill the command and everything it started after this long. */
  timeoutMs?: number;
  /** Streamed output, in arrival order. */
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
  signal?: AbortSignal;
}

export interface ExecResult {
  /** The command's exit code; 124 when it timed out, as `timeout(1)` reports. */
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Output was longer than the cap; the head and the tail were kept. */
  truncated: boolean;
  timedOut: boolean;
  durationMs: number;
}

export interface DirEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
}

export interface Sandbox {
  /** Absolute path of the workspace as commands see it (e.g. `/workspaces/app`). */
  readonly workspaceFolder: string;
  /** The session's branch, e.g. `tandem/code_review-1a2b3c4d`. */
  readonly branch: string;
  /** Absolute host path of the session's worktree (what file tools read and write). */
  readonly worktree: string;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Paths are relative to the workspace; they never leave it. */
  readFile(path: string): Promise<string>;
  writeFile(path: string, content: string): Promise<void>;
  listDir(path: string): Promise<DirEntry[]>;
  dispose(): Promise<void>;
}

export interface PrepareOptions {
  sessionId: string;
  flow: string;
  /** The user's repository; it is never modified. */
  workspaceFolder: string;
  /** Commit or branch the worktree starts from; default `HEAD`. */
  ref?: string;
  onProgress?: (message: string) => void;
}

/** Checks the machine and prepares sandboxes. */
export interface SandboxProvider {
  /** What is missing for sandboxes to work, each with what to do; empty when ready. */
  check(): Promise<string[]>;
  prepare(options: PrepareOptions): Promise<Sandbox>;
  /**
   * The session's worktree on the host, without a container: added again on the session's
   * branch when it was removed (a session that ended), so a checkpoint can be restored into it.
   */
  worktree(options: PrepareOptions): Promise<string>;
  /** Removes containers and worktrees of servers that stopped without cleaning up. */
  cleanupOrphans(): Promise<number>;
}

/** A sandbox failure with a message the person can act on. */
export class SandboxError extends Error {
  constructor(
    message: string,
    readonly code:
      | 'docker_unavailable'
      | 'image_missing'
      | 'prepare_failed'
      | 'container_gone'
      | 'path_outside'
      | 'not_found'
      | 'invalid' = 'invalid',
  ) {
    super(message);
    this.name = 'SandboxError';
  }
}
