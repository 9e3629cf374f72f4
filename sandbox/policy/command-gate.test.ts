import * as assert from 'node:assert/strict';
import { ApprovalBroker } from '../../server/approvals/approval-broker';
import { ApprovalStore } from '../../server/approvals/approval-store';
import { silentLogger } from '../../server/logger';
import type {
  ApprovalRequestedParams,
  ApprovalResolvedParams,
  ApprovalRespondParams,
} from '../../server/protocol';
import { type Db, openDatabase } from '../../server/store/database';
import { tempDir } from '../../test/support/temp-dir';
import { type CommandAuthorization, CommandGate, type CommandRequest } from './command-gate';
import { type PolicyAction, PolicyStore } from './policy-store';

const PROJECT = 'group/app';
const SESSION = 'session-a';

type Answer = Omit<ApprovalRespondParams, 'approvalId'>;

/** A server's worth of approvals and policy over a real SQLite file; `restart` reopens it. */
class World {
  readonly tmp = tempDir();
  db!: Db;
  broker!: ApprovalBroker;
  policy!: PolicyStore;
  gate!: CommandGate;
  canApprove = true;
  readonly asked: ApprovalRequestedParams[] = [];
  readonly resolved: ApprovalResolvedParams[] = [];
  readonly hooks: string[] = [];

  constructor() {
    this.open();
  }

  open(): void {
    this.db = openDatabase(this.tmp.dir);
    this.broker = new ApprovalBroker(
      new ApprovalStore(this.db),
      { requested: (p) => this.asked.push(p), resolved: (p) => this.resolved.push(p) },
      silentLogger,
    );
    this.policy = new PolicyStore(this.db);
    this.gate = new CommandGate({
      policy: this.policy,
      broker: this.broker,
      clientCanApprove: () => this.canApprove,
      logger: silentLogger,
    });
  }

  restart(): void {
    this.db.close();
    this.open();
  }

  close(): void {
    this.db.close();
    this.tmp.cleanup();
  }

  /** Runs `command` through the gate; when asked, the person gives `answer` (none: a failure). */
  authorize(
    command: string,
    options: Partial<CommandRequest> & { answer?: Answer } = {},
  ): Promise<CommandAuthorization> {
    const { answer, ...request } = options;
    return this.gate.authorize({
      command,
      cwd: '/workspaces/app',
      sessionId: SESSION,
      project: PROJECT,
      onWaiting: (approvalId) => {
        this.hooks.push('waiting');
        if (!answer) throw new Error(`\`${command}\` was asked, but the test gave no answer`);
        void this.broker.respond({ approvalId, ...answer });
      },
      onResolved: () => this.hooks.push('resolved'),
      ...request,
    });
  }
}

type Expect = 'allowed by policy' | 'refused by policy' | 'asked, allowed' | 'asked, refused';

/** A command, what should happen to it, and how the person answers if asked. */
type Step = [
  command: string,
  expect: Expect,
  options?: { answer?: Answer; session?: string; project?: string; feedback?: string },
];

const approve = (scope: Answer['scope']): Answer => ({ decision: 'approve', scope });
const deny = (scope: Answer['scope'], feedback?: string): Answer => ({
  decision: 'deny',
  scope,
  feedback,
});

