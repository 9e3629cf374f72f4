import { z } from 'zod';
import { Id, SessionSnapshot, SessionStatus } from './common';
import { notification, request } from './declare';
import { Methods } from './methods';

export const SessionStatusNotification = notification({
  method: Methods.sessionStatus,
  direction: 'serverToClient',
  params: SessionSnapshot,
  semantics:
    'Sent to every client that advertises `capabilities.experimental.tandem`. ' +
    'A whole snapshot of a session, sent on every change with a rising `seq`; a client keeps the ' +
    'snapshot with the highest `seq` and ignores older ones. Sent again on `initialized` for ' +
    'every session that has not finished.',
});

export const SessionListParams = z.object({
  statuses: z.array(SessionStatus).max(10).optional(),
  limit: z.number().int().min(1).max(1000).optional().describe('Default 100, newest first'),
});
export type SessionListParams = z.infer<typeof SessionListParams>;

export const SessionListResult = z.object({ sessions: z.array(SessionSnapshot) });
export type SessionListResult = z.infer<typeof SessionListResult>;

export const SessionListRequest = request({
  method: Methods.sessionList,
  params: SessionListParams,
  result: SessionListResult,
  semantics: 'Snapshots of sessions, newest first.',
});

export const SessionEvent = z.object({
  id: z.number().int(),
  at: z.string(),
  type: z.string().describe('e.g. `step_started`, `model_call`, `api_call`, `status`'),
  message: z.string(),
  data: z.unknown().optional(),
});
export type SessionEvent = z.infer<typeof SessionEvent>;

export const SessionStep = z.object({
  name: z.string(),
  status: z.enum(['running', 'completed', 'failed', 'skipped']),
  startedAt: z.string(),
  endedAt: z.string().optional(),
});
export type SessionStep = z.infer<typeof SessionStep>;

export const SessionMetrics = z.object({
  durationMs: z.number().optional().describe('Wall time from start to finish (or to now)'),
  promptTokens: z.number().int(),
  completionTokens: z.number().int(),
  modelCalls: z.number().int(),
  modelMs: z.number().int().optional().describe('Time spent waiting for the model'),
  toolCalls: z.number().int().optional(),
  toolMs: z.number().int().optional().describe('Time spent in agent tools (includes sandbox exec)'),
  sandboxExecMs: z.number().int().optional().describe('Time commands ran in the sandbox'),
  approvalWaitMs: z.number().int().optional().describe('Time spent waiting for the person'),
  checkpointMs: z
    .number()
    .int()
    .optional()
    .describe('Time spent checkpointing the session’s state and worktree'),
});
export type SessionMetrics = z.infer<typeof SessionMetrics>;

export const SessionCheckpoint = z.object({
  checkpointId: Id.describe('What `tandem/session/restore` takes'),
  at: z.string().describe('ISO 8601'),
  kind: z
    .enum(['step_started', 'step', 'model', 'tool', 'undo', 'restore'])
    .describe(
      'Taken when a step started or ended, the model answered, a tool ran; `undo` keeps the state before a restore, `restore` is the state a restore put back',
    ),
  label: z.string(),
  step: z.string().optional().describe('The flow step it belongs to'),
  worktree: z.string().optional().describe('Commit of the worktree snapshot, if any by then'),
});
export type SessionCheckpoint = z.infer<typeof SessionCheckpoint>;

export const SessionGetParams = z.object({ sessionId: Id });
export const SessionGetResult = z.object({
  session: SessionSnapshot,
  steps: z.array(SessionStep),
  events: z.array(SessionEvent),
  metrics: SessionMetrics,
  checkpoints: z.array(SessionCheckpoint).describe('Oldest first; any of them can be restored'),
});
export type SessionGetResult = z.infer<typeof SessionGetResult>;

export const SessionGetRequest = request({
  method: Methods.sessionGet,
  params: SessionGetParams,
  result: SessionGetResult,
  semantics: 'Details of one session: steps, the append-only event log and metrics.',
});

export const SessionCancelParams = z.object({ sessionId: Id });
export const SessionCancelResult = z.object({
  sessionId: Id,
  cancelled: z.boolean().describe('False when the session had already finished'),
  status: SessionStatus,
});
export type SessionCancelResult = z.infer<typeof SessionCancelResult>;

export const SessionCancelRequest = request({
  method: Methods.sessionCancel,
  params: SessionCancelParams,
  result: SessionCancelResult,
  semantics:
    'Cancels a queued or running session. Work in flight stops at the next safe point; ' +
    'nothing already posted is undone. Cancelling a finished session answers `cancelled: false`.',
});

export const SessionRestoreParams = z.object({ sessionId: Id, checkpointId: Id });
export type SessionRestoreParams = z.infer<typeof SessionRestoreParams>;
export const SessionRestoreResult = z.object({
  sessionId: Id,
  status: SessionStatus.describe('`interrupted`: the session waits at the checkpoint'),
  checkpointId: Id.describe('The new checkpoint holding the restored state'),
  undoCheckpointId: Id.describe('The state before this restore: restore it to undo'),
});
export type SessionRestoreResult = z.infer<typeof SessionRestoreResult>;

export const SessionRestoreRequest = request({
  method: Methods.sessionRestore,
  params: SessionRestoreParams,
  result: SessionRestoreResult,
  semantics:
    'Puts a session that is not running back at one of its checkpoints: its worktree (files ' +
    'added, changed and deleted since, binary ones too; ignored and very large files are left ' +
    'alone) and its conversation. The state before is checkpointed first, so restoring ' +
    '`undoCheckpointId` undoes it. The session becomes `interrupted` and an approval of kind ' +
    '`tool` asks whether it resumes from there. A running session is refused: cancel it first.',
});

export const SessionOpenedParams = z.object({
  sessionId: Id,
  source: z.enum(['widget', 'list', 'notification']),
});
export type SessionOpenedParams = z.infer<typeof SessionOpenedParams>;

export const SessionOpenedNotification = notification({
  method: Methods.sessionOpened,
  direction: 'clientToServer',
  capability: 'sessionWidget',
  params: SessionOpenedParams,
  semantics: 'The person opened a session’s details; recorded for click-through telemetry.',
});
