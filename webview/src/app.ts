import { render } from 'lit';
import type {
  ApprovalRequestedParams,
  ApprovalResolvedParams,
  ChatSendResult,
  ChatUpdateParams,
  SessionGetResult,
  SessionListResult,
  SessionRestoreResult,
  SessionSnapshot,
} from '../../server/protocol/index';
import { Methods } from '../../server/protocol/methods';
import * as C from './checkpoints';
import type { Host } from './host';
import * as S from './state';
import { type Actions, app } from './views';

/** Owns the state, speaks to the host, and renders on every change (batched per frame). */
export class App implements Actions {
  private state: S.State = S.initialState();
  private scheduled = false;
  private detailsTimer: ReturnType<typeof setTimeout> | undefined;
  private tick: ReturnType<typeof setInterval> | undefined;
  /** What gets the focus once the next render is on screen (a selector within the root). */
  private focusNext: string | undefined;

  constructor(
    private readonly host: Host,
    private readonly root: HTMLElement,
  ) {
    this.state = S.restore(this.state, host.loadState());
    host.onConnection((connection) => {
      const opened = connection.status === 'open' && this.state.connection.status !== 'open';
      this.update({ ...this.state, connection });
      if (opened) {
        this.reloadSessions();
        if (this.state.page.name === 'details') this.reloadDetails();
      }
    });
    host.onNotification((method, params) => this.notified(method, params));
    // Links open outside the webview, through the host.
    root.addEventListener('click', (event) => {
      const anchor = (event.composedPath() as Element[]).find(
        (el) => el instanceof HTMLAnchorElement,
      ) as HTMLAnchorElement | undefined;
      if (!anchor?.href) return;
      event.preventDefault();
      if (/^(https?:|mailto:)/i.test(anchor.href)) host.openLink(anchor.href);
    });
    // Ages and elapsed times move on once a second while something is live.
    this.tick = setInterval(() => {
      if (S.runningCount(this.state) > 0 || S.pendingApprovals(this.state).length > 0) {
        this.schedule();
      }
    }, 1000);
    this.schedule();
  }

  dispose(): void {
    clearInterval(this.tick);
  }

  /** The state, for tests and debugging. */
  get snapshot(): S.State {
    return this.state;
  }

  private notified(method: string, params: unknown): void {
    switch (method) {
      case Methods.chatUpdate:
        return this.update(S.chatUpdate(this.state, params as ChatUpdateParams));
      case Methods.approvalRequested:
        return this.update(S.approvalRequested(this.state, params as ApprovalRequestedParams));
      case Methods.approvalResolved:
        return this.update(S.approvalResolved(this.state, params as ApprovalResolvedParams));
      case Methods.sessionStatus: {
        const snapshot = params as SessionSnapshot;
        this.update(S.sessionStatus(this.state, snapshot));
        if (
          this.state.page.name === 'details' &&
          this.state.page.sessionId === snapshot.sessionId
        ) {
          // Steps and events changed too; fetch them, at most a few times a second.
          clearTimeout(this.detailsTimer);
          this.detailsTimer = setTimeout(() => this.reloadDetails(), 250);
        }
        return;
      }
    }
  }

