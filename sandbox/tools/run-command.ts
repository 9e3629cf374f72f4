import { z } from 'zod';
import type { ExecResult } from '../sandbox';
import { containerPath, resolveWorkspacePath } from '../workspace-path';
import { defineAgentTool, ToolFailure, type CommandAuthorization } from './agent-tool';
import { statIfExists } from './text-file';

export const DEFAULT_COMMAND_TIMEOUT_MS = 120_000;
/** However long the model asks for, a command is killed after this. */
export const MAX_COMMAND_TIMEOUT_MS = 30 * 60_000;

const RunCommandParams = z.object({
  command: z.string().min(1).describe('Shell command, run with sh -c inside the dev container'),
  cwd: z
    .string()
    .optional()
    .describe('Working directory relative to the workspace root; default the root'),
  timeoutMs: z
    .number()
    .int()
    .min(1000)
    .max(MAX_COMMAND_TIMEOUT_MS)
    .optional()
    .describe(
      `Kill the command after this many milliseconds; default ${DEFAULT_COMMAND_TIMEOUT_MS}`,
    ),
});

export const runCommandTool = defineAgentTool({
  name: 'run_command',
  description:
    "Run a shell command in the session's dev container, in the workspace (builds, tests, " +
    'linters, git status). The person may have to approve it, and may refuse with feedback: ' +
    'then follow the feedback instead of retrying the same command. No network unless allowed.',
  params: RunCommandParams,
  async run({ command, cwd = '.', timeoutMs }, context) {
    const { sandbox } = context;
    const directory = await resolveWorkspacePath(sandbox, cwd);
    if (!(await statIfExists(directory.absolute))?.isDirectory()) {
      throw new ToolFailure(
        `No directory at ${directory.relative}; give an existing cwd or omit it.`,
      );
    }
    const where = containerPath(sandbox.workspaceFolder, directory.relative);
    const authorization = (await context.authorizeCommand?.(command, where)) ?? { allowed: true };
    if (!authorization.allowed) return refusal(authorization);
    const timeout = Math.min(
      timeoutMs ?? context.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      MAX_COMMAND_TIMEOUT_MS,
    );
    const forward = context.onOutput;
    const result = await sandbox.exec(command, {
      cwd: where,
      timeoutMs: timeout,
      signal: context.signal,
      onOutput: forward ? (chunk) => forward(chunk) : undefined,
    });
    return describeResult(result, timeout);
  },
});

function refusal(authorization: Extract<CommandAuthorization, { allowed: false }>): string {
  const feedback = authorization.feedback?.trim();
  return [
    `The command was not run: ${authorization.reason}`,
    feedback
      ? `The person's feedback: "${feedback}"\nFollow this feedback; do not retry the same command unchanged.`
      : 'Do not retry the same command unchanged; try another way or ask the person.',
  ].join('\n');
}

function describeResult(result: ExecResult, timeoutMs: number): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const status = result.timedOut
    ? `Timed out after ${seconds(timeoutMs)} and was killed (exit code ${result.exitCode}). ` +
      `Pass a larger timeoutMs (at most ${MAX_COMMAND_TIMEOUT_MS}) or run less at once.`
    : `Exit code ${result.exitCode} after ${seconds(result.durationMs)}.`;
  const parts = [status];
  if (result.truncated) {
    parts.push(
      '[The output was too long: only its beginning and end are kept. Redirect it to a file and ' +
        'use grep or read_file on that file to see the rest.]',
    );
  }
  parts.push(section('stdout', result.stdout), section('stderr', result.stderr));
  return parts.join('\n');
}

function section(stream: string, text: string): string {
  const body = text.replace(/\s+$/, '');
  return body ? `--- ${stream} ---\n${body}` : `--- ${stream} --- (empty)`;
}
