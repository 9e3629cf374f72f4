import * as assert from 'node:assert/strict';
import { FakeSandbox, type ScriptedExec } from '../../test/support/fake-sandbox';
import { SandboxError } from '../sandbox';
import type { AgentTool, CommandAuthorization, ToolContext } from './agent-tool';
import { DEFAULT_COMMAND_TIMEOUT_MS, runCommandTool } from './run-command';

interface Case {
  name: string;
  args: Record<string, unknown>;
  script?: ScriptedExec;
  context?: Partial<ToolContext>;
  /** The result, exactly. */
  says: string;
  /** What `exec` was called with; omitted when the command must not run. */
  ran?: { command: string; cwd: string; timeoutMs: number };
}

const cases: Case[] = [
  {
    name: 'runs in the workspace and reports the output',
    args: { command: 'npm test' },
    script: { output: [{ chunk: 'ok 1\n', stream: 'stdout' }], durationMs: 1530 },
    says: 'Exit code 0 after 1.5 s.\n--- stdout ---\nok 1\n--- stderr --- (empty)',
    ran: { command: 'npm test', cwd: '/workspaces/app', timeoutMs: DEFAULT_COMMAND_TIMEOUT_MS },
  },
  {
    name: 'maps cwd into the container',
    args: { command: 'ls', cwd: 'src/lib', timeoutMs: 5000 },
    says: 'Exit code 0 after 0.0 s.\n--- stdout --- (empty)\n--- stderr --- (empty)',
    ran: { command: 'ls', cwd: '/workspaces/app/src/lib', timeoutMs: 5000 },
  },
  {
    name: 'uses the context default timeout',
    args: { command: 'make' },
    context: { commandTimeoutMs: 9000 },
    says: 'Exit code 0 after 0.0 s.\n--- stdout --- (empty)\n--- stderr --- (empty)',
    ran: { command: 'make', cwd: '/workspaces/app', timeoutMs: 9000 },
  },
  {
    name: 'reports a failure with stderr',
    args: { command: 'tsc' },
    script: { exitCode: 2, stderr: 'a.ts(1,1): error TS1\n', durationMs: 0 },
    says: 'Exit code 2 after 0.0 s.\n--- stdout --- (empty)\n--- stderr ---\na.ts(1,1): error TS1',
    ran: { command: 'tsc', cwd: '/workspaces/app', timeoutMs: DEFAULT_COMMAND_TIMEOUT_MS },
  },
  {
    name: 'reports a timeout and truncated output',
    args: { command: 'sleep 99', timeoutMs: 2000 },
    script: { exitCode: 124, timedOut: true, truncated: true, stdout: 'head…tail' },
    says:
      'Timed out after 2.0 s and was killed (exit code 124). Pass a larger timeoutMs (at most 1800000) or run less at once.\n' +
      '[The output was too long: only its beginning and end are kept. Redirect it to a file and use grep or read_file on that file to see the rest.]\n' +
      '--- stdout ---\nhead…tail\n--- stderr --- (empty)',
    ran: { command: 'sleep 99', cwd: '/workspaces/app', timeoutMs: 2000 },
  },
  {
    name: 'returns the refusal and the feedback without running',
    args: { command: 'rm -rf build' },
    context: { authorizeCommand: deny('denied by the person.', '  use `npm run clean` instead ') },
    says:
      'The command was not run: denied by the person.\n' +
      `The person's feedback: "use \`npm run clean\` instead"\n` +
      'Follow this feedback; do not retry the same command unchanged.',
  },
  {
    name: 'returns a policy refusal without feedback',
    args: { command: 'curl https://example.com' },
    context: { authorizeCommand: deny('a deny rule matches "curl".') },
    says:
      'The command was not run: a deny rule matches "curl".\n' +
      'Do not retry the same command unchanged; try another way or ask the person.',
  },
  {
    name: 'refuses a cwd outside the workspace before asking',
    args: { command: 'ls', cwd: '../..' },
    context: { authorizeCommand: () => assert.fail('must not ask for an invalid cwd') },
    says: 'Error: ../.. is outside the workspace; use a path relative to the workspace root, without leading "..".',
  },
  {
    name: 'refuses a missing cwd',
    args: { command: 'ls', cwd: 'nope' },
    says: 'Error: No directory at nope; give an existing cwd or omit it.',
  },
  {
    name: 'refuses a timeout over the maximum',
    args: { command: 'ls', timeoutMs: 99 * 60_000 },
    says: 'Error: invalid arguments for run_command: ✖ Too big: expected number to be <=1800000\n  → at timeoutMs',
  },
];

function deny(reason: string, feedback?: string) {
  return async (): Promise<CommandAuthorization> => ({ allowed: false, reason, feedback });
}

describe('run_command', () => {
  let sandbox: FakeSandbox;
  beforeEach(async () => {
    sandbox = await FakeSandbox.create({ 'src/lib/a.ts': '' });
  });
  afterEach(() => sandbox.dispose());

  const run = (args: Record<string, unknown>, context: Partial<ToolContext> = {}) =>
    (runCommandTool as AgentTool).execute(args, { sandbox, ...context });

  for (const { name, args, script, context, says, ran } of cases) {
    it(name, async () => {
      if (script) sandbox.script(script);
      assert.equal(await run(args, context), says);
      const calls = sandbox.execCalls.map(({ command, options }) => ({
        command,
        cwd: options.cwd,
        timeoutMs: options.timeoutMs,
      }));
      assert.deepEqual(calls, ran ? [ran] : []);
    });
  }

  it('asks with the command and its container cwd, and streams output', async () => {
    const asked: [string, string][] = [];
    const streamed: string[] = [];
    sandbox.script({
      output: [
        { chunk: 'building\n', stream: 'stdout' },
        { chunk: 'warning\n', stream: 'stderr' },
      ],
    });
    const text = await run(
      { command: 'make', cwd: 'src' },
      {
        authorizeCommand: async (command, cwd) => {
          asked.push([command, cwd]);
          return { allowed: true };
        },
        onOutput: (chunk) => streamed.push(chunk),
      },
    );
    assert.deepEqual(asked, [['make', '/workspaces/app/src']]);
    assert.deepEqual(streamed, ['building\n', 'warning\n']);
    assert.match(text, /--- stdout ---\nbuilding\n--- stderr ---\nwarning$/);
  });

  it('throws when the container is gone', async () => {
    sandbox.exec = async () => {
      throw new SandboxError('The container stopped: restart the session.', 'container_gone');
    };
    await assert.rejects(run({ command: 'ls' }), /The container stopped/);
  });

  it('passes the cancellation signal on and stops when cancelled', async () => {
    const controller = new AbortController();
    await run({ command: 'ls' }, { signal: controller.signal });
    assert.equal(sandbox.execCalls[0].options.signal, controller.signal);
    sandbox.exec = async () => {
      controller.abort();
      throw new SandboxError('cancelled', 'invalid');
    };
    await assert.rejects(run({ command: 'ls' }, { signal: controller.signal }), {
      name: 'AbortError',
    });
  });
});
