-- Generated from server/protocol by `npm run gen`. Do not edit: change the declarations.
-- Protocol v1 of tandem: method names, directions, constants and payload annotations.

---@meta _

---@alias tandem.Id string

---@alias tandem.FlowId 'fix_pipeline'|'implement_issue'|'code_review'

---@alias tandem.Trigger 'ui'|'chat'|'cli'

---@alias tandem.SessionStatus 'queued'|'running'|'awaiting_approval'|'completed'|'failed'|'cancelled'|'interrupted'

---@class tandem.Reference
---@field kind 'pipeline'|'issue'|'merge_request'
---@field url string Web URL of the pipeline, issue or merge request
---@field label string Short form, e.g. `group/app!7`

---@class tandem.SessionSnapshot
---@field sessionId tandem.Id
---@field seq integer Rises with every snapshot of this session
---@field flow tandem.FlowId
---@field title string
---@field status tandem.SessionStatus
---@field reference tandem.Reference
---@field trigger tandem.Trigger
---@field conversationId? tandem.Id
---@field startedAt string ISO 8601
---@field updatedAt string ISO 8601
---@field step? string The step running now, e.g. `fetch_diff`
---@field result? table
---@field error? string

---@class tandem.Ratio
---@field numerator integer
---@field denominator integer
---@field rate number|nil numerator / denominator, null when nothing was counted

--- tandem/chat/send
---@class tandem.ChatSendParams
---@field conversationId? tandem.Id Omit to start a new conversation
---@field text string
---@field context? table

---@class tandem.ChatSendResult
---@field conversationId tandem.Id
---@field turnId tandem.Id

--- tandem/chat/update
---@class tandem.ChatUpdateParams
---@field conversationId tandem.Id
---@field turnId tandem.Id
---@field messageId tandem.Id
---@field role 'user'|'assistant'
---@field delta? string Text to append to the message
---@field text? string The whole message so far; replaces what the client has
---@field done boolean
---@field widget? table The message is a session widget; render it from `tandem/session/status`
---@field error? table The turn ended in an error the user should see

--- tandem/approval/requested
---@class tandem.ApprovalRequestedParams
---@field approvalId tandem.Id
---@field kind 'flow'|'command'|'tool'
---@field title string
---@field conversationId? tandem.Id
---@field sessionId? tandem.Id
---@field flow? table
---@field reference? tandem.Reference
---@field command? table
---@field details? string
---@field createdAt string ISO 8601

--- tandem/approval/respond
---@class tandem.ApprovalRespondParams
---@field approvalId tandem.Id
---@field decision 'approve'|'deny'
---@field scope? 'once'|'session'|'always'
---@field feedback? string With a denial: what to do instead

---@class tandem.ApprovalRespondResult
---@field approvalId tandem.Id
---@field decision 'approve'|'deny'
---@field scope? 'once'|'session'|'always'

--- tandem/approval/resolved
---@class tandem.ApprovalResolvedParams
---@field approvalId tandem.Id
---@field decision 'approve'|'deny'
---@field scope? 'once'|'session'|'always'
---@field reason? string Why it ended as it did, e.g. a permission check that failed after approval

--- tandem/flow/start
---@class tandem.FlowStartParams
---@field flow tandem.FlowId
---@field reference string A web URL, or `group/project!7`, `group/project#12`, `!7`, `#12`
---@field trigger tandem.Trigger

---@class tandem.FlowStartResult
---@field sessionId tandem.Id

--- tandem/session/status
---@class tandem.SessionStatusParams
---@field sessionId tandem.Id
---@field seq integer Rises with every snapshot of this session
---@field flow tandem.FlowId
---@field title string
---@field status tandem.SessionStatus
---@field reference tandem.Reference
---@field trigger tandem.Trigger
---@field conversationId? tandem.Id
---@field startedAt string ISO 8601
---@field updatedAt string ISO 8601
---@field step? string The step running now, e.g. `fetch_diff`
---@field result? table
---@field error? string

