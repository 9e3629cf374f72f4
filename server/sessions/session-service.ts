import { type ApprovalBroker, type ApprovalOutcome, outcomeOf } from '../approvals/approval-broker';
import type { ChatModel, ModelUsage } from '../chat/model';
import type { TandemConfig } from '../config';
import type { FlowForge, ResolvedReference } from '../forge/forge';
import { FlowError, type Flow, type FlowContext, type FlowResult } from '../flows/flow';
import type { FlowRegistry } from '../flows/flow-registry';
import type { Logger } from '../logger';
import type {
  FlowId,
  SessionCancelResult,
  SessionRestoreResult,
  SessionSnapshot,
  Trigger,
} from '../protocol';
import type { TelemetryStore } from '../telemetry/telemetry-store';
import { storageProblem } from '../store/database';
import type { SessionStore, StoredCheckpoint } from './session-store';
import {
  type AgentState,
  type CurrentStep,
  emptyState,
  isPlainData,
  type JournalEntry,
  type SessionState,
} from './session-state';
import { WorktreeCheckpoints } from '../../sandbox/checkpoints';
import { resolveLexically } from '../../sandbox/workspace-path';
import type { CommandGate } from '../../sandbox/policy/command-gate';
import type { ExecOptions, Sandbox, SandboxProvider } from '../../sandbox/sandbox';
import { ensureRevision } from '../../sandbox/git';

/** A progress bar in the editor (LSP work-done progress), or nothing when the client has none. */
export interface ProgressHandle {
  report(message: string): void;
  done(): void;
}

export interface SessionServiceDeps {
  store: SessionStore;
  flows: FlowRegistry;
  telemetry: TelemetryStore;
  logger: Logger;
  /** Publishes a snapshot (`tandem/session/status`). */
  publish(snapshot: SessionSnapshot): void;
  /** Starts a progress bar without waiting for the editor; reports before it shows are kept. */
  beginProgress(title: string): ProgressHandle;
  /** The world as configured when a session starts running; forge and model may throw. */
  config(): TandemConfig;
  forge(): FlowForge;
  model(): ChatModel;
  /** Where sessions' sandboxes come from; throws with what to do when none can be made. */
  sandboxes(): SandboxProvider;
  workspaceFolder(): string | undefined;
  commandGate(): CommandGate;
  /** Asks the person whether an interrupted session may resume. */
  approvals(): ApprovalBroker;
}

/** What a running session is doing, for the watchdog's reason when it stops making progress. */
type Activity = 'starting' | 'step' | 'model' | 'command';

/** A session this server is running. */
interface Running {
  controller: AbortController;
  /** What the next checkpoint records. */
  state: SessionState;
  /** Steps a run before an interruption finished: replayed, not run again. */
  journal: JournalEntry[];
  /** The position of the flow's next step. */
  position: number;
  /** The step in progress at the interruption; it continues from its conversation. */
  interrupted?: CurrentStep;
  /** The agent conversation the interrupted step continues from; taken once. */
  resumeAgent?: AgentState;
  /** The worktree the session resumes from, put back once the sandbox is there. */
  resumeWorktree?: string;
  worktree?: WorktreeCheckpoints;
  /** The commit of the newest worktree checkpoint. */
  lastWorktree?: string;
  /** Time spent checkpointing in the current step. */
  stepCheckpointMs: number;
  /**
   * What changed in the worktree since its last snapshot: nothing, the files tools wrote (only
   * they are read again), or anything, after a command ran.
   */
  dirty: boolean | Set<string>;
  activity: { at: number; what: Activity };
}

export interface StartSession {
  flow: FlowId;
  reference: ResolvedReference;
  trigger: Trigger;
  conversationId?: string;
}

/**
 * Runs flows as background sessions, a few at a time (`tandem.sessions.maxConcurrent`), the rest
 * queued. Every status change is persisted with its event and published as a whole snapshot.
 */
