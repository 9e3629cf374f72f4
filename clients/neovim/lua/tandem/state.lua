-- What the plugin knows, only from the protocol: the conversation on screen, pending approvals
-- and session snapshots. Views subscribe and redraw.
local protocol = require('tandem.protocol')

local M = {
  conversation_id = nil,
  -- Chat items in arrival order: { kind = 'message', id, role, text, done, session_id?, error? }
  -- or { kind = 'approval', id }.
  items = {},
  approvals = {}, -- approvalId -> { params = ..., state = 'pending'|'approve'|'deny', reason? }
  sessions = {}, -- sessionId -> snapshot
  listeners = {},
}

--- Tells the views what changed: 'chat', 'approvals', or 'sessions' with the session's id.
local function changed(what, id)
  for _, listener in ipairs(M.listeners) do
    pcall(listener, what, id)
  end
end

function M.subscribe(listener)
  table.insert(M.listeners, listener)
end

local function find_message(id)
  for _, item in ipairs(M.items) do
    if item.kind == 'message' and item.id == id then
      return item
    end
  end
end

function M.chat_update(u)
  local item = find_message(u.messageId)
  if not item then
    item = { kind = 'message', id = u.messageId, conversation_id = u.conversationId, role = u.role, text = '' }
    table.insert(M.items, item)
  end
  if u.text ~= nil then
    item.text = u.text
  elseif u.delta ~= nil then
    item.text = item.text .. u.delta
  end
  item.done = u.done
  if u.widget then
    item.session_id = u.widget.sessionId
  end
  if u.error then
    item.error = u.error
  end
  changed('chat')
end

function M.approval_requested(p)
  local known = M.approvals[p.approvalId]
  M.approvals[p.approvalId] = { params = p, state = known and known.state or 'pending' }
  local placed = false
  for _, item in ipairs(M.items) do
    if item.kind == 'approval' and item.id == p.approvalId then
      placed = true
    end
  end
  if not placed and p.conversationId then
    table.insert(M.items, { kind = 'approval', id = p.approvalId, conversation_id = p.conversationId })
  end
  changed('approvals')
  return not known
end

function M.approval_resolved(p)
  local a = M.approvals[p.approvalId]
  if a then
    a.state = p.decision
    a.scope = p.scope
    a.reason = p.reason
    changed('approvals')
  end
end

--- Keeps the snapshot with the highest seq; one already known changes nothing (so reading a
--- session's details does not announce a change that would read them again).
function M.session_status(s)
  local known = M.sessions[s.sessionId]
  if known and known.seq >= s.seq then
    return
  end
  M.sessions[s.sessionId] = s
  changed('sessions', s.sessionId)
end

function M.pending()
  local list = {}
  for _, a in pairs(M.approvals) do
    if a.state == 'pending' then
      table.insert(list, a)
    end
  end
  table.sort(list, function(x, y)
    return x.params.createdAt < y.params.createdAt
  end)
  return list
end

function M.running()
  local n = 0
  for _, s in pairs(M.sessions) do
    if not protocol.final_statuses[s.status] then
      n = n + 1
    end
  end
  return n
end

--- Sessions, newest first.
function M.sorted_sessions()
  local list = vim.tbl_values(M.sessions)
  table.sort(list, function(a, b)
    return a.startedAt > b.startedAt
  end)
  return list
end

--- The server stopped: approvals it will re-send when it starts again are forgotten.
function M.reset_approvals()
  for id, a in pairs(M.approvals) do
    if a.state == 'pending' then
      M.approvals[id] = nil
    end
  end
  changed('approvals')
end

return M
