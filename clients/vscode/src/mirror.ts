import * as vscode from 'vscode';
import type {
  ApprovalRequestedParams,
  ApprovalResolvedParams,
  SessionSnapshot,
} from '../../../server/protocol/index';
import { FINAL_STATUSES } from '../../../server/protocol/methods';

/**
 * What the extension itself knows of the server's state, from its notifications: pending
 * approvals and session snapshots. It feeds the status bar, the Sessions tree and the
 * notifications, and re-fills a chat view that (re)loads.
 */
export class Mirror implements vscode.Disposable {
  readonly approvals = new Map<string, ApprovalRequestedParams>();
  readonly sessions = new Map<string, SessionSnapshot>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  approvalRequested(params: ApprovalRequestedParams): boolean {
    const isNew = !this.approvals.has(params.approvalId);
    this.approvals.set(params.approvalId, params);
    this.changed.fire();
    return isNew;
  }

  approvalResolved(params: ApprovalResolvedParams): void {
    if (this.approvals.delete(params.approvalId)) this.changed.fire();
  }

  sessionStatus(snapshot: SessionSnapshot): void {
    if (this.keep(snapshot)) this.changed.fire();
  }

  sessionsListed(snapshots: SessionSnapshot[]): void {
    for (const s of snapshots) this.keep(s);
    this.changed.fire();
  }

  /** Keeps the snapshot with the highest `seq`; says whether it was kept. */
  private keep(snapshot: SessionSnapshot): boolean {
    const known = this.sessions.get(snapshot.sessionId);
    if (known && known.seq > snapshot.seq) return false;
    this.sessions.set(snapshot.sessionId, snapshot);
    return true;
  }

  /** The server restarted: what it will re-send replaces what is known. */
  reset(): void {
    this.approvals.clear();
    this.changed.fire();
  }

  get running(): number {
    return [...this.sessions.values()].filter((s) => !FINAL_STATUSES.includes(s.status)).length;
  }

  get pending(): number {
    return this.approvals.size;
  }

  /** Newest first. */
  get sortedSessions(): SessionSnapshot[] {
    return [...this.sessions.values()].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  dispose(): void {
    this.changed.dispose();
  }
}