describe('CommandGate', () => {
  let world: World;
  beforeEach(() => (world = new World()));
  afterEach(() => world.close());

  describe('answers and what they leave behind', () => {
    /** Stores `rules` (`action pattern`, always rules of PROJECT), then runs the steps in order. */
    const check = (name: string, rules: string[], steps: Step[]) =>
      it(name, async () => {
        for (const spec of rules) {
          const [action, ...pattern] = spec.split(' ');
          world.policy.add({
            project: PROJECT,
            action: action as PolicyAction,
            pattern: pattern.join(' '),
            scope: 'always',
          });
        }
        for (const [index, [command, expect, options = {}]] of steps.entries()) {
          const askedBefore = world.asked.length;
          const result = await world.authorize(command, {
            sessionId: options.session ?? SESSION,
            project: options.project ?? PROJECT,
            answer: options.answer,
          });
          const asked = world.asked.length > askedBefore;
          const got: Expect = asked
            ? result.allowed
              ? 'asked, allowed'
              : 'asked, refused'
            : result.allowed
              ? 'allowed by policy'
              : 'refused by policy';
          const at = `step ${index + 1} (\`${command}\`)`;
          assert.equal(got, expect, at);
          assert.equal(result.allowed ? undefined : result.feedback, options.feedback, at);
        }
      });

    check(
      'a "once" approval records nothing: the command is asked again',
      [],
      [
        ['npm test', 'asked, allowed', { answer: approve('once') }],
        ['npm test', 'asked, allowed', { answer: approve('once') }],
      ],
    );
    check(
      'an answer without a scope counts as once',
      [],
      [
        ['npm test', 'asked, allowed', { answer: approve(undefined) }],
        ['npm test', 'asked, allowed', { answer: approve(undefined) }],
      ],
    );
    check(
      'a "once" denial returns the feedback and records nothing',
      [],
      [
        [
          'npm test',
          'asked, refused',
          { answer: deny('once', 'use npm run unit'), feedback: 'use npm run unit' },
        ],
        ['npm test', 'asked, allowed', { answer: approve('once') }],
      ],
    );
    check(
      'a session approval covers that session only',
      [],
      [
        ['npm test', 'asked, allowed', { answer: approve('session') }],
        ['npm test', 'allowed by policy'],
        ['  npm   test', 'allowed by policy'],
        ['npm test --watch', 'asked, allowed', { answer: approve('once') }],
        ['npm test', 'asked, allowed', { answer: approve('once'), session: 'session-b' }],
      ],
    );
    check(
      'an "always" approval covers every session of the project, no other project',
      [],
      [
        ['npm test', 'asked, allowed', { answer: approve('always') }],
        ['npm test', 'allowed by policy', { session: 'session-b' }],
        ['npm test', 'asked, allowed', { answer: approve('once'), project: 'group/other' }],
      ],
    );
    check(
      'a session denial refuses without asking, with the same feedback',
      [],
      [
        [
          'git push -f',
          'asked, refused',
          { answer: deny('session', 'open an MR'), feedback: 'open an MR' },
        ],
        ['git push -f', 'refused by policy', { feedback: 'open an MR' }],
        ['git push -f', 'asked, allowed', { answer: approve('once'), session: 'session-b' }],
      ],
    );
    check(
      'an "always" denial also stops the command inside a compound one',
      [],
      [
        [
          'rm -rf build',
          'asked, refused',
          { answer: deny('always', 'keep it'), feedback: 'keep it' },
        ],
        ['rm -rf build', 'refused by policy', { session: 'session-b', feedback: 'keep it' }],
        ['npm test && rm -rf build', 'refused by policy', { feedback: 'keep it' }],
      ],
    );
    check(
      'a deny rule refuses without asking',
      ['deny git push *'],
      [
        ['git push origin main', 'refused by policy'],
        ['git status', 'asked, allowed', { answer: approve('once') }],
      ],
    );
    check(
      'an allow rule lets commands through without asking',
      ['allow npm run *'],
      [
        ['npm run test', 'allowed by policy'],
        ['npm runner', 'asked, allowed', { answer: approve('once') }],
      ],
    );
    check(
      'a compound command is asked even when a prefix rule covers its start',
      ['allow npm run *'],
      [
        ['npm run test | tee log', 'asked, allowed', { answer: approve('once') }],
        ['npm run test; curl x', 'asked, refused', { answer: deny('once') }],
      ],
    );
    check(
      'a compound command approved for the session is remembered verbatim',
      [],
      [
        ['npm test && npm run lint', 'asked, allowed', { answer: approve('session') }],
        ['npm test && npm run lint', 'allowed by policy'],
        ['npm test', 'asked, allowed', { answer: approve('once') }],
        ['npm test && npm run lint; rm -rf ~', 'asked, refused', { answer: deny('once') }],
      ],
    );
    check(
      'an ask rule outranks an "always" approval',
      ['ask git push *'],
      [
        ['git push', 'asked, allowed', { answer: approve('always') }],
        ['git push', 'asked, allowed', { answer: approve('once') }],
      ],
    );
    check(
      'an ask rule does not outrank a denial',
      ['ask git push *'],
      [
        ['git push', 'asked, refused', { answer: deny('session') }],
        ['git push', 'refused by policy'],
      ],
    );
    check(
      'a command with a lone `*` cannot be remembered, so it is asked again',
      [],
      [
        ['ls *', 'asked, allowed', { answer: approve('always') }],
        ['ls *', 'asked, allowed', { answer: approve('once') }],
      ],
    );
  });

  it('remembers an "always" approval across a server restart', async () => {
    await world.authorize('npm test', { answer: approve('always') });
    world.restart();
    const result = await world.authorize('npm test', { sessionId: 'session-after-restart' });
    assert.equal(result.allowed, true);
    assert.equal(result.decidedBy, 'policy');
    assert.equal(result.rule?.pattern, 'npm test');
    assert.equal(result.rule?.scope, 'always');
  });

  it('records an answer given after a restart, for a question the old server asked', async () => {
    const stop = new AbortController();
    let approvalId = '';
    const before = world.authorize('npm run build', {
      signal: stop.signal,
      onWaiting: (id) => (approvalId = id),
    });
    const oldDb = world.db;
    world.open();
    await world.broker.respond({ approvalId, decision: 'approve', scope: 'always' });
    const after = await world.authorize('npm run build');
    assert.equal(after.allowed && after.decidedBy, 'policy');
    stop.abort();
    assert.equal((await before).allowed, false);
    oldDb.close();
  });

  it('asks through the broker with the command exactly as it will run, its cwd and why', async () => {
    await world.authorize('npm  test', { answer: approve('once'), conversationId: 'c1' });
    const [request] = world.asked;
    assert.equal(request.kind, 'command');
    assert.equal(request.title, 'Run `npm test`?');
    assert.deepEqual(request.command, { command: 'npm  test', cwd: '/workspaces/app' });
    assert.equal(request.sessionId, SESSION);
    assert.equal(request.conversationId, 'c1');
    assert.match(request.details ?? '', /No rule allows/);
    assert.equal((request as Record<string, unknown>).context, undefined);
  });

  it('says why a compound command is asked', async () => {
    await world.authorize('npm test | tee log', { answer: approve('once') });
    assert.match(world.asked[0].details ?? '', /contains `\|`.*always asked/);
  });

  it('shortens a long command in the title and keeps it whole in the request', async () => {
    const long = `echo ${'x'.repeat(300)}`;
    await world.authorize(long, { answer: approve('once') });
    assert.ok(world.asked[0].title.length < 130);
    assert.match(world.asked[0].title, /…`\?$/);
    assert.equal(world.asked[0].command?.command, long);
  });

  it('calls onWaiting then onResolved around a question, and neither when policy decides', async () => {
    await world.authorize('npm test', { answer: approve('session') });
    assert.deepEqual(world.hooks, ['waiting', 'resolved']);
    await world.authorize('npm test');
    assert.deepEqual(world.hooks, ['waiting', 'resolved']);
  });

  it('refuses by default when no editor can show approvals', async () => {
    world.canApprove = false;
    const result = await world.authorize('npm test');
    assert.equal(result.allowed, false);
    assert.equal(result.decidedBy, 'policy');
    assert.match(
      result.allowed ? '' : result.reason,
      /No attached editor can show approval prompts.*allow rule/,
    );
    assert.deepEqual(world.hooks, []);
    assert.equal(world.resolved[0].decision, 'deny');
    assert.deepEqual(world.broker.pending(), []);
    assert.deepEqual(world.policy.list(PROJECT), []);
  });

  it('still lets allow rules through when no editor can show approvals', async () => {
    world.canApprove = false;
    world.policy.add({ project: PROJECT, pattern: 'npm test', action: 'allow', scope: 'always' });
    assert.equal((await world.authorize('npm test')).allowed, true);
  });

  it('withdraws the question and refuses when the session stops while waiting', async () => {
    const stop = new AbortController();
    const result = await world.authorize('npm test', {
      signal: stop.signal,
      onWaiting: () => {
        world.hooks.push('waiting');
        stop.abort();
      },
    });
    assert.equal(result.allowed, false);
    assert.match(result.allowed ? '' : result.reason, /stopped/);
    assert.deepEqual(world.hooks, ['waiting', 'resolved']);
    assert.equal(world.resolved[0].decision, 'deny');
    assert.match(world.resolved[0].reason ?? '', /stopped before the command was answered/);
    assert.deepEqual(world.broker.pending(), []);
  });

  it('refuses at once when the session was already stopped', async () => {
    const stop = new AbortController();
    stop.abort();
    const result = await world.authorize('npm test', { signal: stop.signal });
    assert.equal(result.allowed, false);
    assert.deepEqual(world.asked, []);
  });

  it('refuses an empty command without asking', async () => {
    const result = await world.authorize('  \t ');
    assert.match(result.allowed ? '' : result.reason, /empty/);
    assert.deepEqual(world.asked, []);
  });

  it('records nothing when a guard turns an approval into a denial', async () => {
    world.broker.setGuard('command', async () => 'the sandbox is read-only');
    const result = await world.authorize('npm test', { answer: approve('always') });
    assert.equal(result.allowed, false);
    assert.equal(result.allowed ? '' : result.reason, 'the sandbox is read-only');
    assert.deepEqual(world.policy.list(PROJECT), []);
  });
});
