import * as assert from 'node:assert/strict';
import type { Flow, FlowContext } from '../../server/flows/flow';
import { FlowRegistry } from '../../server/flows/flow-registry';
import { silentLogger } from '../../server/logger';
import type {
  ApprovalRequestedParams,
  ApprovalResolvedParams,
  SessionSnapshot,
} from '../../server/protocol';
import { TandemServer } from '../../server/tandem-server';
import { agentTools, runToolCall, type ToolContext } from '../../sandbox/tools';
import { docker, gitRepo, requireDocker } from '../support/docker-world';
import { tempDir } from '../support/temp-dir';

/**
 * A flow made for this test: it runs the commands it is given through the agent's `run_command`
 * tool in the session's sandbox, the way the agent flows do.
 */
function commandFlow(commands: string[], results: string[]): Flow {
  return {
    id: 'fix_pipeline',
    name: 'Command probe',
    referenceKind: 'merge_request',
    requiredAccess: 0,
    requiredAccessName: 'none',
    recommendWhen: 'never',
    async run(ctx: FlowContext) {
      const sandbox = await ctx.step('prepare_sandbox', () => ctx.sandbox());
      const tools: ToolContext = {
        sandbox,
        signal: ctx.signal,
        authorizeCommand: ctx.authorizeCommand,
      };
      for (const command of commands) {
        results.push(
          await runToolCall(
            agentTools,
            { name: 'run_command', arguments: JSON.stringify({ command }) },
            tools,
          ),
        );
      }
      return { summary: 'ran', links: [] };
    },
  };
}

describe('sessions with a sandbox: approvals, failures, a server that keeps serving (slow)', function () {
  this.timeout(180_000);
  let state: ReturnType<typeof tempDir>;
  let repo: ReturnType<typeof gitRepo>;
  let server: TandemServer;
  let results: string[];
  const commands: string[] = [];
  const statuses: SessionSnapshot[] = [];
  const requested: ApprovalRequestedParams[] = [];
  const resolved: ApprovalResolvedParams[] = [];

  beforeEach(async function () {
    await requireDocker(this);
    state = tempDir('tandem-session-sandbox-');
    repo = gitRepo({ 'README.md': '# app\n' });
    results = [];
    statuses.length = requested.length = resolved.length = 0;
    server = new TandemServer({
      stateDir: state.dir,
      logger: silentLogger,
      env: { GITLAB_TOKEN: 'glpat-x', GITLAB_URL: 'https://gitlab.example.com' },
      flows: new FlowRegistry([commandFlow(commands, results)]),
      channel: {
        chatUpdate: () => undefined,
        sessionStatus: (s) => statuses.push(s),
        requested: (p) => requested.push(p),
        resolved: (p) => resolved.push(p),
        beginProgress: () => ({ report: () => undefined, done: () => undefined }),
      },
    });
    server.setClient({ protocolVersion: 1, approvals: true, sessionWidget: true }, repo.dir);
    server.configure({ sandbox: { memory: '256m', pids: 64 } });
  });
  afterEach(async () => {
    await server?.shutdown();
    repo?.cleanup();
    state?.cleanup();
  });

  const reference = {
    kind: 'merge_request' as const,
    projectPath: 'group/app',
    id: 7,
    url: 'https://gitlab.example.com/group/app/-/merge_requests/7',
    label: 'group/app!7',
  };
  const start = () =>
    server.sessions.start({ flow: 'fix_pipeline', reference, trigger: 'ui' }).sessionId;
  const until = async <T>(probe: () => T | undefined, what: string): Promise<T> => {
    for (let i = 0; i < 600; i++) {
      const value = probe();
      if (value !== undefined) return value;
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`Timed out waiting for ${what}`);
  };
  const final = (id: string) =>
    until(
      () =>
        statuses.find(
          (s) => s.sessionId === id && ['completed', 'failed', 'cancelled'].includes(s.status),
        ),
      `session ${id} to finish`,
    );

  it('asks before a command, shows awaiting_approval, remembers a session answer, and returns feedback on denial', async () => {
    commands.splice(0, commands.length, 'echo first', 'echo first', 'rm -rf build');
    const id = start();
    const ask = await until(() => requested[0], 'the first approval');
    assert.equal(ask.kind, 'command');
    assert.deepEqual(ask.command, { command: 'echo first', cwd: '/workspaces/worktree' });
    assert.equal(ask.sessionId, id);
    await until(() => statuses.find((s) => s.status === 'awaiting_approval'), 'awaiting_approval');
    await server.broker.respond({
      approvalId: ask.approvalId,
      decision: 'approve',
      scope: 'session',
    });
    const third = await until(() => requested[1], 'the approval of the third command');
    assert.equal(
      third.command?.command,
      'rm -rf build',
      'the repeated command was not asked again',
    );
    await server.broker.respond({
      approvalId: third.approvalId,
      decision: 'deny',
      feedback: 'Use npm run clean instead.',
    });
    const done = await final(id);
    assert.equal(done.status, 'completed', done.error);
    assert.match(results[0], /first/);
    assert.match(results[2], /Use npm run clean instead\./);
    const path = statuses.filter((s) => s.sessionId === id).map((s) => s.status);
    assert.ok(path.indexOf('awaiting_approval') < path.lastIndexOf('running'), path.join(' → '));
  });

  it('fails the session with a clear reason when its container is killed mid-command, and keeps serving', async () => {
    commands.splice(0, commands.length, 'sleep 120');
    server.policy.add({
      project: 'group/app',
      pattern: 'sleep *',
      action: 'allow',
      scope: 'always',
    });
    const id = start();
    const containerId = await untilAsync(async () => {
      const [info] = await docker.listContainers({
        filters: { label: [`org.tandem.session=${id}`] },
      });
      if (!info) return undefined;
      const top = await docker
        .getContainer(info.Id)
        .top()
        .catch(() => undefined);
      return JSON.stringify(top?.Processes ?? []).includes('sleep 120') ? info.Id : undefined;
    }, 'the command to run');
    await docker.getContainer(containerId).kill();
    const done = await final(id);
    assert.equal(done.status, 'failed');
    assert.match(done.error ?? '', /^The sandbox container ended while running `sleep 120`/);
    commands.splice(0, commands.length, 'echo still serving');
    server.policy.add({
      project: 'group/app',
      pattern: 'echo *',
      action: 'allow',
      scope: 'always',
    });
    const next = await final(start());
    assert.equal(next.status, 'completed', next.error);
    assert.deepEqual(
      server.sessionStore
        .list()
        .map((s) => s.status)
        .sort(),
      ['completed', 'failed'],
    );
  });
});

async function untilAsync<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Timed out waiting for ${what}`);
}
