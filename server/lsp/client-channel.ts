import type { Connection } from 'vscode-languageserver/node';
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

export interface ClientFeatures {
  /** The client advertised `capabilities.experimental.tandem`. */
  tandem: boolean;
  approvals: boolean;
  workDoneProgress: boolean;
}

/**
 * Server → client traffic over LSP: `tandem/*` notifications (only to clients that advertised
 * tandem support) and standard work-done progress.
 */
export class LspClientChannel implements ClientChannel {
  features: ClientFeatures = { tandem: false, approvals: false, workDoneProgress: false };

  constructor(private readonly connection: Connection) {}

  chatUpdate(params: ChatUpdateParams): void {
    void this.connection.sendNotification(ChatUpdateNotification.type, params);
  }

  requested(params: ApprovalRequestedParams): void {
    if (this.features.approvals) {
      void this.connection.sendNotification(ApprovalRequestedNotification.type, params);
    }
  }

  resolved(params: ApprovalResolvedParams): void {
    if (this.features.approvals) {
      void this.connection.sendNotification(ApprovalResolvedNotification.type, params);
    }
  }

  sessionStatus(snapshot: SessionSnapshot): void {
    if (this.features.tandem) {
      void this.connection.sendNotification(SessionStatusNotification.type, snapshot);
    }
  }

  async beginProgress(title: string): Promise<ProgressHandle> {
    if (!this.features.workDoneProgress) return { report: () => undefined, done: () => undefined };
    const reporter = await this.connection.window.createWorkDoneProgress();
    reporter.begin(title, undefined, 'starting', false);
    let ended = false;
    return {
      report: (message) => {
        if (!ended) reporter.report(message);
      },
      done: () => {
        if (!ended) reporter.done();
        ended = true;
      },
    };
  }
}
