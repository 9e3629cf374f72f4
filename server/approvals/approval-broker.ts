import { randomBytes } from 'node:crypto';
import type {
  ApprovalKind,
  ApprovalRequestedParams,
  ApprovalResolvedParams,
  ApprovalRespondParams,
  ApprovalRespondResult,
} from '../protocol';
import type { Logger } from '../logger';
import { nowIso } from '../store/database';
import type { ApprovalContext, ApprovalStore, Resolution, StoredApproval } from './approval-store';

/** Everything a caller says when asking; `context` stays on the server. */
export type ApprovalAsk = Omit<ApprovalRequestedParams, 'approvalId' | 'createdAt'> & {
  context?: ApprovalContext;
};

export interface ApprovalOutcome extends Resolution {
  approvalId: string;
  /** Who decided: the person, or policy for them (e.g. a client that cannot show approvals). */
  decidedBy: 'person' | 'policy';
  /** What the person answered, even when a guard then refused (for approval-rate telemetry). */
  answered?: ApprovalRespondParams['decision'];
  request: ApprovalRequestedParams;
  context: ApprovalContext;
  latencyMs: number;
}

/**
 * Checked when the person approves, before the approval counts; answers a reason to refuse
 * (for a flow: the access level on the project at that moment), or undefined to let it through.
 */
export type ApprovalGuard = (approval: StoredApproval) => Promise<string | undefined>;

export interface ApprovalSink {
  requested(params: ApprovalRequestedParams): void;
  resolved(params: ApprovalResolvedParams): void;
}

/** A respond call that cannot be honoured; the message says why. */
export class ApprovalError extends Error {}

/**
 * Asks the person and settles each approval exactly once. Ids are 128-bit random, so an
 * approval cannot be answered by guessing; the first valid answer wins and is persisted before
 * anyone hears of it.
 */
export class ApprovalBroker {
  private readonly deciding = new Set<string>();
  private readonly guards = new Map<ApprovalKind, ApprovalGuard>();
  private readonly listeners: ((outcome: ApprovalOutcome) => void)[] = [];
  private readonly waiters = new Map<string, ((outcome: ApprovalOutcome) => void)[]>();

  constructor(
    private readonly store: ApprovalStore,
    private readonly sink: ApprovalSink,
    private readonly logger: Logger,
  ) {}

  setGuard(kind: ApprovalKind, guard: ApprovalGuard): void {
    this.guards.set(kind, guard);
  }

  onResolved(listener: (outcome: ApprovalOutcome) => void): void {
    this.listeners.push(listener);
  }

  request(ask: ApprovalAsk): ApprovalRequestedParams {
    const { context = {}, ...shown } = ask;
    const params: ApprovalRequestedParams = {
      ...shown,
      approvalId: randomBytes(16).toString('base64url'),
      createdAt: nowIso(),
    };
    this.store.insert(params, context);
    this.sink.requested(params);
    return params;
  }

  /** Resolves when the approval is settled, however that happens. */
  waitFor(approvalId: string): Promise<ApprovalOutcome> {
    return new Promise((resolve) => {
      const list = this.waiters.get(approvalId) ?? [];
      list.push(resolve);
      this.waiters.set(approvalId, list);
    });
  }

  async respond(params: ApprovalRespondParams): Promise<ApprovalRespondResult> {
    const approval = this.store.find(params.approvalId);
    if (!approval) {
      throw new ApprovalError(`Unknown approval ${params.approvalId}: nothing was changed.`);
    }
    if (approval.status !== 'pending' || this.deciding.has(params.approvalId)) {
      throw new ApprovalError(
        `Approval ${params.approvalId} was already answered` +
          (approval.decision ? ` (${approval.decision})` : '') +
          ': the first answer stands.',
      );
    }
    this.deciding.add(params.approvalId);
    try {
      const reason = params.decision === 'approve' ? await this.checkGuard(approval) : undefined;
      const resolution: Resolution = reason
        ? { decision: 'deny', reason }
        : { decision: params.decision, scope: params.scope, feedback: params.feedback };
      this.settle(approval, resolution, { decidedBy: 'person', answered: params.decision });
      return {
        approvalId: params.approvalId,
        decision: resolution.decision,
        scope: resolution.scope,
      };
    } finally {
      this.deciding.delete(params.approvalId);
    }
  }

