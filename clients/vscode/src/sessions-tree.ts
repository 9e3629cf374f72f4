import * as vscode from 'vscode';
import type { SessionSnapshot, SessionStatus } from '../../../server/protocol/index';
import { FLOW_NAMES } from '../../../server/protocol/methods';
import type { Mirror } from './mirror';

const LOOK: Record<SessionStatus, { label: string; icon: string; color?: string }> = {
  queued: { label: 'queued', icon: 'clock' },
  running: { label: 'running', icon: 'sync~spin', color: 'charts.blue' },
  awaiting_approval: { label: 'waiting for approval', icon: 'bell-dot', color: 'charts.yellow' },
  completed: { label: 'completed', icon: 'pass-filled', color: 'testing.iconPassed' },
  failed: { label: 'failed', icon: 'error', color: 'testing.iconFailed' },
  cancelled: { label: 'cancelled', icon: 'circle-slash', color: 'disabledForeground' },
  interrupted: { label: 'interrupted', icon: 'debug-pause' },
};

/** The "Sessions" tree: every session the server knows, newest first; a click opens details. */
export class SessionsTree implements vscode.TreeDataProvider<SessionSnapshot>, vscode.Disposable {
  static readonly id = 'tandem.sessions';
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly mirror: Mirror) {
    this.subscription = mirror.onDidChange(() => this.changed.fire());
  }

  getChildren(element?: SessionSnapshot): SessionSnapshot[] {
    return element ? [] : this.mirror.sortedSessions;
  }

  getTreeItem(s: SessionSnapshot): vscode.TreeItem {
    const look = LOOK[s.status];
    const item = new vscode.TreeItem(`${FLOW_NAMES[s.flow]} · ${s.reference.label}`);
    item.id = s.sessionId;
    item.description = s.step && s.status === 'running' ? `${look.label} · ${s.step}` : look.label;
    item.iconPath = new vscode.ThemeIcon(
      look.icon,
      look.color ? new vscode.ThemeColor(look.color) : undefined,
    );
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown(
      `**${FLOW_NAMES[s.flow]}** on [${s.reference.label}](${s.reference.url})\n\n`,
    );
    tooltip.appendText(`Status: ${look.label}. Started ${new Date(s.startedAt).toLocaleString()}.`);
    if (s.error) tooltip.appendText(`\n\n${s.error}`);
    if (s.result) tooltip.appendText(`\n\n${s.result.summary}`);
    item.tooltip = tooltip;
    item.contextValue = `session.${s.status}`;
    item.command = {
      command: 'tandem.openSession',
      title: 'Open Session',
      arguments: [s.sessionId],
    };
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