  private update(next: S.State): void {
    const conversationChanged =
      next.conversationId !== this.state.conversationId || next.items !== this.state.items;
    this.state = next;
    if (conversationChanged) this.host.saveState(S.persisted(next));
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.paint();
    });
  }

  private paint(): void {
    const transcript = this.root.querySelector('.transcript');
    const scroller = this.root.querySelector('main.chat');
    // Follow the conversation only if the reader is at its end; never scroll them away.
    const atEnd = scroller
      ? scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 48
      : true;
    const before = transcript?.scrollHeight ?? 0;
    render(app(this.state, this, Date.now()), this.root);
    const after = this.root.querySelector('main.chat');
    if (after && atEnd && after.scrollHeight !== before) after.scrollTop = after.scrollHeight;
    this.root.dataset.page = this.state.page.name;
    this.root.dataset.connection = this.state.connection.status;
    if (this.focusNext) {
      const target = this.root.querySelector<HTMLElement & { updateComplete?: Promise<unknown> }>(
        this.focusNext,
      );
      this.focusNext = undefined;
      // VS Code Elements make themselves focusable in their first update, after this render.
      void Promise.resolve(target?.updateComplete).then(() => target?.focus());
    }
  }

  // --- Actions -----------------------------------------------------------------------------

  send(text: string): void {
    this.update({ ...this.state, sending: text, sendError: undefined, page: { name: 'chat' } });
    this.host
      .request<ChatSendResult>(Methods.chatSend, {
        conversationId: this.state.conversationId,
        text,
      })
      .then((result) => {
        this.update({ ...this.state, conversationId: result.conversationId, sending: undefined });
      })
      .catch((error: Error) => {
        this.update({
          ...this.state,
          sending: undefined,
          sendError: { text, message: error.message },
        });
      });
  }

  retry(text: string): void {
    this.send(text);
  }

  newChat(): void {
    this.update({ ...this.state, conversationId: undefined, sendError: undefined });
    this.root.querySelector<HTMLElement>('vscode-textarea')?.focus();
  }

  show(page: 'chat' | 'sessions'): void {
    this.update({ ...this.state, page: { name: page } });
    if (page === 'sessions') this.reloadSessions();
  }

  /** Opens a session's details: from the page (widget, list) or for the host (tree, notification). */
  openSession(sessionId: string, source: 'widget' | 'list' | 'notification'): void {
    const from =
      source === 'notification' || this.state.page.name === 'sessions' ? 'sessions' : 'chat';
    this.host.notify(Methods.sessionOpened, { sessionId, source });
    this.update({
      ...this.state,
      page: { name: 'details', sessionId, from },
      details: { sessionId, loading: true, checkpoints: C.initialCheckpointsUi() },
    });
    this.reloadDetails();
    this.root.scrollTo?.(0, 0);
  }

  back(): void {
    const page = this.state.page;
    this.update({
      ...this.state,
      page: { name: page.name === 'details' ? page.from : 'chat' },
      details: undefined,
    });
  }

  answer(
    approvalId: string,
    decision: 'approve' | 'deny',
    options: { always?: boolean; feedback?: string } = {},
  ): void {
    this.update(S.approvalAnswering(this.state, approvalId, decision));
    this.host
      .request(Methods.approvalRespond, {
        approvalId,
        decision,
        ...(options.always ? { scope: 'always' } : {}),
        ...(options.feedback ? { feedback: options.feedback } : {}),
      })
      .catch((error: Error) => {
        this.update(S.approvalAnswerFailed(this.state, approvalId, error.message));
      });
  }

  cancelSession(sessionId: string): void {
    this.host.request(Methods.sessionCancel, { sessionId }).catch((error: Error) => {
      this.setDetailsError(error.message);
    });
  }

  toggleCheckpoints(): void {
    this.updateCheckpoints((ui) => ({ ...ui, showAll: !ui.showAll }));
  }

  askRestore(checkpointId: string): void {
    this.updateCheckpoints((ui) => C.restoreAsked(ui, checkpointId));
    this.focusNext = '.checkpoint-confirm .confirm-restore';
  }

  dismissRestore(): void {
    const asked = this.state.details?.checkpoints?.confirming;
    this.updateCheckpoints(C.restoreDismissed);
    if (asked) this.focusNext = `.checkpoint[data-checkpoint-id="${CSS.escape(asked)}"] .restore`;
  }

  /** Puts the session back at a checkpoint (confirmed, or the Undo of the last restore). */
  restoreCheckpoint(sessionId: string, checkpointId: string): void {
    const here = () => this.state.details?.sessionId === sessionId;
    this.updateCheckpoints((ui) => C.restoreSent(ui, checkpointId));
    this.focusNext = '.checkpoint-outcome';
    this.host
      .request<SessionRestoreResult>(Methods.sessionRestore, { sessionId, checkpointId })
      .then((result) => {
        if (!here()) return;
        this.updateCheckpoints((ui) => C.restoreDone(ui, checkpointId, result));
        this.focusNext = '.checkpoint-restored .undo';
        this.reloadDetails();
      })
      .catch((error: Error) => {
        if (!here()) return;
        this.updateCheckpoints((ui) => C.restoreFailed(ui, checkpointId, error.message));
        this.focusNext = '.checkpoint-error';
        // The refusal may come from a change not on screen yet (the session started again).
        this.reloadDetails();
      });
  }

  private updateCheckpoints(change: (ui: C.CheckpointsUi) => C.CheckpointsUi): void {
    const details = this.state.details;
    if (!details) return;
    const checkpoints = change(details.checkpoints ?? C.initialCheckpointsUi());
    this.update({ ...this.state, details: { ...details, checkpoints } });
  }

  reloadSessions(): void {
    if (this.state.connection.status !== 'open') return;
    this.update({
      ...this.state,
      sessionList: { ...this.state.sessionList, loading: true, error: undefined },
    });
    this.host
      .request<SessionListResult>(Methods.sessionList, { limit: 200 })
      .then((result) => this.update(S.sessionsListed(this.state, result.sessions)))
      .catch((error: Error) =>
        this.update({
          ...this.state,
          sessionList: { ...this.state.sessionList, loading: false, error: error.message },
        }),
      );
  }

  reloadDetails(): void {
    const page = this.state.page;
    if (page.name !== 'details') return;
    const { sessionId } = page;
    this.host
      .request<SessionGetResult>(Methods.sessionGet, { sessionId })
      .then((data) => {
        if (this.state.page.name !== 'details' || this.state.page.sessionId !== sessionId) return;
        const next = S.sessionStatus(this.state, data.session);
        const { checkpoints } = this.state.details ?? {};
        this.update({ ...next, details: { sessionId, loading: false, data, checkpoints } });
      })
      .catch((error: Error) => this.setDetailsError(error.message));
  }

  private setDetailsError(message: string): void {
    const page = this.state.page;
    if (page.name !== 'details') return;
    const details = this.state.details ?? { sessionId: page.sessionId, loading: false };
    this.update({ ...this.state, details: { ...details, loading: false, error: message } });
  }
}
