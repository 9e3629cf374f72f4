import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { SandboxError } from './sandbox';

/** How long one answer may take before the process is ended and the request fails. */
const ANSWER_TIMEOUT_MS = 15_000;

/**
 * Reads one answer from the front of what the process wrote so far: the number of bytes it
 * takes, or undefined while it is incomplete.
 */
export type AnswerReader = (output: Buffer) => number | undefined;

/** A request sent and waiting for its answer. */
interface Pending {
  read: AnswerReader;
  done: (answer: Buffer) => void;
  fail: (error: Error) => void;
}

/**
 * A git command kept running for a repository that answers requests in order on its standard
 * streams (`cat-file --batch`, `check-ignore --stdin`, `check-attr --stdin`, `update-ref --stdin`):
 * a request costs a pipe round trip instead of a process start. A request is written at once
 * (several may be on their way); answers are matched to requests in order. Started on first use
 * and again after it ended.
 */
export class GitBatch {
  private child?: ChildProcessWithoutNullStreams;
  private output: Buffer = Buffer.alloc(0);
  private readonly pending: Pending[] = [];
  private stderr = '';
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly cwd: string,
    private readonly args: string[],
  ) {}

  /** Sends `input` and resolves with the answer `read` finds in the output. */
  request(input: string | Buffer, read: AnswerReader): Promise<Buffer> {
    return new Promise<Buffer>((done, fail) => {
      // Throws (so fails the request) once closed.
      const child = this.process();
      this.pending.push({ read, done, fail });
      // Waiting for an answer keeps the process (the server, a script) alive; idle, it does not.
      handle(child.stdout).ref();
      this.arm();
      child.stdin.write(input);
    });
  }

  /** The running process's id, if one runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process now, so the first request does not wait for it. */
  start(): void {
    this.process();
  }

  /** Ends the process, for good: later requests fail. */
  close(): void {
    this.closed = true;
    if (this.pending.length > 0) this.failAll(new Error(`git ${this.args[0]} was closed`));
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    child.stdin.end();
    // A process that does not end on end-of-input is ended.
    setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 2000).unref();
  }

  /** The oldest request gets an answer in time, or the process is ended and the requests fail. */
  private arm(): void {
    if (this.timer || this.pending.length === 0) return;
    const child = this.child;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.failAll(
        new Error(`git ${this.args[0]} gave no answer in ${ANSWER_TIMEOUT_MS / 1000} s`),
      );
      child?.kill('SIGKILL');
    }, ANSWER_TIMEOUT_MS);
    this.timer.unref();
  }

  private process(): ChildProcessWithoutNullStreams {
    if (this.child && this.child.exitCode === null && !this.child.killed) return this.child;
    if (this.closed) throw new SandboxError(`git ${this.args[0]} was closed`, 'prepare_failed');
    const child = spawn('git', ['-c', 'safe.directory=*', '-C', this.cwd, ...this.args], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/',
        LC_ALL: 'C',
        // Each answer is written out at once, not when a buffer fills.
        GIT_FLUSH: '1',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    this.output = Buffer.alloc(0);
    this.stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (this.child !== child) return;
      this.output = this.output.length ? Buffer.concat([this.output, chunk]) : chunk;
      this.take();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-2000);
    });
    const ended = (why: string) => {
      if (this.child !== child) return;
      this.child = undefined;
      const detail = this.stderr.trim().split('\n').slice(-2).join(' ');
      this.failAll(new Error(`git ${this.args[0]} ended (${why})${detail ? `: ${detail}` : ''}`));
    };
    child.on('error', (error) => ended(error.message));
    child.on('exit', (code, signal) => ended(signal ?? `exit code ${code}`));
    child.stdin.on('error', () => undefined);
    // Kept running between requests without keeping the server alive at its end.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) handle(stream).unref();
    return child;
  }

  private take(): void {
    while (this.pending.length > 0) {
      const head = this.pending[0];
      let used: number | undefined;
      try {
        used = head.read(this.output);
      } catch (error) {
        this.failAll(error as Error);
        return;
      }
      if (used === undefined) return;
      const answer = this.output.subarray(0, used);
      this.output = this.output.subarray(used);
      this.pending.shift();
      clearTimeout(this.timer);
      this.timer = undefined;
      this.arm();
      if (this.pending.length === 0 && this.child) handle(this.child.stdout).unref();
      head.done(answer);
    }
  }

  private failAll(error: Error): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const failed = new SandboxError(error.message, 'prepare_failed');
    for (const request of this.pending.splice(0)) request.fail(failed);
    // What the process writes after this belongs to no request.
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null) child.kill('SIGKILL');
  }
}

/** A child's pipe is a socket: it can stop keeping the event loop alive, and start again. */
function handle(stream: unknown): { ref(): void; unref(): void } {
  return stream as Socket;
}

/** An answer that ends with the `count`-th NUL byte. */
export function nulTerminated(count: number): AnswerReader {
  return (output) => {
    let at = -1;
    for (let i = 0; i < count; i++) {
      at = output.indexOf(0, at + 1);
      if (at < 0) return undefined;
    }
    return at + 1;
  };
}

/** An answer that ends with the line containing `marker`. */
export function lineWith(marker: string): AnswerReader {
  return (output) => {
    const text = output.toString('latin1');
    const at = text.indexOf(marker);
    if (at < 0) return undefined;
    const end = text.indexOf('\n', at);
    return end < 0 ? undefined : end + 1;
  };
}
