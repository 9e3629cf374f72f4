import type { FlowId, SessionStatus } from './common';

/**
 * Every method name of protocol v1, and the constants clients show, with no runtime
 * dependencies: what clients bundle (the webview, the VS Code extension) when they need the
 * names but not the schemas. The declarations in this folder use these, so a name lives in one
 * place.
 */
export const Methods = {
  chatSend: 'tandem/chat/send',
  chatUpdate: 'tandem/chat/update',
  approvalRequested: 'tandem/approval/requested',
  approvalRespond: 'tandem/approval/respond',
  approvalResolved: 'tandem/approval/resolved',
  flowStart: 'tandem/flow/start',
  sessionStatus: 'tandem/session/status',
  sessionList: 'tandem/session/list',
  sessionGet: 'tandem/session/get',
  sessionCancel: 'tandem/session/cancel',
  sessionRestore: 'tandem/session/restore',
  sessionOpened: 'tandem/session/opened',
  telemetrySummary: 'tandem/telemetry/summary',
  webviewInfo: 'tandem/webview/info',
} as const;

export type MethodName = (typeof Methods)[keyof typeof Methods];

export const FLOW_NAMES: Record<FlowId, string> = {
  fix_pipeline: 'Fix Pipeline',
  implement_issue: 'Implement Issue',
  code_review: 'Code Review',
};

export const FINAL_STATUSES: readonly SessionStatus[] = ['completed', 'failed', 'cancelled'];
