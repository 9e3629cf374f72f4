import type {
  ApprovalDecision,
  ApprovalKind,
  ApprovalRequestedParams,
  ApprovalScope,
} from '../protocol';
import { type Db, nowIso } from '../store/database';
import { isLiveOwner, ownerId } from '../store/owner';

/** Server-side facts about an approval that are never sent to clients. */
export type ApprovalContext = Record<string, unknown>;

export interface StoredApproval {
  request: ApprovalRequestedParams;
  context: ApprovalContext;
  status: 'pending' | 'resolved';
  decision?: ApprovalDecision;
  scope?: ApprovalScope;
  reason?: string;
  feedback?: string;
  resolvedAt?: string;
}

interface ApprovalRow {
  id: string;
  kind: string;
  status: string;
  request: string;
  context: string;
  owner: string | null;
  decision: string | null;
  scope: string | null;
  reason: string | null;
  feedback: string | null;
  created_at: string;
  resolved_at: string | null;
}

export interface Resolution {
  decision: ApprovalDecision;
  scope?: ApprovalScope;
  reason?: string;
  feedback?: string;
}

export class ApprovalStore {
  constructor(private readonly db: Db) {}

  insert(request: ApprovalRequestedParams, context: ApprovalContext): void {
    this.db
      .prepare(
        `INSERT INTO approvals (id, kind, status, request, context, owner, created_at)
         VALUES (?, ?, 'pending', ?, ?, ?, ?)`,
      )
      .run(
        request.approvalId,
        request.kind,
        JSON.stringify(request),
        JSON.stringify(context),
        ownerId(),
        request.createdAt,
      );
  }

  find(id: string): StoredApproval | undefined {
    const row = this.db.prepare('SELECT * FROM approvals WHERE id = ?').get(id) as
      ApprovalRow | undefined;
    return row && toStored(row);
  }

  /** Marks a pending approval resolved; false when another answer got there first. */
  resolve(id: string, resolution: Resolution): boolean {
    const result = this.db
      .prepare(
        `UPDATE approvals SET status = 'resolved', decision = ?, scope = ?, reason = ?,
           feedback = ?, resolved_at = ? WHERE id = ? AND status = 'pending'`,
      )
      .run(
        resolution.decision,
        resolution.scope ?? null,
        resolution.reason ?? null,
        resolution.feedback ?? null,
        nowIso(),
        id,
      );
    return result.changes === 1;
  }

  /** Pending approvals this server answers for, oldest first. */
  pendingOwned(): StoredApproval[] {
    const rows = this.db
      .prepare(`SELECT * FROM approvals WHERE status = 'pending' AND owner = ? ORDER BY created_at`)
      .all(ownerId()) as ApprovalRow[];
    return rows.map(toStored);
  }

  /** Takes over pending approvals left by servers that are no longer running. */
  claimOrphans(): StoredApproval[] {
    const rows = this.db
      .prepare(`SELECT * FROM approvals WHERE status = 'pending'`)
      .all() as ApprovalRow[];
    const claim = this.db.prepare('UPDATE approvals SET owner = ? WHERE id = ?');
    const claimed = rows.filter((row) => row.owner !== ownerId() && !isLiveOwner(row.owner));
    this.db.transaction(() => {
      for (const row of claimed) claim.run(ownerId(), row.id);
    })();
    return claimed.map(toStored);
  }

  /**
   * Approvals of a session not yet used by whoever asked, newest first: pending ones this server
   * answers for, and ones answered while nobody was listening (across a restart).
   */
  unused(kind: string, sessionId: string): StoredApproval[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM approvals WHERE kind = ? AND used_at IS NULL
           AND json_extract(request, '$.sessionId') = ?
           AND (status = 'resolved' OR owner = ?)
         ORDER BY created_at DESC`,
      )
      .all(kind, sessionId, ownerId()) as ApprovalRow[];
    return rows.map(toStored);
  }

  /** Records that the answer reached whoever asked, so it is never used a second time. */
  markUsed(id: string): void {
    this.db.prepare('UPDATE approvals SET used_at = ? WHERE id = ?').run(nowIso(), id);
  }

  /** A session's approvals still waiting for an answer. */
  pendingOfSession(sessionId: string): StoredApproval[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM approvals WHERE status = 'pending'
           AND json_extract(request, '$.sessionId') = ?`,
      )
      .all(sessionId) as ApprovalRow[];
    return rows.map(toStored);
  }

  /** Approved or denied flow approvals, newest first, to re-apply any a stop cut short. */
  resolvedOfKind(kind: string, limit = 200): StoredApproval[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM approvals WHERE status = 'resolved' AND kind = ?
         ORDER BY resolved_at DESC LIMIT ?`,
      )
      .all(kind, limit) as ApprovalRow[];
    return rows.map(toStored);
  }
}

function toStored(row: ApprovalRow): StoredApproval {
  return {
    request: JSON.parse(row.request) as ApprovalRequestedParams,
    context: JSON.parse(row.context) as ApprovalContext,
    status: row.status as StoredApproval['status'],
    decision: (row.decision ?? undefined) as ApprovalDecision | undefined,
    scope: (row.scope ?? undefined) as ApprovalScope | undefined,
    reason: row.reason ?? undefined,
    feedback: row.feedback ?? undefined,
    resolvedAt: row.resolved_at ?? undefined,
  };
}

export type { ApprovalKind };
