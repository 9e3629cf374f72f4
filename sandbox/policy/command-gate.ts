import {
  type ApprovalBroker,
  type ApprovalOutcome,
  outcomeOf,
} from '../../server/approvals/approval-broker';
import type { Logger } from '../../server/logger';
import { exactPatternFor, normaliseCommand } from './command-pattern';
import type { PolicyDecision, PolicyRule, PolicyStore } from './policy-store';

export interface CommandRequest {
  command: string;
  /** Where the command runs inside the sandbox; shown to the person. */
  cwd: string;
  sessionId: string;
  /** The key rules are kept under (see PolicyRule.project). */
  project: string;
  conversationId?: string;
  /** The approval's title when the command alone says little (e.g. a generated job script). */
  title?: string;
  /** Aborting while the person is being asked withdraws the question; the command is refused. */
  signal?: AbortSignal;
  /**
   * Called when the person is asked, so the session can show `awaiting_approval`. Not called
   * when policy decides without asking.
   */
  onWaiting?(approvalId: string): void;
  /** Called exactly once after onWaiting, however the question ended, so the session resumes. */
  onResolved?(approvalId: string): void;
}

export type CommandAuthorization =
  | {
      allowed: true;
      decidedBy: 'policy' | 'person';
      /** The allow rule that let it through without asking. */
      rule?: PolicyRule;
      approvalId?: string;
    }
  | {
      allowed: false;
      decidedBy: 'policy' | 'person';
      /** Why it was refused, in words the model can act on. */
      reason: string;
      /** What the person said to do instead; give it to the model with the refusal. */
      feedback?: string;
      rule?: PolicyRule;
      approvalId?: string;
    };

export interface CommandGateOptions {
  policy: PolicyStore;
  broker: ApprovalBroker;
  /** Whether an attached editor can show approval prompts; when none can, asking means no. */
  clientCanApprove(): boolean;
  logger: Logger;
}

/** Server-side facts kept with a command approval, so its answer can be recorded later too. */
export interface CommandApprovalContext {
  [key: string]: unknown;
  project: string;
  sessionId: string;
  command: string;
  cwd: string;
  policy: { action: PolicyDecision['action']; ruleId?: string; rulePattern?: string };
}

const TITLE_COMMAND_LENGTH = 120;

/**
 * Decides whether the agent may run a command: policy first, then the person, through the
 * ApprovalBroker as an approval of kind `command`. Answers for "this session" or "always"
 * become rules, so the same command is not asked again.
 *
 * Rules are recorded from the broker's resolution events rather than after `authorize` returns,
 * so an answer still counts when it arrives after a restart, for a question the session that
 * asked it can no longer hear.
 */
export class CommandGate {
  constructor(private readonly options: CommandGateOptions) {
    options.broker.onResolved((outcome) => this.record(outcome));
  }

  async authorize(request: CommandRequest): Promise<CommandAuthorization> {
    if (request.signal?.aborted) {
      return refused('policy', 'The session was stopped, so the command did not run.');
    }
    // Matching works on the normalised text, but the person is shown the command exactly as it
    // will run: collapsing blanks inside quotes would change what it does.
    const command = request.command;
    if (normaliseCommand(command) === '') {
      return refused('policy', 'The command is empty: pass the command line to run.');
    }
    const decision = this.options.policy.decide(command, request);
    if (decision.action === 'allow') {
      return { allowed: true, decidedBy: 'policy', rule: decision.rule };
    }
    if (decision.action === 'deny' && decision.rule) {
      return {
        ...refused('policy', `The rule \`${decision.rule.pattern}\` refuses \`${command}\`.`),
        feedback: decision.rule.feedback,
        rule: decision.rule,
      };
    }
    return this.ask(request, decision);
  }

