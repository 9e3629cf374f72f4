import type { Connection, WorkDoneProgressServerReporter } from 'vscode-languageserver/node';
import { withDeadline } from './deadline';
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
 * Server → client traffic over LSP and standard work-done progress. Chat updates answer the
 * client's own `tandem/chat/send`; session status goes to clients that advertised tandem
 * support; approvals only to clients that can show them (`approvals: true`).
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

  beginProgress(title: string): ProgressHandle {
    if (!this.features.workDoneProgress) return { report: () => undefined, done: () => undefined };
    // The editor may answer `window/workDoneProgress/create` late or never; the session does not
    // wait for it. The latest report is shown once the bar exists.
    let latest = 'starting';
    let ended = false;
    let reporter: WorkDoneProgressServerReporter | undefined;
    void withDeadline(
      this.connection.window.createWorkDoneProgress(),
      PROGRESS_CREATE_DEADLINE_MS,
      'window/workDoneProgress/create',
    )
      .then((created) => {
        if (ended) return;
        reporter = created;
        created.begin(title, undefined, latest, false);
      })
      .catch(() => undefined);
    return {
      report: (message) => {
        latest = message;
        if (!ended) reporter?.report(message);
      },
      done: () => {
        if (!ended) reporter?.done();
        ended = true;
      },
    };
  }
}

const PROGRESS_CREATE_DEADLINE_MS = 5000;
