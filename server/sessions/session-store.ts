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
}

/** Time a session spent, by kind; added up as it runs. */
export interface SessionTiming {
  modelMs?: number;
  toolMs?: number;
  toolCalls?: number;
  execMs?: number;
  approvalWaitMs?: number;
}

export interface NewSession {
  flow: FlowId;
  title: string;
  reference: Reference;
  trigger: Trigger;
  conversationId?: string;
}

/** What may change in a session; every change bumps `seq` and appends an event. */
export interface SessionChange {
  status?: SessionStatus;
  step?: string | null;
  result?: SessionSnapshot['result'];
  error?: string;
}

/** How `queued → running ⇄ awaiting_approval → completed | failed | cancelled` may move. */
const TRANSITIONS: Record<SessionStatus, readonly SessionStatus[]> = {
  queued: ['running', 'cancelled', 'failed'],
  running: ['awaiting_approval', 'completed', 'failed', 'cancelled'],
  awaiting_approval: ['running', 'failed', 'cancelled'],
  completed: [],
  failed: [],
  cancelled: [],
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
    };
  }

  create(input: NewSession): SessionSnapshot {
    const id = randomUUID();
    const at = nowIso();
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO sessions (id, flow, title, status, reference, trigger, conversation_id,
             started_at, updated_at, seq, owner)
           VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, 1, ?)`,
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
      const finished = FINAL_STATUSES.includes(to) ? at : row.finished_at;
      this.db
        .prepare(
          `UPDATE sessions SET status = ?, step = ?, result = ?, error = ?, seq = seq + 1,
             updated_at = ?, finished_at = ? WHERE id = ?`,
        )
        .run(
          to,
          change.step === undefined ? row.step : change.step,
          change.result === undefined ? row.result : JSON.stringify(change.result),
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

  startStep(id: string, name: string): void {
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
      this.appendEvent(id, 'step_started', `Step ${name} started`, { step: name });
    })();
  }

  endStep(id: string, name: string, status: 'completed' | 'failed' | 'skipped'): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `UPDATE session_steps SET status = ?, ended_at = ?
           WHERE session_id = ? AND name = ? AND status = 'running'`,
        )
        .run(status, nowIso(), id, name);
      this.appendEvent(id, `step_${status}`, `Step ${name} ${status}`, { step: name });
    })();
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
           approval_wait_ms = approval_wait_ms + ? WHERE id = ?`,
      )
      .run(
        Math.round(timing.modelMs ?? 0),
        Math.round(timing.toolMs ?? 0),
        timing.toolCalls ?? 0,
        Math.round(timing.execMs ?? 0),
        Math.round(timing.approvalWaitMs ?? 0),
        id,
      );
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
      },
    };
  }

  /**
   * Sessions a dead server left unfinished are failed, never left spinning. Sessions of another
   * live server (a second editor on the same state directory) are left alone.
   */
  failInterrupted(): SessionSnapshot[] {
    const rows = this.db
      .prepare(`SELECT * FROM sessions WHERE status IN ('queued', 'running', 'awaiting_approval')`)
      .all() as SessionRow[];
    return rows
      .filter((row) => row.owner !== ownerId() && !isLiveOwner(row.owner))
      .map((row) => this.failAsInterrupted(row.id));
  }

  /** Fails this server's unfinished sessions when it shuts down. */
  failOwnUnfinished(): SessionSnapshot[] {
    const rows = this.db
      .prepare(
        `SELECT id FROM sessions WHERE owner = ?
           AND status IN ('queued', 'running', 'awaiting_approval')`,
      )
      .all(ownerId()) as { id: string }[];
    return rows.map((row) => this.failAsInterrupted(row.id));
  }

  private failAsInterrupted(id: string): SessionSnapshot {
    return this.update(
      id,
      { status: 'failed', error: INTERRUPTED_ERROR, step: null },
      INTERRUPTED_ERROR,
    );
  }

  private row(id: string): SessionRow {
    const row = this.statements.get.get(id) as SessionRow | undefined;
    if (!row) throw new Error(`Unknown session ${id}`);
    return row;
  }

  private appendEvent(id: string, type: string, message: string, data?: unknown): void {
    this.statements.insertEvent.run(
      id,
      nowIso(),
      type,
      message,
      data === undefined ? null : JSON.stringify(data),
    );
  }
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