export class SessionService {
  private readonly queue: string[] = [];
  private readonly running = new Map<string, Running>();
  /** Each running session's run, until it has let go of everything (its sandbox too). */
  private readonly runs = new Map<string, Promise<void>>();
  private readonly references = new Map<string, ResolvedReference>();
  private readonly idle: (() => void)[] = [];
  private readonly sandboxes = new Map<string, Promise<Sandbox>>();
  /** Where queued sessions resume from (their last checkpoint). */
  private readonly resumeFrom = new Map<string, StoredCheckpoint | undefined>();
  /** Sessions whose resume question is open, each with the question's token. */
  private readonly askingResume = new Map<string, symbol>();
  private watchdog?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly deps: SessionServiceDeps) {
    this.watch();
  }

  start(input: StartSession): SessionSnapshot {
    const flow = this.deps.flows.get(input.flow);
    if (!flow) throw new FlowError(`The ${input.flow} flow is not available in this build.`);
    const snapshot = this.deps.store.create({
      flow: input.flow,
      title: `${flow.name}: ${input.reference.label}`,
      reference: {
        kind: input.reference.kind,
        url: input.reference.url,
        label: input.reference.label,
      },
      trigger: input.trigger,
      conversationId: input.conversationId,
      resolved: input.reference,
    });
    this.references.set(snapshot.sessionId, input.reference);
    this.deps.telemetry.record({
      type: 'flow_started',
      flow: input.flow,
      trigger: input.trigger,
      sessionId: snapshot.sessionId,
    });
    this.deps.publish(snapshot);
    this.queue.push(snapshot.sessionId);
    this.pump();
    return snapshot;
  }

  cancel(sessionId: string): SessionCancelResult {
    const current = this.deps.store.find(sessionId);
    if (!current) throw new FlowError(`Unknown session ${sessionId}.`);
    if (!this.deps.store.isActive(sessionId)) {
      return { sessionId, cancelled: false, status: current.status };
    }
    this.running.get(sessionId)?.controller.abort(new Error('cancelled'));
    const index = this.queue.indexOf(sessionId);
    if (index >= 0) this.queue.splice(index, 1);
    this.askingResume.delete(sessionId);
    this.finish(sessionId, { status: 'cancelled', step: null }, 'Cancelled');
    return { sessionId, cancelled: true, status: 'cancelled' };
  }

  /**
   * Stops every session (server shutdown): they become `interrupted`, their worktrees kept, and
   * resume when a server starts again.
   */
  stopAll(): void {
    this.stopped = true;
    clearTimeout(this.watchdog);
    this.queue.length = 0;
    for (const snapshot of this.deps.store.interruptOwnUnfinished()) this.deps.publish(snapshot);
    for (const running of this.running.values()) running.controller.abort(new Error('shutdown'));
  }

  /**
   * Resumes this server's interrupted sessions from their last checkpoint: on its own when no
   * step was in progress or the step is idempotent, else once the person approves (an approval
   * of kind `tool`; one asked before a restart is the same question).
   */
  resumeInterrupted(): void {
    if (this.stopped) return;
    for (const snapshot of this.deps.store.interruptedOwned()) {
      try {
        this.offerResume(snapshot, false);
      } catch (error) {
        this.deps.logger.error(
          `Resuming session ${snapshot.sessionId} failed: ${(error as Error).message}`,
        );
      }
    }
  }

  /**
   * Puts a session that is not running back at one of its checkpoints: its worktree (added
   * again if the session had ended) and its state. What it was before is checkpointed first, so
   * restoring that checkpoint undoes this. The session is then `interrupted`, and the person is
   * asked whether it resumes from there.
   */
  async restore(sessionId: string, ordinal: number): Promise<SessionRestoreResult> {
    const { store } = this.deps;
    const session = store.find(sessionId);
    if (!session) throw new FlowError(`Unknown session ${sessionId}.`);
    if (['queued', 'running', 'awaiting_approval'].includes(session.status)) {
      throw new FlowError(
        `Session ${sessionId} is ${session.status.replace('_', ' ')}: cancel it first, then restore a checkpoint.`,
      );
    }
    // A session whose end is recorded may still be letting go of its sandbox.
    const unwinding = this.runs.get(sessionId);
    if (unwinding) {
      const settled = await Promise.race([
        unwinding.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), UNWIND_WAIT_MS).unref()),
      ]);
      if (!settled) {
        throw new FlowError(
          `Session ${sessionId} is still stopping (its sandbox is being removed): try again in a moment.`,
        );
      }
    }
    const target = store.findCheckpoint(sessionId, ordinal);
    if (!target) {
      throw new FlowError(
        `Session ${sessionId} has no checkpoint ${ordinal}: tandem/session/get lists its checkpoints.`,
      );
    }
    const index = this.queue.indexOf(sessionId);
    if (index >= 0) this.queue.splice(index, 1);
    this.resumeFrom.delete(sessionId);
    // The open question asked about the state being replaced; a new one follows.
    this.askingResume.delete(sessionId);
    this.deps
      .approvals()
      .withdrawSession(sessionId, 'A checkpoint was restored; the session asks again.');
    const commit = target.worktree ?? store.firstWorktree(sessionId);
    let worktree: { undo?: string; restored?: string } = {};
    if (commit) {
      const workspaceFolder = this.deps.workspaceFolder();
      if (!workspaceFolder) {
        throw new FlowError(
          'No workspace folder is open: the session’s worktree belongs to the project, so open its folder in the editor.',
        );
      }
      const path = await this.deps
        .sandboxes()
        .worktree({ sessionId, flow: session.flow, workspaceFolder });
      const checkpoints = new WorktreeCheckpoints(path, sessionId);
      try {
        const { undo } = await checkpoints.restore(commit);
        worktree = { undo: undo.id, restored: commit };
      } finally {
        checkpoints.close();
      }
    }
    const restored = store.restore(sessionId, target, worktree);
    this.deps.publish(restored.snapshot);
    this.offerResume(restored.snapshot, true);
    return {
      sessionId,
      status: restored.snapshot.status,
      checkpointId: String(restored.restored),
      undoCheckpointId: String(restored.undo),
    };
  }

  /** Resolves when no session is running or queued (tests, benchmarks, shutdown). */
  whenIdle(): Promise<void> {
    if (this.running.size === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private pump(): void {
    const limit = Math.max(1, this.deps.config().sessions.maxConcurrent);
    while (this.running.size < limit && this.queue.length > 0) {
      const id = this.queue.shift() as string;
      const running = newRunning(this.resumeFrom.get(id));
      this.resumeFrom.delete(id);
      this.running.set(id, running);
      const run = this.run(id, running).finally(() => {
        running.worktree?.close();
        this.running.delete(id);
        this.runs.delete(id);
        this.references.delete(id);
        this.pump();
        if (this.running.size === 0 && this.queue.length === 0) {
          for (const resolve of this.idle.splice(0)) resolve();
        }
      });
      this.runs.set(id, run);
    }
  }

  private async run(id: string, running: Running): Promise<void> {
    const snapshot = this.deps.store.snapshot(id);
    const flow = this.deps.flows.get(snapshot.flow) as Flow;
    const progress = this.deps.beginProgress(snapshot.title);
    const resuming = snapshot.status === 'interrupted';
    try {
      if (!this.deps.store.isActive(id)) return;
      if (!this.references.has(id)) {
        this.references.set(id, this.deps.store.resolvedReference(id) as ResolvedReference);
      }
      const at = running.interrupted ? ` at step ${running.interrupted.name}` : '';
      this.change(id, { status: 'running', error: null }, resuming ? `Resuming${at}` : 'Running');
      const result = await flow.run(this.context(id, running, progress));
      if (this.stopped || !this.deps.store.isActive(id)) return;
      this.finishSurely(id, { status: 'completed', result, step: null }, result.summary);
    } catch (error) {
      if (this.stopped || !this.isActiveOrUnknown(id)) return;
      const message = describeFailure(error);
      if (!(error instanceof FlowError) && !storageProblem(error))
        this.deps.logger.error(`Session ${id} failed: ${(error as Error).stack}`);
      this.finishSurely(id, { status: 'failed', error: message, step: null }, message);
    } finally {
      progress.done();
      // A server that stops keeps the worktree of what it interrupted, to resume from.
      if (this.stopped) this.sandboxes.delete(id);
      else await this.disposeSandbox(id);
    }
  }

  /**
   * Resumes at once when that needs no one's say, else asks. `ask` asks in every case (after a
   * restore the person picks the moment).
   */
  private offerResume(snapshot: SessionSnapshot, ask: boolean): void {
    const id = snapshot.sessionId;
    if (this.running.has(id) || this.queue.includes(id) || this.askingResume.has(id)) return;
    const { store } = this.deps;
    if (store.resolvedReference(id) === undefined) {
      this.finish(
        id,
        { status: 'failed', step: null, error: RESUME_UNSUPPORTED },
        RESUME_UNSUPPORTED,
      );
      return;
    }
    const point = store.lastCheckpoint(id);
    const current = point?.state.current;
    if (!ask && (!current || current.idempotent)) {
      store.event(
        id,
        'resume',
        current
          ? `Resuming on its own: step ${current.name} is safe to run again`
          : 'Resuming on its own: no step was in progress',
      );
      this.enqueueResume(id, point);
      return;
    }
    const broker = this.deps.approvals();
    const token = Symbol(id);
    this.askingResume.set(id, token);
    const where = current
      ? `from step ${current.name}`
      : point?.state.steps.length
        ? `after step ${point.state.steps.at(-1)?.name}`
        : 'from the start';
    const settle = (outcome: ApprovalOutcome) => {
      broker.markUsed(outcome.approvalId);
      if (this.askingResume.get(id) !== token) return;
      this.askingResume.delete(id);
      if (this.stopped || store.find(id)?.status !== 'interrupted') return;
      if (outcome.decision === 'approve') {
        store.event(id, 'resume', `Resuming ${where}, as approved`);
        this.enqueueResume(id, store.lastCheckpoint(id));
      } else {
        const why = outcome.feedback || outcome.reason || 'the person declined';
        this.finish(id, { status: 'cancelled', step: null }, `Not resumed: ${why}`);
      }
    };
    const earlier = broker.unused('tool', id, (c) => c.resume === true);
    if (earlier?.status === 'resolved') {
      settle(outcomeOf(earlier));
      return;
    }
    const question =
      earlier?.request ??
      broker.request({
        kind: 'tool',
        title: `Resume session “${snapshot.title}” ${where}?`,
        sessionId: id,
        conversationId: snapshot.conversationId,
        details: point
          ? `The session stopped at checkpoint ${point.ordinal} (${point.label}). Resuming continues from there, with its worktree and conversation as they were${current ? `; the work of step ${current.name} after that checkpoint is done again` : ''}. Deny to leave it stopped.`
          : 'The session stopped before its first step. Resuming starts it. Deny to leave it stopped.',
        context: { sessionId: id, resume: true, checkpoint: point?.ordinal ?? null },
      });
    void broker.waitFor(question.approvalId).then(settle);
  }

  private enqueueResume(id: string, point: StoredCheckpoint | undefined): void {
    this.resumeFrom.set(id, point);
    this.queue.push(id);
    this.pump();
  }

  /** Fails running sessions that made no progress for `tandem.sessions.stuckMinutes`. */
  private watch(): void {
    const limitMs = () => this.deps.config().sessions.stuckMinutes * 60_000;
    const tick = () => {
      const now = performance.now();
      for (const [id, running] of this.running) {
        try {
          const status = this.deps.store.find(id)?.status;
          // Waiting for the person is not being stuck: the clock starts when they answer.
          if (status !== 'running') running.activity.at = now;
          else if (now - running.activity.at > limitMs()) this.failStuck(id, running);
        } catch (error) {
          this.deps.logger.warn(`Watching session ${id}: ${(error as Error).message}`);
        }
      }
      schedule();
    };
    const schedule = () => {
      this.watchdog = setTimeout(tick, Math.max(100, Math.min(5_000, limitMs() / 4)));
      this.watchdog.unref();
    };
    schedule();
  }

  private failStuck(id: string, running: Running): void {
    const minutes = this.deps.config().sessions.stuckMinutes;
    const span =
      minutes >= 1 ? `${Math.round(minutes)} minutes` : `${Math.round(minutes * 60)} seconds`;
    const step = this.deps.store.find(id)?.step;
    const reason =
      running.activity.what === 'model'
        ? `Stuck: the model sent nothing for ${span} (model unresponsive), so the session was stopped. Check that ${this.deps.config().model.baseUrl} is up, or raise tandem.sessions.stuckMinutes for a slow model.`
        : running.activity.what === 'command'
          ? `Stuck: a command in the sandbox printed nothing for ${span} (container hung), so the session was stopped and the command killed. Its events show which; raise tandem.sessions.stuckMinutes for long silent commands.`
          : `Stuck: no progress for ${span}${step ? ` in step ${step}` : ''}, so the session was stopped.`;
    this.deps.logger.warn(`Session ${id}: ${reason}`);
    running.controller.abort(new Error(reason));
    this.finishSurely(id, { status: 'failed', error: reason, step: null }, reason);
  }

  private async disposeSandbox(id: string): Promise<void> {
    const sandbox = this.sandboxes.get(id);
    this.sandboxes.delete(id);
    await sandbox
      ?.then((s) => s.dispose())
      .catch((error) =>
        this.deps.logger.warn(`Sandbox of session ${id}: ${(error as Error).message}`),
      );
  }

  private prepareSandbox(
    id: string,
    running: Running,
    progress: ProgressHandle,
    options: { ref?: string; fetchFrom?: string } = {},
  ): Promise<Sandbox> {
    const { ref, fetchFrom } = options;
    let prepared = this.sandboxes.get(id);
    if (!prepared) {
      const snapshot = this.deps.store.snapshot(id);
      const workspaceFolder = this.deps.workspaceFolder();
      const fetched =
        workspaceFolder && ref && fetchFrom
          ? ensureRevision({
              repo: workspaceFolder,
              revision: ref,
              remoteUrl: fetchFrom,
              token: this.deps.config().gitlab.token,
            })
          : Promise.resolve();
      prepared = workspaceFolder
        ? fetched.then(() =>
            this.deps.sandboxes().prepare({
              sessionId: id,
              flow: snapshot.flow,
              workspaceFolder,
              ref,
              onProgress: (message) => {
                progress.report(message);
                if (this.deps.store.isActive(id)) this.deps.store.event(id, 'sandbox', message);
              },
            }),
          )
        : Promise.reject(
            new FlowError(
              'No workspace folder is open: flows work on a git worktree of the project, so open its folder in the editor.',
            ),
          );
      prepared = prepared.then((sandbox) => this.checkpointsFor(id, running, sandbox));
      this.sandboxes.set(id, prepared);
    }
    return prepared;
  }

  /**
   * Starts the worktree's checkpoints once the sandbox is there. A resumed session's worktree is
   * put back to its last checkpoint first (what the interruption left is checkpointed too).
   */
  private async checkpointsFor(id: string, running: Running, sandbox: Sandbox): Promise<Sandbox> {
    const checkpoints = new WorktreeCheckpoints(sandbox.worktree, id);
    const target = running.resumeWorktree;
    running.resumeWorktree = undefined;
    if (target) {
      const found = await checkpoints.snapshot('found at resume');
      if (found.id !== target) {
        await checkpoints.restore(target);
        this.deps.store.event(
          id,
          'restore',
          `Put the worktree back to its last checkpoint (${target.slice(0, 8)}); what the interruption left is kept as ${found.id.slice(0, 8)}`,
        );
      }
    }
    running.worktree?.close();
    running.worktree = checkpoints;
    if (!target) {
      // A worktree just made is its starting commit: that is its first checkpoint.
      const started = performance.now();
      running.lastWorktree = (await checkpoints.base('worktree created')).id;
      running.dirty = false;
      running.stepCheckpointMs += performance.now() - started;
    }
    return sandbox;
  }

  /** Snapshots the worktree (when the session has one); a failure is logged, never fatal. */
  private async snapshotWorktree(
    id: string,
    running: Running,
    label: string,
  ): Promise<string | undefined> {
    if (!running.worktree) return running.lastWorktree;
    // Nothing ran in the sandbox and no file was written: the worktree is as last snapshotted.
    const dirty = running.dirty;
    if (!dirty && running.lastWorktree) return running.lastWorktree;
    running.dirty = false;
    try {
      const files = dirty instanceof Set ? [...dirty] : undefined;
      running.lastWorktree = (await running.worktree.snapshot(label, { files })).id;
    } catch (error) {
      running.dirty = true;
      this.deps.store.event(
        id,
        'checkpoint_failed',
        `The worktree could not be checkpointed: ${(error as Error).message}`,
      );
    }
    return running.lastWorktree;
  }

  private stateOf(id: string, running: Running): SessionState {
    return { ...running.state, budgets: this.deps.store.budgets(id) };
  }

  /** Token and time budgets per session (`tandem.flows.maxTokens`, `maxMinutes`). */
  private checkBudget(id: string): void {
    const { flows } = this.deps.config();
    const details = this.deps.store.details(id, 0);
    if (!details) return;
    const tokens = details.metrics.promptTokens + details.metrics.completionTokens;
    if (tokens > flows.maxTokens) {
      throw new FlowError(
        `The session used ${tokens} tokens, over its budget of ${flows.maxTokens} (tandem.flows.maxTokens).`,
      );
    }
    const minutes = (details.metrics.durationMs ?? 0) / 60_000;
    if (minutes > flows.maxMinutes) {
      throw new FlowError(
        `The session ran ${Math.round(minutes)} minutes, over its budget of ${flows.maxMinutes} (tandem.flows.maxMinutes).`,
      );
    }
  }

  private async authorizeCommand(
    id: string,
    signal: AbortSignal,
    command: string,
    cwd: string,
    title?: string,
  ) {
    const snapshot = this.deps.store.snapshot(id);
    let waitingSince = 0;
    const result = await this.deps.commandGate().authorize({
      command,
      cwd,
      title,
      sessionId: id,
      project: policyProject(this.references.get(id) as ResolvedReference),
      conversationId: snapshot.conversationId,
      signal,
      onWaiting: () => {
        waitingSince = performance.now();
        const what = title ?? `\`${command}\``;
        this.change(id, { status: 'awaiting_approval' }, `Waiting for approval: ${what}`);
      },
      onResolved: () => {
        this.deps.store.addTiming(id, { approvalWaitMs: performance.now() - waitingSince });
        if (this.deps.store.snapshot(id).status === 'awaiting_approval') {
          this.change(id, { status: 'running' }, 'Approval answered');
        }
      },
    });
    this.deps.store.event(
      id,
      'command_authorization',
      `${result.allowed ? 'Allowed' : 'Refused'}: ${command}`,
      {
        decidedBy: result.decidedBy,
      },
    );
    return result.allowed
      ? { allowed: true as const }
      : { allowed: false as const, reason: result.reason, feedback: result.feedback };
  }

  private context(id: string, running: Running, progress: ProgressHandle): FlowContext {
    const store = this.deps.store;
    const deps = this.deps;
    const signal = running.controller.signal;
    const touch = (what?: Activity) => {
      running.activity.at = performance.now();
      if (what) running.activity.what = what;
    };
    return {
      sessionId: id,
      reference: this.references.get(id) as ResolvedReference,
      signal,
      // Looked up on use: a flow that never calls the model needs no model configured.
      get forge() {
        return deps.forge();
      },
      get model() {
        return observedModel(deps.model(), touch);
      },
      config: this.deps.config(),
      logger: this.deps.logger,
      event: (type, message, data) => {
        touch();
        if (store.isActive(id)) store.event(id, type, message, data);
      },
      sandbox: (options) =>
        this.prepareSandbox(id, running, progress, options).then((s) =>
          observedSandbox(s, store, id, touch, (file) => {
            if (file === undefined || running.dirty === true) running.dirty = true;
            else running.dirty = (running.dirty || new Set<string>()).add(file);
          }),
        ),
      timing: ({ checkpointMs, ...timing }) => {
        // Counted per step, and written with the step's end.
        if (checkpointMs) running.stepCheckpointMs += checkpointMs;
        if (Object.keys(timing).length > 0) store.addTiming(id, timing);
      },
      checkBudget: () => this.checkBudget(id),
      authorizeCommand: (command, cwd, options) =>
        this.authorizeCommand(id, signal, command, cwd, options?.title),
      modelUsage: (usage: ModelUsage) => {
        store.addUsage(id, usage.promptTokens, usage.completionTokens);
        this.deps.telemetry.record({ type: 'model_usage', sessionId: id, ...usage });
      },
      step: async <T>(
        name: string,
        run: () => Promise<T>,
        options: { idempotent?: boolean } = {},
      ): Promise<T> => {
        signal.throwIfAborted();
        touch('step');
        const position = running.position++;
        const recorded = running.journal[position];
        // A flow that takes another path than before replays nothing from here on.
        if (recorded && recorded.name !== name) running.journal.length = position;
        else if (recorded?.replayable) {
          running.state.steps.push(recorded);
          store.event(id, 'step_replayed', `Step ${name}: done before the interruption`, {
            step: name,
          });
          return recorded.result as T;
        }
        if (position === running.journal.length && running.interrupted?.name === name) {
          running.resumeAgent = running.interrupted.agent;
          running.interrupted = undefined;
        }
        running.state.current = { name, idempotent: options.idempotent === true };
        const stepStarted = performance.now();
        // What checkpointing costs in this step: its share of the step's time is benchmarked.
        running.stepCheckpointMs = 0;
        timed(running, () =>
          store.startStep(id, name, {
            kind: 'step_started',
            label: `Step ${name} started`,
            step: name,
            state: this.stateOf(id, running),
            worktree: running.lastWorktree,
          }),
        );
        this.change(id, { step: name }, `Step ${name}`);
        progress.report(name.replace(/_/g, ' '));
        try {
          const value = await run();
          const replayable = isPlainData(value);
          running.state.steps.push({ name, replayable, result: replayable ? value : undefined });
          running.state.current = undefined;
          running.resumeAgent = undefined;
          const ending = performance.now();
          const worktree = await this.snapshotWorktree(id, running, `after step ${name}`);
          const state = this.stateOf(id, running);
          running.stepCheckpointMs += performance.now() - ending;
          const written = performance.now();
          store.endStep(
            id,
            name,
            'completed',
            { kind: 'step', label: `After step ${name}`, step: name, state, worktree },
            {
              ms: Math.round((written - stepStarted) * 100) / 100,
              checkpointMs: Math.round(running.stepCheckpointMs * 100) / 100,
            },
          );
          store.addTiming(id, {
            checkpointMs: running.stepCheckpointMs + (performance.now() - written),
          });
          touch('step');
          return value;
        } catch (error) {
          store.endStep(id, name, 'failed');
          throw error;
        }
      },
      checkpoint: async (event, agent, options) => {
        touch();
        const current: CurrentStep = running.state.current ?? { name: 'agent', idempotent: false };
        running.state.current = { ...current, agent };
        // The agent loop counts the time it waits for this (it overlaps the model's answer).
        const worktree = options.worktree
          ? await this.snapshotWorktree(id, running, event.message)
          : running.lastWorktree;
        if (!store.isActive(id)) return;
        store.checkpoint(id, event, {
          kind: options.kind,
          label: event.message,
          step: current.name,
          state: this.stateOf(id, running),
          worktree,
        });
      },
      resumeConversation: () => {
        const agent = running.resumeAgent;
        running.resumeAgent = undefined;
        return agent;
      },
    };
  }

  private change(id: string, change: Parameters<SessionStore['update']>[1], message: string): void {
    this.deps.publish(this.deps.store.update(id, change, message));
  }

  /**
   * Records a session's end; when the store cannot take it (locked by another process, disk
   * full), tries again every few seconds until it can, so the session never stays `running`.
   */
  private finishSurely(
    id: string,
    change: Parameters<SessionStore['update']>[1],
    message: string,
  ): void {
    try {
      this.finish(id, change, message);
    } catch (error) {
      if (this.stopped) return;
      this.deps.logger.error(
        `Session ${id}: its end could not be recorded (${(error as Error).message}); trying again in ${FINISH_RETRY_MS / 1000} s.`,
      );
      setTimeout(() => {
        if (this.isActiveOrUnknown(id)) this.finishSurely(id, change, message);
      }, FINISH_RETRY_MS).unref();
    }
  }

  /** Whether the session may still change; true too when the store cannot be read right now. */
  private isActiveOrUnknown(id: string): boolean {
    try {
      return this.deps.store.isActive(id);
    } catch {
      return true;
    }
  }

  private finish(id: string, change: Parameters<SessionStore['update']>[1], message: string): void {
    const snapshot = this.deps.store.update(id, change, message);
    this.deps.publish(snapshot);
    this.recordFinished(snapshot);
    this.deps.approvals().withdrawSession(id, `The session ended (${snapshot.status}).`);
  }

  /** Records a finished session's telemetry (also for sessions a stopped server left behind). */
  recordFinished(snapshot: SessionSnapshot): void {
    const details = this.deps.store.details(snapshot.sessionId, 0);
    this.deps.telemetry.record({
      type: 'session_finished',
      flow: snapshot.flow,
      trigger: snapshot.trigger,
      sessionId: snapshot.sessionId,
      status: snapshot.status,
      durationMs: details?.metrics.durationMs ?? 0,
      promptTokens: details?.metrics.promptTokens ?? 0,
      completionTokens: details?.metrics.completionTokens ?? 0,
    });
  }
}

/** Policy rules are kept per GitLab project, or per workspace for local work. */
function policyProject(reference: ResolvedReference): string {
  return reference.local ? `local:${reference.local.workspaceFolder}` : reference.projectPath;
}

/** Counts the time commands run in the session's sandbox; their output counts as progress. */
function observedSandbox(
  sandbox: Sandbox,
  store: SessionStore,
  id: string,
  touch: (what?: Activity) => void,
  changing: (file?: string) => void,
): Sandbox {
  return new Proxy(sandbox, {
    get(target, property, receiver) {
      if (property === 'writeFile') {
        return (file: string, content: string) => {
          // The file as the worktree has it; a path that is not one is checked by the write.
          let relative: string | undefined;
          try {
            relative = resolveLexically(target, file).relative;
          } catch {
            relative = undefined;
          }
          changing(relative);
          return target.writeFile(file, content);
        };
      }
      if (property !== 'exec') return Reflect.get(target, property, receiver);
      return async (command: string, options: ExecOptions = {}) => {
        const started = performance.now();
        changing();
        touch('command');
        try {
          return await target.exec(command, {
            ...options,
            onOutput: (chunk, stream) => {
              touch();
              options.onOutput?.(chunk, stream);
            },
          });
        } finally {
          touch('step');
          if (store.isActive(id)) store.addTiming(id, { execMs: performance.now() - started });
        }
      };
    },
  });
}

/** A model whose calls tell the watchdog the session waits for the model. */
function observedModel(model: ChatModel, touch: (what?: Activity) => void): ChatModel {
  return new Proxy(model, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property !== 'complete' || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        touch('model');
        try {
          return await value.apply(target, args);
        } finally {
          touch('step');
        }
      };
    },
  });
}

