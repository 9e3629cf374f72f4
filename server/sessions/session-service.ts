import type { ChatModel, ModelUsage } from '../chat/model';
import type { TandemConfig } from '../config';
import type { FlowForge, ResolvedReference } from '../forge/forge';
import { FlowError, type Flow, type FlowContext, type FlowResult } from '../flows/flow';
import type { FlowRegistry } from '../flows/flow-registry';
import type { Logger } from '../logger';
import type { FlowId, SessionCancelResult, SessionSnapshot, Trigger } from '../protocol';
import type { TelemetryStore } from '../telemetry/telemetry-store';
import type { SessionStore } from './session-store';
import type { CommandGate } from '../../sandbox/policy/command-gate';
import type { Sandbox, SandboxProvider } from '../../sandbox/sandbox';
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
  private readonly running = new Map<string, AbortController>();
  private readonly references = new Map<string, ResolvedReference>();
  private readonly idle: (() => void)[] = [];
  private readonly sandboxes = new Map<string, Promise<Sandbox>>();
  private stopped = false;

  constructor(private readonly deps: SessionServiceDeps) {}

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
    this.running.get(sessionId)?.abort(new Error('cancelled'));
    const index = this.queue.indexOf(sessionId);
    if (index >= 0) this.queue.splice(index, 1);
    const snapshot = this.deps.store.update(
      sessionId,
      { status: 'cancelled', step: null },
      'Cancelled',
    );
    this.deps.publish(snapshot);
    this.recordFinished(snapshot);
    return { sessionId, cancelled: true, status: 'cancelled' };
  }

  /** Stops every session (server shutdown): they end `failed` with an "interrupted" error. */
  stopAll(): void {
    this.stopped = true;
    this.queue.length = 0;
    for (const snapshot of this.deps.store.failOwnUnfinished()) {
      this.deps.publish(snapshot);
      this.recordFinished(snapshot);
    }
    for (const controller of this.running.values()) controller.abort(new Error('shutdown'));
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
      const controller = new AbortController();
      this.running.set(id, controller);
      void this.run(id, controller).finally(() => {
        this.running.delete(id);
        this.references.delete(id);
        this.pump();
        if (this.running.size === 0 && this.queue.length === 0) {
          for (const resolve of this.idle.splice(0)) resolve();
        }
      });
    }
  }

  private async run(id: string, controller: AbortController): Promise<void> {
    const snapshot = this.deps.store.snapshot(id);
    const flow = this.deps.flows.get(snapshot.flow) as Flow;
    const progress = this.deps.beginProgress(snapshot.title);
    try {
      if (!this.deps.store.isActive(id)) return;
      this.change(id, { status: 'running' }, 'Running');
      const result = await flow.run(this.context(id, controller.signal, progress));
      if (this.stopped || !this.deps.store.isActive(id)) return;
      this.finish(id, { status: 'completed', result, step: null }, result.summary);
    } catch (error) {
      if (this.stopped || !this.deps.store.isActive(id)) return;
      const message = describeFailure(error);
      if (!(error instanceof FlowError))
        this.deps.logger.error(`Session ${id} failed: ${(error as Error).stack}`);
      this.finish(id, { status: 'failed', error: message, step: null }, message);
    } finally {
      progress.done();
      await this.disposeSandbox(id);
    }
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
      this.sandboxes.set(id, prepared);
    }
    return prepared;
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

  private context(id: string, signal: AbortSignal, progress: ProgressHandle): FlowContext {
    const store = this.deps.store;
    const deps = this.deps;
    return {
      sessionId: id,
      reference: this.references.get(id) as ResolvedReference,
      signal,
      // Looked up on use: a flow that never calls the model needs no model configured.
      get forge() {
        return deps.forge();
      },
      get model() {
        return deps.model();
      },
      config: this.deps.config(),
      logger: this.deps.logger,
      event: (type, message, data) => {
        if (store.isActive(id)) store.event(id, type, message, data);
      },
      sandbox: (options) =>
        this.prepareSandbox(id, progress, options).then((s) => timedSandbox(s, store, id)),
      timing: (timing) => store.addTiming(id, timing),
      checkBudget: () => this.checkBudget(id),
      authorizeCommand: (command, cwd, options) =>
        this.authorizeCommand(id, signal, command, cwd, options?.title),
      modelUsage: (usage: ModelUsage) => {
        store.addUsage(id, usage.promptTokens, usage.completionTokens);
        this.deps.telemetry.record({ type: 'model_usage', sessionId: id, ...usage });
      },
      step: async <T>(name: string, run: () => Promise<T>): Promise<T> => {
        signal.throwIfAborted();
        store.startStep(id, name);
        this.change(id, { step: name }, `Step ${name}`);
        progress.report(name.replace(/_/g, ' '));
        try {
          const value = await run();
          store.endStep(id, name, 'completed');
          return value;
        } catch (error) {
          store.endStep(id, name, 'failed');
          throw error;
        }
      },
    };
  }

  private change(id: string, change: Parameters<SessionStore['update']>[1], message: string): void {
    this.deps.publish(this.deps.store.update(id, change, message));
  }

  private finish(id: string, change: Parameters<SessionStore['update']>[1], message: string): void {
    const snapshot = this.deps.store.update(id, change, message);
    this.deps.publish(snapshot);
    this.recordFinished(snapshot);
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

/** Counts the time commands run in the session's sandbox. */
function timedSandbox(sandbox: Sandbox, store: SessionStore, id: string): Sandbox {
  return new Proxy(sandbox, {
    get(target, property, receiver) {
      if (property !== 'exec') return Reflect.get(target, property, receiver);
      return async (...args: Parameters<Sandbox['exec']>) => {
        const started = performance.now();
        try {
          return await target.exec(...args);
        } finally {
          if (store.isActive(id)) store.addTiming(id, { execMs: performance.now() - started });
        }
      };
    },
  });
}

function describeFailure(error: unknown): string {
  if (error instanceof FlowError) return error.message;
  const e = error as Error & { name?: string };
  if (['ForgeError', 'ModelError', 'SandboxError'].includes(e?.name ?? '')) return e.message;
  return `Unexpected error: ${e?.message ?? String(error)} (details in the server log)`;
}

export type { FlowResult };