  /** Settles without the person: a policy decision, or a client that cannot show approvals. */
  decide(approvalId: string, resolution: Resolution): void {
    const approval = this.store.find(approvalId);
    if (approval?.status === 'pending' && !this.deciding.has(approvalId)) {
      this.settle(approval, resolution, { decidedBy: 'policy' });
    }
  }

  /** Pending approvals this server answers for (re-sent when a client attaches). */
  pending(): ApprovalRequestedParams[] {
    return this.store.pendingOwned().map((a) => a.request);
  }

  private async checkGuard(approval: StoredApproval): Promise<string | undefined> {
    const guard = this.guards.get(approval.request.kind);
    if (!guard) return undefined;
    try {
      return await guard(approval);
    } catch (error) {
      this.logger.error(`Approval check failed: ${(error as Error).message}`);
      return `The check before starting failed: ${(error as Error).message}`;
    }
  }

  /**
   * The question asked earlier for the same thing (before a restart) whose answer nobody used
   * yet: still pending, so it is waited for instead of asking again, or answered meanwhile.
   */
  unused(
    kind: ApprovalKind,
    sessionId: string,
    match: (context: ApprovalContext) => boolean,
  ): StoredApproval | undefined {
    return this.store.unused(kind, sessionId).find((a) => match(a.context));
  }

  /** The answer reached whoever asked: it will not be offered again by `unused`. */
  markUsed(approvalId: string): void {
    this.store.markUsed(approvalId);
  }

  /** Answers `deny` for a session's open questions, e.g. when it ends; they can no longer matter. */
  withdrawSession(sessionId: string, reason: string): void {
    for (const approval of this.store.pendingOfSession(sessionId)) {
      this.decide(approval.request.approvalId, { decision: 'deny', reason });
      this.store.markUsed(approval.request.approvalId);
    }
  }

  /** Takes over approvals of servers that stopped; answers the ones taken over. */
  adoptOrphans(): ApprovalRequestedParams[] {
    return this.store.claimOrphans().map((a) => a.request);
  }

  private settle(
    approval: StoredApproval,
    resolution: Resolution,
    by: Pick<ApprovalOutcome, 'decidedBy' | 'answered'>,
  ): void {
    const id = approval.request.approvalId;
    if (!this.store.resolve(id, resolution)) {
      throw new ApprovalError(`Approval ${id} was already answered: the first answer stands.`);
    }
    this.sink.resolved({
      approvalId: id,
      decision: resolution.decision,
      scope: resolution.scope,
      reason: resolution.reason,
    });
    const outcome: ApprovalOutcome = {
      ...resolution,
      ...by,
      approvalId: id,
      request: approval.request,
      context: approval.context,
      latencyMs: Date.now() - Date.parse(approval.request.createdAt),
    };
    for (const listener of this.listeners) {
      try {
        listener(outcome);
      } catch (error) {
        this.logger.error(`Approval listener failed: ${(error as Error).message}`);
      }
    }
    for (const resolve of this.waiters.get(id) ?? []) resolve(outcome);
    this.waiters.delete(id);
  }
}

/** A decided approval as its listeners see it, rebuilt from the store. */
export function outcomeOf(approval: StoredApproval): ApprovalOutcome {
  return {
    approvalId: approval.request.approvalId,
    request: approval.request,
    context: approval.context,
    decision: approval.decision ?? 'deny',
    scope: approval.scope,
    reason: approval.reason,
    feedback: approval.feedback,
    decidedBy: 'person',
    latencyMs:
      Date.parse(approval.resolvedAt ?? approval.request.createdAt) -
      Date.parse(approval.request.createdAt),
  };
}
