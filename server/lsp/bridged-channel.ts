import type {
  ApprovalRequestedParams,
  ApprovalResolvedParams,
  ChatUpdateParams,
  SessionSnapshot,
} from '../protocol';
import {
  ApprovalRequestedNotification,
  ApprovalResolvedNotification,
  ChatUpdateNotification,
  SessionStatusNotification,
} from '../protocol';
import type { ProgressHandle } from '../sessions/session-service';
import type { ClientChannel } from '../tandem-server';
import type { WebviewEndpoint } from '../webview/webview-endpoint';

/**
 * Server → client traffic to the editor over LSP and, once a client asked for the webview
 * endpoint, to every connected webview too. Progress is the editor's alone.
 */
export class BridgedChannel implements ClientChannel {
  constructor(
    private readonly lsp: ClientChannel,
    private readonly webview: () => WebviewEndpoint | undefined,
  ) {}

  chatUpdate(params: ChatUpdateParams): void {
    this.lsp.chatUpdate(params);
    this.webview()?.broadcast(ChatUpdateNotification.method, params);
  }

  requested(params: ApprovalRequestedParams): void {
    this.lsp.requested(params);
    this.webview()?.broadcast(ApprovalRequestedNotification.method, params);
  }

  resolved(params: ApprovalResolvedParams): void {
    this.lsp.resolved(params);
    this.webview()?.broadcast(ApprovalResolvedNotification.method, params);
  }

  sessionStatus(snapshot: SessionSnapshot): void {
    this.lsp.sessionStatus(snapshot);
    this.webview()?.broadcast(SessionStatusNotification.method, snapshot);
  }

  beginProgress(title: string): ProgressHandle {
    return this.lsp.beginProgress(title);
  }
}
