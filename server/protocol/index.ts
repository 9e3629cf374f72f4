import {
  ApprovalRequestedNotification,
  ApprovalResolvedNotification,
  ApprovalRespondRequest,
} from './approval';
import { ChatSendRequest, ChatUpdateNotification } from './chat';
import type { MethodDeclaration } from './declare';
import { FlowStartRequest } from './flow';
import {
  SessionCancelRequest,
  SessionGetRequest,
  SessionListRequest,
  SessionOpenedNotification,
  SessionRestoreRequest,
  SessionStatusNotification,
} from './session';
import { TelemetrySummaryRequest } from './telemetry';
import { WebviewInfoRequest } from './webview';

export * from './approval';
export * from './chat';
export * from './common';
export * from './declare';
export * from './flow';
export * from './methods';
export * from './session';
export * from './telemetry';
export * from './webview';

/** Every method of protocol v1, in documentation order. */
export const PROTOCOL_METHODS: readonly MethodDeclaration[] = [
  ChatSendRequest,
  ChatUpdateNotification,
  ApprovalRequestedNotification,
  ApprovalRespondRequest,
  ApprovalResolvedNotification,
  FlowStartRequest,
  SessionStatusNotification,
  SessionListRequest,
  SessionGetRequest,
  SessionCancelRequest,
  SessionRestoreRequest,
  SessionOpenedNotification,
  TelemetrySummaryRequest,
  WebviewInfoRequest,
];

export const SERVER_TO_CLIENT_METHODS: ReadonlySet<string> = new Set(
  PROTOCOL_METHODS.filter((m) => m.direction === 'serverToClient').map((m) => m.method),
);
