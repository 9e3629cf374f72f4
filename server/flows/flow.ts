import type { ChatModel, ModelUsage } from '../chat/model';
import type { TandemConfig } from '../config';
import type { FlowForge, ResolvedReference } from '../forge/forge';
import type { Logger } from '../logger';
import type { FlowId, ReferenceKind, ResultLink } from '../protocol';
import type { Sandbox } from '../../sandbox/sandbox';
import type { AgentState } from '../sessions/session-state';
import type { SessionTiming } from '../sessions/session-store';

/** What a running flow can use; the outside world behind interfaces. */
export interface FlowContext {
  readonly sessionId: string;
  readonly reference: ResolvedReference;
  readonly signal: AbortSignal;
  readonly forge: FlowForge;
  readonly model: ChatModel;
  readonly config: TandemConfig;
  readonly logger: Logger;
  /**
   * Runs one named step: recorded as events, shown as the session's `step` and as progress, and
   * checkpointed when it ends. On resume, a step that finished before the interruption is not
   * run again: its result (when it is plain data) is replayed. `idempotent` steps (running them
   * again changes nothing beyond their first run) resume without asking the person.
   */
  step<T>(name: string, run: () => Promise<T>, options?: { idempotent?: boolean }): Promise<T>;
  /**
   * Checkpoints an agent step's conversation with the event that explains it (a model call, a
   * tool call), in one transaction; the worktree too when `worktree` (a tool that may write).
   */
  checkpoint(
    event: { type: string; message: string; data?: unknown },
    agent: AgentState,
    options: { kind: 'model' | 'tool'; worktree: boolean },
  ): Promise<void>;
  /** The conversation the interrupted step had when resuming into it; once, else undefined. */
  resumeConversation(): AgentState | undefined;
  /** Appends an event to the session's log. */
  event(type: string, message: string, data?: unknown): void;
  /** Records a model call's token usage against the session. */
  modelUsage(usage: ModelUsage): void;
  /** Adds time spent (model, tools) to the session's metrics. */
  timing(timing: SessionTiming): void;
  /** Throws a FlowError when the session has used up its token or time budget. */
  checkBudget(): void;
  /**
   * The session's sandbox: a worktree of the workspace on the session's branch in a dev
   * container, prepared on first use and disposed when the session ends.
   */
  sandbox(options?: {
    /** Commit or branch the worktree starts from; default the workspace's HEAD. */
    ref?: string;
    /** Fetch `ref` from this GitLab repository first when the workspace lacks it. */
    fetchFrom?: string;
  }): Promise<Sandbox>;
  /**
   * Asks whether a command may run: policy first, else the person (the session shows
   * `awaiting_approval` meanwhile). A refusal carries the reason and the person's feedback.
   */
  authorizeCommand(
    command: string,
    cwd: string,
    /** What the command is for, in words, as the approval's title; the command stays verbatim. */
    options?: { title?: string },
  ): Promise<{ allowed: true } | { allowed: false; reason: string; feedback?: string }>;
}

export interface FlowResult {
  summary: string;
  links: ResultLink[];
}

export interface Flow {
  readonly id: FlowId;
  readonly name: string;
  /** The kind of reference the flow works on. */
  readonly referenceKind: ReferenceKind;
  /** Minimum GitLab access level on the project, checked when the person approves. */
  readonly requiredAccess: number;
  readonly requiredAccessName: string;
  /** One line for the system prompt: when the chat should recommend this flow. */
  readonly recommendWhen: string;
  run(context: FlowContext): Promise<FlowResult>;
  /**
   * Reads `text` as local work on the workspace (no GitLab), or answers undefined when it is
   * not; flows without a local mode leave this out.
   */
  localReference?(text: string, workspaceFolder: string): Promise<ResolvedReference | undefined>;
}

/** For `FlowContext.step`: running the step again after an interruption changes nothing more. */
export const IDEMPOTENT = { idempotent: true } as const;

/** A failure the flow explains itself; its message is shown to the person as is. */
export class FlowError extends Error {}