  private async ask(
    request: CommandRequest,
    decision: PolicyDecision,
  ): Promise<CommandAuthorization> {
    const { broker } = this.options;
    const context: CommandApprovalContext = {
      project: request.project,
      sessionId: request.sessionId,
      command: request.command,
      cwd: request.cwd,
      policy: {
        action: decision.action,
        ruleId: decision.rule?.id,
        rulePattern: decision.rule?.pattern,
      },
    };
    // A question asked before a restart for this very command is still the question: its answer
    // (given meanwhile, or still to come) is used rather than asking again.
    const earlier = broker.unused(
      'command',
      request.sessionId,
      (c) => c.command === request.command && c.cwd === request.cwd,
    );
    if (earlier?.status === 'resolved') {
      broker.markUsed(earlier.request.approvalId);
      return this.answer(request, outcomeOf(earlier));
    }
    const approval =
      earlier?.request ??
      broker.request({
        kind: 'command',
        title: request.title ?? `Run \`${shorten(request.command)}\`?`,
        sessionId: request.sessionId,
        conversationId: request.conversationId,
        command: { command: request.command, cwd: request.cwd },
        details: whyAsked(decision),
        context,
      });
    const approvalId = approval.approvalId;
    if (!this.options.clientCanApprove()) {
      const reason =
        'No attached editor can show approval prompts and no rule allows this command, so it ' +
        'was not run. Ask the person to add an allow rule or to open an editor with tandem.';
      broker.decide(approvalId, { decision: 'deny', reason });
      return { ...refused('policy', reason), approvalId };
    }

    // Listen before anything else runs, so even an answer given from onWaiting is heard.
    const answered = broker.waitFor(approvalId);
    let outcome: ApprovalOutcome | undefined;
    try {
      request.onWaiting?.(approvalId);
      outcome = await untilAborted(answered, request.signal);
    } finally {
      if (!outcome) {
        broker.decide(approvalId, {
          decision: 'deny',
          reason: 'The session stopped before the command was answered.',
        });
      }
      broker.markUsed(approvalId);
      request.onResolved?.(approvalId);
    }
    if (!outcome) {
      return {
        ...refused('policy', 'The session was stopped, so the command did not run.'),
        approvalId,
      };
    }
    return this.answer(request, outcome);
  }

  private answer(request: CommandRequest, outcome: ApprovalOutcome): CommandAuthorization {
    const approvalId = outcome.approvalId;
    if (outcome.decision === 'approve') {
      return { allowed: true, decidedBy: 'person', approvalId };
    }
    return {
      ...refused(
        outcome.decidedBy,
        outcome.reason ?? `The person declined to run \`${request.command}\`.`,
      ),
      feedback: outcome.feedback,
      approvalId,
    };
  }

  /** Turns a person's answer for "this session" or "always" into a rule; "once" records nothing. */
  private record(outcome: ApprovalOutcome): void {
    if (outcome.request.kind !== 'command' || outcome.decidedBy !== 'person') return;
    if (outcome.scope !== 'session' && outcome.scope !== 'always') return;
    const context = outcome.context as Partial<CommandApprovalContext>;
    if (typeof context.project !== 'string' || typeof context.sessionId !== 'string') return;
    if (typeof context.command !== 'string') return;
    // An ask rule outranks any allow rule, so an allow recorded under one would never be used.
    if (
      outcome.decision === 'approve' &&
      context.policy?.action === 'ask' &&
      context.policy.ruleId
    ) {
      return;
    }
    const pattern = exactPatternFor(context.command);
    if (!pattern) {
      this.options.logger.info(
        `Not remembering the answer for \`${context.command}\`: a lone \`*\` in it would read ` +
          'as a wildcard, so it will be asked again.',
      );
      return;
    }
    this.options.policy.add({
      project: context.project,
      pattern,
      action: outcome.decision === 'approve' ? 'allow' : 'deny',
      scope: outcome.scope,
      sessionId: outcome.scope === 'session' ? context.sessionId : undefined,
      feedback: outcome.decision === 'deny' ? outcome.feedback : undefined,
    });
  }
}

/** The settled outcome, or undefined when the signal aborts first. */
async function untilAborted(
  answered: Promise<ApprovalOutcome>,
  signal: AbortSignal | undefined,
): Promise<ApprovalOutcome | undefined> {
  if (!signal) return answered;
  if (signal.aborted) return undefined;
  let onAbort = (): void => undefined;
  const aborted = new Promise<undefined>((resolve) => {
    onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([answered, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function refused(
  decidedBy: 'policy' | 'person',
  reason: string,
): Extract<CommandAuthorization, { allowed: false }> {
  return { allowed: false, decidedBy, reason };
}

function whyAsked(decision: PolicyDecision): string {
  if (decision.metacharacter) {
    return (
      `Asked because the command contains ${decision.metacharacter}: commands that chain, pipe, ` +
      'redirect or substitute are always asked unless this exact command was allowed.'
    );
  }
  if (decision.rule) {
    return (
      `Asked because of the rule \`${decision.rule.pattern}\` (ask); an answer for this ` +
      'session or always will not stop it being asked.'
    );
  }
  return 'No rule allows this command yet.';
}

function shorten(command: string): string {
  const oneLine = command.replace(/\s+/g, ' ');
  return oneLine.length <= TITLE_COMMAND_LENGTH
    ? oneLine
    : `${oneLine.slice(0, TITLE_COMMAND_LENGTH - 1)}…`;
}
