import { z } from 'zod';
import { SandboxError, type Sandbox } from '../sandbox';

export type CommandAuthorization =
  { allowed: true } | { allowed: false; reason: string; feedback?: string };

/** What a tool call may use. The agent loop builds one per session. */
export interface ToolContext {
  sandbox: Sandbox;
  signal?: AbortSignal;
  /**
   * Asked before every `run_command` with the command and its working directory inside the
   * container; absent means commands run without asking (tests, trusted callers).
   */
  authorizeCommand?: (command: string, cwd: string) => Promise<CommandAuthorization>;
  /** Live command output, in arrival order, for the person watching the session. */
  onOutput?: (chunk: string) => void;
  /** Default timeout of `run_command` when the model gives none. */
  commandTimeoutMs?: number;
}

/**
 * A tool the model can call. `execute` validates its arguments against `params` and answers
 * with text for the model, failures included ("no file at …", "matches 3 times …"), so the
 * model can correct itself. Only failures of the machinery (the container is gone, git is
 * broken, the call was cancelled) are thrown.
 */
export interface AgentTool<Params extends z.ZodType = z.ZodType> {
  readonly name: string;
  /** Shown to the model: what the tool does and when to use it. */
  readonly description: string;
  readonly params: Params;
  /** Never changes a file, so no worktree checkpoint is needed after it. */
  readonly readOnly?: boolean;
  execute(args: z.input<Params>, context: ToolContext): Promise<string>;
}

/** A model-facing failure: its message goes back to the model as the tool's result. */
export class ToolFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolFailure';
  }
}

export interface AgentToolSpec<Params extends z.ZodType> {
  name: string;
  description: string;
  params: Params;
  readOnly?: boolean;
  run(args: z.output<Params>, context: ToolContext): Promise<string>;
}

/** Builds a tool whose `execute` validates arguments and turns model-facing failures into text. */
export function defineAgentTool<Params extends z.ZodType>(
  spec: AgentToolSpec<Params>,
): AgentTool<Params> {
  return {
    name: spec.name,
    description: spec.description,
    params: spec.params,
    readOnly: spec.readOnly,
    async execute(args, context) {
      const parsed = spec.params.safeParse(args);
      if (!parsed.success) {
        return `Error: invalid arguments for ${spec.name}: ${z.prettifyError(parsed.error)}`;
      }
      try {
        return await spec.run(parsed.data, context);
      } catch (error) {
        context.signal?.throwIfAborted();
        const message = modelFacingMessage(error);
        if (message === null) throw error;
        return `Error: ${message}`;
      }
    },
  };
}

/** The OpenAI `tools` entry for a tool (structurally the SDK's `ChatCompletionTool`). */
export function functionToolDefinition(tool: AgentTool) {
  return {
    type: 'function' as const,
    function: {
      name: tool.name,
      description: tool.description,
      parameters: z.toJSONSchema(tool.params, { io: 'input' }) as Record<string, unknown>,
    },
  };
}

const MODEL_FACING_SANDBOX_CODES = new Set<SandboxError['code']>([
  'path_outside',
  'not_found',
  'invalid',
]);

/** File-system errors the model caused and can fix by choosing another path. */
const MODEL_FACING_FS_CODES: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'it is a directory, not a file',
  EEXIST: 'it already exists',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'too many levels of symlinks',
  ENAMETOOLONG: 'the name is too long',
};

function modelFacingMessage(error: unknown): string | null {
  if (error instanceof ToolFailure) return error.message;
  if (error instanceof SandboxError) {
    return MODEL_FACING_SANDBOX_CODES.has(error.code) ? error.message : null;
  }
  const errno = error as NodeJS.ErrnoException;
  const reason = typeof errno?.code === 'string' ? MODEL_FACING_FS_CODES[errno.code] : undefined;
  if (!reason) return null;
  // errno.path is a host path, meaningless to the model; the tools name the path it gave.
  return `${reason}. Check the path with list_dir or find_files.`;
}
