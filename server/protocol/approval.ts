import { z } from 'zod';
import { FlowId, Id, Reference } from './common';
import { notification, request } from './declare';
import { Methods } from './methods';

export const ApprovalKind = z.enum(['flow', 'command', 'tool']);
export type ApprovalKind = z.infer<typeof ApprovalKind>;
export const ApprovalDecision = z.enum(['approve', 'deny']);
export type ApprovalDecision = z.infer<typeof ApprovalDecision>;
export const ApprovalScope = z.enum(['once', 'session', 'always']);
export type ApprovalScope = z.infer<typeof ApprovalScope>;

export const ApprovalRequestedParams = z.object({
  approvalId: Id,
  kind: ApprovalKind,
  title: z.string(),
  conversationId: Id.optional(),
  sessionId: Id.optional(),
  flow: z.object({ id: FlowId, name: z.string() }).optional(),
  reference: Reference.optional(),
  command: z.object({ command: z.string(), cwd: z.string() }).optional(),
  details: z.string().optional(),
  createdAt: z.string().describe('ISO 8601'),
});
export type ApprovalRequestedParams = z.infer<typeof ApprovalRequestedParams>;

export const ApprovalRequestedNotification = notification({
  method: Methods.approvalRequested,
  direction: 'serverToClient',
  capability: 'approvals',
  params: ApprovalRequestedParams,
  semantics:
    'Asks the person to approve a flow, a command or a tool call. Sent again on `initialized` ' +
    'for every approval still pending, so a client that reloads shows it again. Clients without ' +
    'the `approvals` capability get none; policy decides for them (deny by default).',
});

export const ApprovalRespondParams = z.object({
  approvalId: Id,
  decision: ApprovalDecision,
  scope: ApprovalScope.optional(),
  feedback: z.string().max(10_000).optional().describe('With a denial: what to do instead'),
});
export type ApprovalRespondParams = z.infer<typeof ApprovalRespondParams>;

export const ApprovalRespondResult = z.object({
  approvalId: Id,
  decision: ApprovalDecision,
  scope: ApprovalScope.optional(),
});
export type ApprovalRespondResult = z.infer<typeof ApprovalRespondResult>;

export const ApprovalRespondRequest = request({
  method: Methods.approvalRespond,
  capability: 'approvals',
  params: ApprovalRespondParams,
  result: ApprovalRespondResult,
  semantics:
    'Answers a pending approval. The first valid answer wins; an unknown or already answered id ' +
    'is an error (`InvalidParams`) and changes nothing. What happens next is announced by ' +
    '`tandem/approval/resolved`.',
});

export const ApprovalResolvedParams = z.object({
  approvalId: Id,
  decision: ApprovalDecision,
  scope: ApprovalScope.optional(),
  reason: z
    .string()
    .optional()
    .describe('Why it ended as it did, e.g. a permission check that failed after approval'),
});
export type ApprovalResolvedParams = z.infer<typeof ApprovalResolvedParams>;

export const ApprovalResolvedNotification = notification({
  method: Methods.approvalResolved,
  direction: 'serverToClient',
  capability: 'approvals',
  params: ApprovalResolvedParams,
  semantics:
    'An approval is settled: every attached client closes its prompt. An approval the person ' +
    'approved resolves as `deny` with a `reason` when the check made at that moment fails ' +
    '(for a flow: the access level on the project).',
});
