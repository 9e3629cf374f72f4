import type { Logger } from '../logger';
import type {
  ApprovalRespondParams,
  ChatSendParams,
  FlowStartParams,
  SessionListParams,
  SessionOpenedParams,
  SessionRestoreParams,
  TelemetrySummaryParams,
} from '../protocol';
import {
  ApprovalRespondRequest,
  ChatSendRequest,
  FlowStartRequest,
  SessionCancelRequest,
  SessionGetRequest,
  SessionListRequest,
  SessionOpenedNotification,
  SessionRestoreRequest,
  TelemetrySummaryRequest,
} from '../protocol';
import type { TandemServer } from '../tandem-server';

/** A request naming something that does not exist; answered as InvalidParams. */
export class UnknownIdError extends Error {}

type RequestHandler = (server: TandemServer, params: never) => unknown;
type NotificationHandler = (server: TandemServer, params: never, logger: Logger) => void;

/** Which service answers each client → server request (params already validated). */
export const requestHandlers: Record<string, RequestHandler> = {
  [ChatSendRequest.method]: (s, p: ChatSendParams) => s.chat.send(p),
  [ApprovalRespondRequest.method]: (s, p: ApprovalRespondParams) => s.broker.respond(p),
  [FlowStartRequest.method]: (s, p: FlowStartParams) => s.startFlow(p),
  [SessionListRequest.method]: (s, p: SessionListParams) => ({
    sessions: s.sessionStore.list(p.statuses, p.limit ?? 100),
  }),
  [SessionGetRequest.method]: (s, p: { sessionId: string }) => {
    const details = s.sessionStore.details(p.sessionId);
    if (!details) throw new UnknownIdError(`Unknown session ${p.sessionId}.`);
    return details;
  },
  [SessionCancelRequest.method]: (s, p: { sessionId: string }) => {
    if (!s.sessionStore.find(p.sessionId))
      throw new UnknownIdError(`Unknown session ${p.sessionId}.`);
    return s.sessions.cancel(p.sessionId);
  },
  [SessionRestoreRequest.method]: (s, p: SessionRestoreParams) => {
    if (!s.sessionStore.find(p.sessionId))
      throw new UnknownIdError(`Unknown session ${p.sessionId}.`);
    const ordinal = Number(p.checkpointId);
    if (!Number.isSafeInteger(ordinal) || ordinal < 1 || String(ordinal) !== p.checkpointId) {
      throw new UnknownIdError(
        `Unknown checkpoint ${p.checkpointId}: tandem/session/get lists the session's checkpoints.`,
      );
    }
    return s.sessions.restore(p.sessionId, ordinal);
  },
  [TelemetrySummaryRequest.method]: (s, p: TelemetrySummaryParams) => s.telemetry.summary(p.since),
};

export const notificationHandlers: Record<string, NotificationHandler> = {
  [SessionOpenedNotification.method]: (s, p: SessionOpenedParams, logger) => {
    if (!s.sessionStore.find(p.sessionId)) {
      logger.warn(`${SessionOpenedNotification.method}: unknown session ${p.sessionId}.`);
      return;
    }
    s.telemetry.record({ type: 'widget_opened', ...p });
  },
};
