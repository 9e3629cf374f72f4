import { randomUUID } from 'node:crypto';
import type {
  FlowId,
  Reference,
  SessionEvent,
  SessionGetResult,
  SessionSnapshot,
  SessionStatus,
  SessionStep,
  Trigger,
} from '../protocol';
import { FINAL_STATUSES } from '../protocol';
import { type Db, nowIso } from '../store/database';
import type { SessionState } from './session-state';
import { eventWritten } from '../store/fault-injection';
import { isLiveOwner, ownerId } from '../store/owner';

interface SessionRow {
  id: string;
  flow: string;
  title: string;
  status: string;
  reference: string;
  trigger: string;
  conversation_id: string | null;
  started_at: string;
  updated_at: string;
  finished_at: string | null;
  step: string | null;
  result: string | null;
  error: string | null;
  seq: number;
  owner: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  model_calls: number;
  model_ms: number;
  tool_ms: number;
  tool_calls: number;
  exec_ms: number;
  approval_wait_ms: number;
  resolved_reference: string | null;
  checkpoint_ms: number;
}

interface CheckpointRow {
  session_id: string;
  ordinal: number;
  at: string;
  kind: string;
  label: string;
  step: string | null;
  state: string;
  worktree: string | null;
  event_id: number;
}

/** A checkpoint as the store keeps it: the session's state and its worktree's commit. */
export interface StoredCheckpoint {
  ordinal: number;
  at: string;
  kind: CheckpointKind;
  label: string;
  step?: string;
  state: SessionState;
  /** The worktree snapshot's commit, when the session had a worktree by then. */
  worktree?: string;
}

/**
 * Why a checkpoint was taken: a step started or ended, the model answered, a tool ran, or the
 * state was put back (`restore`) after keeping what it was (`undo`).
 */
export type CheckpointKind = 'step_started' | 'step' | 'model' | 'tool' | 'undo' | 'restore';

export interface NewCheckpoint {
  kind: CheckpointKind;
  label: string;
  step?: string;
  state: SessionState;
  worktree?: string;
}

/** Time a session spent, by kind; added up as it runs. */
export interface SessionTiming {
  modelMs?: number;
  toolMs?: number;
  toolCalls?: number;
  execMs?: number;
  approvalWaitMs?: number;
  checkpointMs?: number;
}

export interface NewSession {
  flow: FlowId;
  title: string;
  reference: Reference;
  trigger: Trigger;
  conversationId?: string;
  /** Everything the flow needs of its reference, kept so a resumed session has it. */
  resolved?: unknown;
}

/** What may change in a session; every change bumps `seq` and appends an event. */
export interface SessionChange {
  status?: SessionStatus;
  step?: string | null;
  result?: SessionSnapshot['result'] | null;
  error?: string | null;
}

/** How `queued → running ⇄ awaiting_approval → completed | failed | cancelled` may move. */
const TRANSITIONS: Record<SessionStatus, readonly SessionStatus[]> = {
  queued: ['running', 'cancelled', 'failed', 'interrupted'],
  running: ['awaiting_approval', 'completed', 'failed', 'cancelled', 'interrupted'],
  awaiting_approval: ['running', 'failed', 'cancelled', 'interrupted'],
  // A restore takes a finished session back to a checkpoint, from where it may resume.
  completed: ['interrupted'],
  failed: ['interrupted'],
  cancelled: ['interrupted'],
  interrupted: ['running', 'failed', 'cancelled'],
};

export const INTERRUPTED_ERROR = 'interrupted: the server stopped';

/**
 * Sessions, their append-only events and steps, in SQLite. Every change is one transaction:
 * the row, the new `seq` and the event that explains it land together or not at all.
 */
export class SessionStore {
  private readonly statements;