function newRunning(point: StoredCheckpoint | undefined): Running {
  return {
    controller: new AbortController(),
    // Budgets come from the session's row whenever a checkpoint is written.
    state: emptyState(),
    journal: point ? [...point.state.steps] : [],
    position: 0,
    interrupted: point?.state.current,
    resumeWorktree: point?.worktree,
    lastWorktree: point?.worktree,
    activity: { at: performance.now(), what: 'starting' },
    stepCheckpointMs: 0,
    dirty: true,
  };
}

/** Runs a checkpoint write, counting its time against the step. */
function timed<T>(running: Running, write: () => T): T {
  const started = performance.now();
  try {
    return write();
  } finally {
    running.stepCheckpointMs += performance.now() - started;
  }
}

const RESUME_UNSUPPORTED =
  'This session was started by an earlier version of tandem, which kept too little to resume it: start the flow again.';

/** How long a restore waits for a session that has ended to let go of its sandbox. */
const UNWIND_WAIT_MS = 30_000;

/** How long a session's end waits before it is recorded again, when the store refused it. */
const FINISH_RETRY_MS = 2_000;

function describeFailure(error: unknown): string {
  if (error instanceof FlowError) return error.message;
  const storage = storageProblem(error);
  if (storage) {
    return `${storage}. Fix that, then restore the session's last checkpoint to carry on from there.`;
  }
  const e = error as Error & { name?: string };
  if (['ForgeError', 'ModelError', 'SandboxError'].includes(e?.name ?? '')) return e.message;
  return `Unexpected error: ${e?.message ?? String(error)} (details in the server log)`;
}

export type { FlowResult };