--- tandem/session/list
---@class tandem.SessionListParams
---@field statuses? tandem.SessionStatus[]
---@field limit? integer Default 100, newest first

---@class tandem.SessionListResult
---@field sessions tandem.SessionSnapshot[]

--- tandem/session/get
---@class tandem.SessionGetParams
---@field sessionId tandem.Id

---@class tandem.SessionGetResult
---@field session tandem.SessionSnapshot
---@field steps table[]
---@field events table[]
---@field metrics table
---@field checkpoints table[] Oldest first; any of them can be restored

--- tandem/session/cancel
---@class tandem.SessionCancelParams
---@field sessionId tandem.Id

---@class tandem.SessionCancelResult
---@field sessionId tandem.Id
---@field cancelled boolean False when the session had already finished
---@field status tandem.SessionStatus

--- tandem/session/restore
---@class tandem.SessionRestoreParams
---@field sessionId tandem.Id
---@field checkpointId tandem.Id

---@class tandem.SessionRestoreResult
---@field sessionId tandem.Id
---@field status tandem.SessionStatus `interrupted`: the session waits at the checkpoint
---@field checkpointId tandem.Id The new checkpoint holding the restored state
---@field undoCheckpointId tandem.Id The state before this restore: restore it to undo

--- tandem/session/opened
---@class tandem.SessionOpenedParams
---@field sessionId tandem.Id
---@field source 'widget'|'list'|'notification'

--- tandem/telemetry/summary
---@class tandem.TelemetrySummaryParams
---@field since? string ISO 8601; default: everything recorded

---@class tandem.TelemetrySummaryResult
---@field approvalRate table<string, tandem.Ratio> Per flow: approved / decided
---@field approvalLatencyMs table<string, number> Per flow: median decision time
---@field recommendations table<string, integer> Per flow
---@field triggerSource table<string, integer> Flows started per trigger
---@field successRate table<string, table<string, tandem.Ratio>> Per flow, per trigger: completed / finished
---@field widgetClickThrough tandem.Ratio Widgets opened / widgets shown
---@field tokens table

--- tandem/webview/info
---@class tandem.WebviewInfoParams

---@class tandem.WebviewInfoResult
---@field url string The shared webview, served on 127.0.0.1 with a random port; carries the per-start token (`?token=…`). Open it as is; the page connects its WebSocket bridge with the same token.
---@field protocolVersion integer The protocol the bridge speaks (this document)

local M = {}

M.version = 1

--- Every method by key, e.g. `M.methods.chat_send`.
M.methods = {
  chat_send = 'tandem/chat/send',
  chat_update = 'tandem/chat/update',
  approval_requested = 'tandem/approval/requested',
  approval_respond = 'tandem/approval/respond',
  approval_resolved = 'tandem/approval/resolved',
  flow_start = 'tandem/flow/start',
  session_status = 'tandem/session/status',
  session_list = 'tandem/session/list',
  session_get = 'tandem/session/get',
  session_cancel = 'tandem/session/cancel',
  session_restore = 'tandem/session/restore',
  session_opened = 'tandem/session/opened',
  telemetry_summary = 'tandem/telemetry/summary',
  webview_info = 'tandem/webview/info',
}

--- Notifications the server sends; a client handles each of them.
M.server_to_client = {
  'tandem/chat/update',
  'tandem/approval/requested',
  'tandem/approval/resolved',
  'tandem/session/status',
}

--- Flow ids in order, and their names.
M.flow_ids = {
  'fix_pipeline',
  'implement_issue',
  'code_review',
}
M.flow_names = {
  fix_pipeline = 'Fix Pipeline',
  implement_issue = 'Implement Issue',
  code_review = 'Code Review',
}

M.statuses = {
  'queued',
  'running',
  'awaiting_approval',
  'completed',
  'failed',
  'cancelled',
  'interrupted',
}
M.final_statuses = {
  completed = true,
  failed = true,
  cancelled = true,
}

return M