  constructor(private readonly db: Db) {
    this.statements = {
      get: db.prepare('SELECT * FROM sessions WHERE id = ?'),
      insertEvent: db.prepare(
        'INSERT INTO session_events (session_id, at, type, message, data) VALUES (?, ?, ?, ?, ?)',
      ),
      nextCheckpoint: db.prepare(
        'SELECT COALESCE(MAX(ordinal), 0) + 1 AS n FROM session_checkpoints WHERE session_id = ?',
      ),
      insertCheckpoint: db.prepare(
        `INSERT INTO session_checkpoints
           (session_id, ordinal, at, kind, label, step, state, worktree, event_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
    };
  }

  create(input: NewSession): SessionSnapshot {
    const id = randomUUID();
    const at = nowIso();
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO sessions (id, flow, title, status, reference, trigger, conversation_id,
             started_at, updated_at, seq, owner, resolved_reference)
           VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, 1, ?, ?)`,
        )
        .run(
          id,
          input.flow,
          input.title,
          JSON.stringify(input.reference),
          input.trigger,
          input.conversationId ?? null,
          at,
          at,
          ownerId(),
          input.resolved === undefined ? null : JSON.stringify(input.resolved),
        );
      this.appendEvent(id, 'status', `Queued (${input.trigger})`, { status: 'queued' });
    })();
    return this.snapshot(id);
  }

  /** Applies a change atomically; refuses transitions the status machine does not allow. */
  update(id: string, change: SessionChange, message: string): SessionSnapshot {
    return this.db.transaction(() => {
      const row = this.row(id);
      const from = row.status as SessionStatus;
      const to = change.status ?? from;
      if (to !== from && !TRANSITIONS[from].includes(to)) {
        throw new Error(`Session ${id} cannot go from ${from} to ${to}`);
      }
      const at = nowIso();
      const finished = FINAL_STATUSES.includes(to) ? (to === from ? row.finished_at : at) : null;
      this.db
        .prepare(
          `UPDATE sessions SET status = ?, step = ?, result = ?, error = ?, seq = seq + 1,
             updated_at = ?, finished_at = ? WHERE id = ?`,
        )
        .run(
          to,
          change.step === undefined ? row.step : change.step,
          change.result === undefined
            ? row.result
            : change.result === null
              ? null
              : JSON.stringify(change.result),
          change.error === undefined ? row.error : change.error,
          at,
          finished,
          id,
        );
      this.appendEvent(id, to !== from ? 'status' : 'change', message, { status: to, ...change });
      return this.snapshot(id);
    })();
  }

  /** Returns whether the session may still change (it has not finished). */
  isActive(id: string): boolean {
    const row = this.statements.get.get(id) as SessionRow | undefined;
    return !!row && !FINAL_STATUSES.includes(row.status as SessionStatus);
  }

  event(id: string, type: string, message: string, data?: unknown): void {
    this.appendEvent(id, type, message, data);
  }

  /** Records a step's start, and the checkpoint that says which step is in progress. */
  startStep(id: string, name: string, checkpoint?: NewCheckpoint): void {
    this.db.transaction(() => {
      const next = this.db
        .prepare(
          'SELECT COALESCE(MAX(ordinal), 0) + 1 AS n FROM session_steps WHERE session_id = ?',
        )
        .get(id) as { n: number };
      this.db
        .prepare(
          `INSERT INTO session_steps (session_id, ordinal, name, status, started_at)
           VALUES (?, ?, ?, 'running', ?)`,
        )
        .run(id, next.n, name, nowIso());
      const event = this.appendEvent(id, 'step_started', `Step ${name} started`, { step: name });
      if (checkpoint) this.insertCheckpoint(id, checkpoint, event);
    })();
  }

  /** Records a step's end, with the checkpoint of the state it ends in, in one transaction. */
  endStep(
    id: string,
    name: string,
    status: 'completed' | 'failed' | 'skipped',
    checkpoint?: NewCheckpoint,
    data?: Record<string, unknown>,
  ): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `UPDATE session_steps SET status = ?, ended_at = ?
           WHERE session_id = ? AND name = ? AND status = 'running'`,
        )
        .run(status, nowIso(), id, name);
      const event = this.appendEvent(id, `step_${status}`, `Step ${name} ${status}`, {
        step: name,
        ...data,
      });
      if (checkpoint) this.insertCheckpoint(id, checkpoint, event);
    })();
  }

  /** Appends an event and the checkpoint it explains, together or not at all. */
  checkpoint(
    id: string,
    event: { type: string; message: string; data?: unknown },
    checkpoint: NewCheckpoint,
  ): number {
    return this.db.transaction(() => {
      const eventId = this.appendEvent(id, event.type, event.message, event.data);
      return this.insertCheckpoint(id, checkpoint, eventId);
    })();
  }

  /** The session's checkpoints, oldest first. */
  checkpoints(id: string): StoredCheckpoint[] {
    const rows = this.db
      .prepare('SELECT * FROM session_checkpoints WHERE session_id = ? ORDER BY ordinal')
      .all(id) as CheckpointRow[];
    return rows.map(toCheckpoint);
  }

  findCheckpoint(id: string, ordinal: number): StoredCheckpoint | undefined {
    const row = this.db
      .prepare('SELECT * FROM session_checkpoints WHERE session_id = ? AND ordinal = ?')
      .get(id, ordinal) as CheckpointRow | undefined;
    return row && toCheckpoint(row);
  }

  lastCheckpoint(id: string): StoredCheckpoint | undefined {
    const row = this.db
      .prepare(
        'SELECT * FROM session_checkpoints WHERE session_id = ? ORDER BY ordinal DESC LIMIT 1',
      )
      .get(id) as CheckpointRow | undefined;
    return row && toCheckpoint(row);
  }

  /** The first worktree snapshot of the session: the worktree as the session found it. */
  firstWorktree(id: string): string | undefined {
    const row = this.db
      .prepare(
        `SELECT worktree FROM session_checkpoints WHERE session_id = ? AND worktree IS NOT NULL
         ORDER BY ordinal LIMIT 1`,
      )
      .get(id) as { worktree: string } | undefined;
    return row?.worktree;
  }

  /**
   * Puts the session back at `target`: checkpoints the state it is in (so this can be undone),
   * then records the target's state as the newest checkpoint and leaves the session
   * `interrupted` there, from where it may resume. One transaction.
   */
  restore(
    id: string,
    target: StoredCheckpoint,
    worktree: { undo?: string; restored?: string },
  ): { snapshot: SessionSnapshot; undo: number; restored: number } {
    return this.db.transaction(() => {
      const last = this.lastCheckpoint(id);
      const before = this.row(id);
      const undoEvent = this.appendEvent(
        id,
        'checkpoint',
        `Kept the state before restoring checkpoint ${target.ordinal}`,
      );
      const undo = this.insertCheckpoint(
        id,
        {
          kind: 'undo',
          label: `Before restoring checkpoint ${target.ordinal} (${before.status})`,
          step: last?.step,
          state: last?.state ?? { steps: [], budgets: budgetsOf(before) },
          worktree: worktree.undo ?? last?.worktree,
        },
        undoEvent,
      );
      const restoredEvent = this.appendEvent(
        id,
        'restore',
        `Restored checkpoint ${target.ordinal}: ${target.label}`,
        { checkpoint: target.ordinal, undo },
      );
      const restored = this.insertCheckpoint(
        id,
        {
          kind: 'restore',
          label: `Restored checkpoint ${target.ordinal}: ${target.label}`,
          step: target.step,
          state: target.state,
          worktree: worktree.restored ?? target.worktree,
        },
        restoredEvent,
      );
      const snapshot = this.update(
        id,
        { status: 'interrupted', step: target.step ?? null, result: null, error: null },
        `Interrupted at checkpoint ${target.ordinal} by a restore`,
      );
      this.db.prepare('UPDATE sessions SET owner = ? WHERE id = ?').run(ownerId(), id);
      return { snapshot, undo, restored };
    })();
  }

  resolvedReference(id: string): unknown {
    const row = this.row(id);
    return row.resolved_reference ? JSON.parse(row.resolved_reference) : undefined;
  }

  addUsage(id: string, promptTokens: number, completionTokens: number): void {
    this.db
      .prepare(
        `UPDATE sessions SET prompt_tokens = prompt_tokens + ?,
           completion_tokens = completion_tokens + ?, model_calls = model_calls + 1 WHERE id = ?`,
      )
      .run(promptTokens, completionTokens, id);
  }

  addTiming(id: string, timing: SessionTiming): void {
    this.db
      .prepare(
        `UPDATE sessions SET model_ms = model_ms + ?, tool_ms = tool_ms + ?,
           tool_calls = tool_calls + ?, exec_ms = exec_ms + ?,
           approval_wait_ms = approval_wait_ms + ?, checkpoint_ms = checkpoint_ms + ?
         WHERE id = ?`,
      )
      .run(
        Math.round(timing.modelMs ?? 0),
        Math.round(timing.toolMs ?? 0),
        timing.toolCalls ?? 0,
        Math.round(timing.execMs ?? 0),
        Math.round(timing.approvalWaitMs ?? 0),
        Math.round(timing.checkpointMs ?? 0),
        id,
      );
  }

  /** Tokens and model calls used so far, as checkpoints record them. */
  budgets(id: string): SessionState['budgets'] {
    return budgetsOf(this.row(id));
  }

  snapshot(id: string): SessionSnapshot {
    return toSnapshot(this.row(id));
  }

  find(id: string): SessionSnapshot | undefined {
    const row = this.statements.get.get(id) as SessionRow | undefined;
    return row && toSnapshot(row);
  }

  list(statuses?: readonly SessionStatus[], limit = 100): SessionSnapshot[] {
    const rows = (
      statuses && statuses.length > 0
        ? this.db
            .prepare(
              `SELECT * FROM sessions WHERE status IN (${statuses.map(() => '?').join(',')})
               ORDER BY started_at DESC, rowid DESC LIMIT ?`,
            )
            .all(...statuses, limit)
        : this.db
            .prepare('SELECT * FROM sessions ORDER BY started_at DESC, rowid DESC LIMIT ?')
            .all(limit)
    ) as SessionRow[];
    return rows.map(toSnapshot);
  }

  /** The session with its steps, metrics and latest `maxEvents` events. */
  details(id: string, maxEvents = 2000): SessionGetResult | undefined {
    const row = this.statements.get.get(id) as SessionRow | undefined;
    if (!row) return undefined;
    const steps = this.db
      .prepare('SELECT * FROM session_steps WHERE session_id = ? ORDER BY ordinal')
      .all(id) as { name: string; status: string; started_at: string; ended_at: string | null }[];
    const events = this.db
      .prepare(
        `SELECT * FROM (SELECT * FROM session_events WHERE session_id = ? ORDER BY id DESC LIMIT ?)
         ORDER BY id`,
      )
      .all(id, maxEvents) as {
      id: number;
      at: string;
      type: string;
      message: string;
      data: string | null;
    }[];
    const end = row.finished_at ? Date.parse(row.finished_at) : Date.now();
    return {
      session: toSnapshot(row),
      steps: steps.map((s): SessionStep => ({
        name: s.name,
        status: s.status as SessionStep['status'],
        startedAt: s.started_at,
        endedAt: s.ended_at ?? undefined,
      })),
      events: events.map((e): SessionEvent => ({
        id: e.id,
        at: e.at,
        type: e.type,
        message: e.message,
        data: e.data === null ? undefined : JSON.parse(e.data),
      })),
      metrics: {
        durationMs: end - Date.parse(row.started_at),
        promptTokens: row.prompt_tokens,
        completionTokens: row.completion_tokens,
        modelCalls: row.model_calls,
        modelMs: row.model_ms,
        toolCalls: row.tool_calls,
        toolMs: row.tool_ms,
        sandboxExecMs: row.exec_ms,
        approvalWaitMs: row.approval_wait_ms,
        checkpointMs: row.checkpoint_ms,
      },
      checkpoints: this.db
        .prepare(
          `SELECT ordinal, at, kind, label, step, worktree FROM session_checkpoints
           WHERE session_id = ? ORDER BY ordinal`,
        )
        .all(id)
        .map((c) => {
          const r = c as Omit<CheckpointRow, 'state' | 'session_id' | 'event_id'>;
          return {
            checkpointId: String(r.ordinal),
            at: r.at,
            kind: r.kind as CheckpointKind,
            label: r.label,
            step: r.step ?? undefined,
            worktree: r.worktree ?? undefined,
          };
        }),
    };
  }

  /**
   * Sessions a dead server left unfinished become `interrupted` and this server's, to resume.
   * Sessions of another live server (a second editor on the same state directory) are left alone.
   */
  takeOverInterrupted(): SessionSnapshot[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM sessions
         WHERE status IN ('queued', 'running', 'awaiting_approval', 'interrupted')`,
      )
      .all() as SessionRow[];
    return rows
      .filter((row) => row.owner !== ownerId() && !isLiveOwner(row.owner))
      .map((row) =>
        this.db.transaction(() => {
          this.db.prepare('UPDATE sessions SET owner = ? WHERE id = ?').run(ownerId(), row.id);
          this.closeRunningSteps(row.id);
          if (row.status === 'interrupted') {
            this.appendEvent(row.id, 'owner', 'Taken over by a new server');
            return this.snapshot(row.id);
          }
          return this.update(
            row.id,
            { status: 'interrupted', error: null },
            `${INTERRUPTED_ERROR} during ${row.step ?? 'its start'}`,
          );
        })(),
      );
  }

  /** This server's sessions waiting to resume. */
  interruptedOwned(): SessionSnapshot[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM sessions WHERE status = 'interrupted' AND owner = ? ORDER BY started_at`,
      )
      .all(ownerId()) as SessionRow[];
    return rows.map(toSnapshot);
  }

  /** This server's unfinished sessions become `interrupted` when it shuts down, to resume later. */
  interruptOwnUnfinished(): SessionSnapshot[] {
    const rows = this.db
      .prepare(
        `SELECT id FROM sessions WHERE owner = ?
           AND status IN ('queued', 'running', 'awaiting_approval')`,
      )
      .all(ownerId()) as { id: string }[];
    return rows.map((row) =>
      this.db.transaction(() => {
        this.closeRunningSteps(row.id);
        return this.update(row.id, { status: 'interrupted' }, INTERRUPTED_ERROR);
      })(),
    );
  }

  /** The step a stop cut short ended there (`failed`); a resume runs it as a new step. */
  private closeRunningSteps(id: string): void {
    this.db
      .prepare(
        `UPDATE session_steps SET status = 'failed', ended_at = ?
         WHERE session_id = ? AND status = 'running'`,
      )
      .run(nowIso(), id);
  }

  private row(id: string): SessionRow {
    const row = this.statements.get.get(id) as SessionRow | undefined;
    if (!row) throw new Error(`Unknown session ${id}`);
    return row;
  }

  private insertCheckpoint(id: string, checkpoint: NewCheckpoint, eventId: number): number {
    const next = this.statements.nextCheckpoint.get(id) as { n: number };
    this.statements.insertCheckpoint.run(
      id,
      next.n,
      nowIso(),
      checkpoint.kind,
      checkpoint.label,
      checkpoint.step ?? null,
      JSON.stringify(checkpoint.state),
      checkpoint.worktree ?? null,
      eventId,
    );
    return next.n;
  }

  private appendEvent(id: string, type: string, message: string, data?: unknown): number {
    eventWritten();
    const info = this.statements.insertEvent.run(
      id,
      nowIso(),
      type,
      message,
      data === undefined ? null : JSON.stringify(data),
    );
    return Number(info.lastInsertRowid);
  }
}

function budgetsOf(row: SessionRow): SessionState['budgets'] {
  return {
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
    modelCalls: row.model_calls,
  };
}

function toCheckpoint(row: CheckpointRow): StoredCheckpoint {
  return {
    ordinal: row.ordinal,
    at: row.at,
    kind: row.kind as CheckpointKind,
    label: row.label,
    step: row.step ?? undefined,
    state: JSON.parse(row.state) as SessionState,
    worktree: row.worktree ?? undefined,
  };
}

function toSnapshot(row: SessionRow): SessionSnapshot {
  return {
    sessionId: row.id,
    seq: row.seq,
    flow: row.flow as FlowId,
    title: row.title,
    status: row.status as SessionStatus,
    reference: JSON.parse(row.reference) as Reference,
    trigger: row.trigger as Trigger,
    conversationId: row.conversation_id ?? undefined,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    step: row.step ?? undefined,
    result: row.result ? JSON.parse(row.result) : undefined,
    error: row.error ?? undefined,
  };
}
