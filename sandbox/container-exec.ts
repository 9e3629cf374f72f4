import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type Docker from 'dockerode';
import { allowedEnv } from './exec-env';
import { OutputBuffer } from './output-buffer';
import { type ExecOptions, type ExecResult, SandboxError } from './sandbox';

export interface ExecTarget {
  docker: Docker;
  containerId: string;
  user: string;
  cwd: string;
  outputLimit: number;
  defaultTimeoutMs: number;
}

/** Exit code reported for a command killed at its timeout, as `timeout(1)` does. */
export const TIMEOUT_EXIT_CODE = 124;

/**
 * Runs one command in the container through the Docker API (no CLI round trip). Every process
 * the command starts carries a marker variable, so a timeout can kill the whole tree even when
 * it daemonised or changed process group.
 */
export async function execInContainer(
  target: ExecTarget,
  command: string,
  options: ExecOptions = {},
): Promise<ExecResult> {
  const started = performance.now();
  const marker = randomUUID();
  const container = target.docker.getContainer(target.containerId);
  const exec = await container
    .exec({
      Cmd: ['/bin/sh', '-c', command],
      AttachStdout: true,
      AttachStderr: true,
      User: target.user,
      WorkingDir: options.cwd ?? target.cwd,
      Env: [...allowedEnv(options.env), `TANDEM_EXEC_ID=${marker}`],
    })
    .catch((error) => {
      throw gone(error, command);
    });
  const stdout = new OutputBuffer(target.outputLimit);
  const stderr = new OutputBuffer(target.outputLimit);
  const stream = await exec.start({ hijack: true, stdin: false });
  const sink = (buffer: OutputBuffer, name: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        buffer.push(chunk);
        options.onOutput?.(chunk.toString('utf8'), name);
        done();
      },
    });
  target.docker.modem.demuxStream(stream, sink(stdout, 'stdout'), sink(stderr, 'stderr'));

  let timedOut = false;
  const kill = () => void killTree(target, marker);
  const timeoutMs = options.timeoutMs ?? target.defaultTimeoutMs;
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, timeoutMs);
  options.signal?.addEventListener('abort', kill, { once: true });
  try {
    await new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
    });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', kill);
  }
  const { ExitCode, Running } = await exec.inspect().catch((error) => {
    throw gone(error, command);
  });
  // A signal-like exit may mean the container itself went away; say so rather than "exit 137".
  if (Running || ExitCode === null || ExitCode >= 128) await ensureRunning(target, command);
  return {
    exitCode: timedOut ? TIMEOUT_EXIT_CODE : (ExitCode ?? -1),
    stdout: stdout.text(),
    stderr: stderr.text(),
    truncated: stdout.truncated || stderr.truncated,
    timedOut,
    durationMs: Math.round(performance.now() - started),
  };
}

/**
 * Kills every process that carries the marker. It runs as the command's own user: root in a
 * container lacks CAP_SYS_PTRACE and cannot read other users' environments, while a user can
 * always read its own; with no-new-privileges the command cannot have changed user. Two passes
 * catch children forked while the first one ran.
 */
async function killTree(target: ExecTarget, marker: string): Promise<void> {
  const pass =
    `for p in /proc/[0-9]*; do ` +
    `if tr '\\0' '\\n' 2>/dev/null < "$p/environ" | grep -qx "TANDEM_EXEC_ID=${marker}"; then ` +
    `kill -KILL "\${p#/proc/}" 2>/dev/null; fi; done`;
  try {
    const exec = await target.docker.getContainer(target.containerId).exec({
      Cmd: ['/bin/sh', '-c', `${pass}; ${pass}`],
      User: target.user,
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    stream.resume();
  } catch {
    // The container is gone; nothing is left to kill, and the caller reports it.
  }
}

/**
 * A command killed by a signal may have gone down with its container; Docker reports the exec's
 * end a moment before the container's, so the container is looked at a few times.
 */
async function ensureRunning(target: ExecTarget, command: string): Promise<void> {
  for (const pause of [0, 50, 100, 250]) {
    if (pause) await new Promise((resolve) => setTimeout(resolve, pause));
    const state = await target.docker
      .getContainer(target.containerId)
      .inspect()
      .then((info) => info.State)
      .catch(() => undefined);
    if (state?.Running && state.Status === 'running') continue;
    const why = state?.OOMKilled
      ? 'it ran out of memory (tandem.sandbox.memory)'
      : state
        ? `it stopped (exit code ${state.ExitCode})`
        : 'it was removed';
    throw new SandboxError(
      `The sandbox container ended while running \`${brief(command)}\`: ${why}. The session cannot go on in it; restore its last checkpoint to carry on in a new container.`,
      'container_gone',
    );
  }
}

function gone(error: unknown, command: string): SandboxError {
  const status = (error as { statusCode?: number }).statusCode;
  const why = status === 404 ? 'the container no longer exists' : (error as Error).message;
  return new SandboxError(
    `Could not run \`${brief(command)}\` in the sandbox: ${why}. If Docker stopped, start it, then restore the session's last checkpoint to carry on.`,
    'container_gone',
  );
}

/** A command as an error names it: on one line, and not a whole generated script. */
function brief(command: string): string {
  const line = command.replace(/\s+/g, ' ').trim();
  return line.length > 100 ? `${line.slice(0, 99)}…` : line;
}
