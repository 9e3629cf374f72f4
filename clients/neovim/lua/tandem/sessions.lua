-- :Tandem sessions (every session, newest first) and a session's details buffer (steps,
-- checkpoints, events, result links, metrics), refreshed while it runs.
local checkpoints = require('tandem.checkpoints')
local client = require('tandem.client')
local protocol = require('tandem.protocol')
local state = require('tandem.state')
local view = require('tandem.view')

-- details_marks: details buffer -> { [line] = { checkpoint = c } or { undo = id } }
local M = { list_buf = nil, list_lines = {}, open_details = {}, details_marks = {} }

local DETAILS_HELP = 'tandem session  (r reload, R restore the checkpoint under the cursor, u undo a restore, a all checkpoints)'

local function ms(v)
  if v == nil then
    return '–'
  end
  return v < 1000 and (v .. ' ms') or ('%.2f s'):format(v / 1000)
end

function M.render_list()
  local buf = M.list_buf
  if not buf or not vim.api.nvim_buf_is_valid(buf) then
    return
  end
  local lines, hls, ids = { 'tandem sessions  (<CR> details, r reload)', '' }, {}, {}
  table.insert(hls, { 0, 'TandemHeading' })
  local sessions = state.sorted_sessions()
  if #sessions == 0 then
    table.insert(lines, 'No sessions yet: approve a flow in :Tandem chat, or :Tandem review {ref}.')
    table.insert(hls, { 2, 'TandemMuted' })
  end
  for _, s in ipairs(sessions) do
    local text, hl = view.session_line(s)
    table.insert(lines, text .. '  (' .. s.startedAt:sub(12, 19) .. ')')
    table.insert(hls, { #lines - 1, hl })
    ids[#lines] = s.sessionId
  end
  view.set_lines(buf, 0, -1, lines)
  vim.api.nvim_buf_clear_namespace(buf, view.ns, 0, -1)
  for _, h in ipairs(hls) do
    vim.api.nvim_buf_add_highlight(buf, view.ns, h[2], h[1], 0, -1)
  end
  M.list_lines = ids
end

function M.reload()
  client.request(protocol.methods.session_list, { limit = 200 }, function(err, result)
    if err then
      vim.notify('tandem: could not list sessions: ' .. (err.message or ''), vim.log.levels.ERROR)
      return
    end
    for _, s in ipairs(result.sessions) do
      state.session_status(s)
    end
    M.render_list()
  end)
end

function M.list()
  local buf = view.scratch('tandem://sessions', 'tandem-sessions')
  vim.api.nvim_buf_set_option(buf, 'modifiable', false)
  M.list_buf = buf
  local function map(lhs, fn, desc)
    vim.api.nvim_buf_set_keymap(buf, 'n', lhs, '', { noremap = true, silent = true, callback = fn, desc = desc })
  end
  map('<CR>', function()
    local id = M.list_lines[vim.api.nvim_win_get_cursor(0)[1]]
    if id then
      M.details(id, 'list')
    end
  end, 'tandem: open the session')
  map('r', M.reload, 'tandem: reload the sessions')
  view.show(buf, 'split')
  M.render_list()
  M.reload()
end

--- The session of the line under the cursor (chat widget, sessions list) or of the details buffer.
function M.under_cursor()
  local buf = vim.api.nvim_get_current_buf()
  local line = vim.api.nvim_win_get_cursor(0)[1]
  if buf == M.list_buf then
    return M.list_lines[line]
  end
  local chat = require('tandem.chat')
  if buf == chat.buf then
    return chat.line_sessions[line]
  end
  for id, b in pairs(M.open_details) do
    if b == buf then
      return id
    end
  end
end

--- The lines of a session's details, their highlights, and what R and u act on, by line.
function M.details_lines(d)
  local s = d.session
  local lines, hls, marks = {}, {}, {}
  local function add(text, hl)
    for i, l in ipairs(vim.split(text, '\n', { plain = true })) do
      table.insert(lines, (i == 1 and '' or '  ') .. l)
      if hl then
        table.insert(hls, { #lines - 1, hl })
      end
    end
  end
  local function mark(what)
    marks[#lines] = what
  end
  add(DETAILS_HELP, 'TandemHeading')
  add('')
  local text, hl = view.session_line(s)
  add(text, hl)
  add(('%s %s  %s'):format(s.reference.kind:gsub('_', ' '), s.reference.label, s.reference.url), 'TandemMuted')
  add(('started %s · trigger %s · step %s'):format(s.startedAt, s.trigger, s.step or '–'), 'TandemMuted')
  if s.error then
    add('')
    add('Error: ' .. s.error, 'TandemError')
  end
  if s.result then
    add('')
    add('Result', 'TandemHeading')
    add(s.result.summary)
    for _, link in ipairs(s.result.links or {}) do
      add(('  %s: %s'):format(link.label, link.url))
    end
  end
  add('')
  add('Steps', 'TandemHeading')
  for _, step in ipairs(d.steps) do
    add(('  %-10s %s'):format(step.status, step.name:gsub('_', ' ')))
  end
  add('')
  checkpoints.section(d, add, mark)
  local m = d.metrics
  add('')
  add('Metrics', 'TandemHeading')
  add(('  duration %s · model %s (%d calls) · tokens %d/%d'):format(ms(m.durationMs), ms(m.modelMs), m.modelCalls, m.promptTokens, m.completionTokens))
  add(('  tools %s (%d calls) · sandbox %s · waiting for you %s'):format(ms(m.toolMs), m.toolCalls or 0, ms(m.sandboxExecMs), ms(m.approvalWaitMs)))
  add('')
  add(('Events (%d)'):format(#d.events), 'TandemHeading')
  for _, e in ipairs(d.events) do
    add(('  %s %-14s %s'):format(e.at:sub(12, 19), e.type, (e.message:gsub('\n', ' '))))
  end
  return lines, hls, marks
end

local function fill(buf, session_id)
  client.request(protocol.methods.session_get, { sessionId = session_id }, function(err, d)
    if not vim.api.nvim_buf_is_valid(buf) then
      return
    end
    if err then
      view.set_lines(buf, 0, -1, { 'Could not load the session: ' .. (err.message or '') })
      return
    end
    state.session_status(d.session)
    local lines, hls, marks = M.details_lines(d)
    M.details_marks[buf] = marks
    view.set_lines(buf, 0, -1, lines)
    vim.api.nvim_buf_clear_namespace(buf, view.ns, 0, -1)
    for _, h in ipairs(hls) do
      vim.api.nvim_buf_add_highlight(buf, view.ns, h[2], h[1], 0, -1)
    end
  end)
end

--- Redraws a session's details buffer, if it is open.
function M.refresh(session_id)
  local buf = M.open_details[session_id]
  if buf and vim.api.nvim_buf_is_valid(buf) then
    fill(buf, session_id)
  end
end

--- Restores a checkpoint of a session without asking (:Tandem restore {id} {checkpoint}).
function M.restore(session_id, checkpoint_id)
  checkpoints.restore(session_id, checkpoint_id, function()
    M.refresh(session_id)
  end)
end

--- What the cursor's line of a details buffer stands for (see details_marks).
local function mark_under_cursor(buf)
  local marks = M.details_marks[buf] or {}
  return marks[vim.api.nvim_win_get_cursor(0)[1]]
end

--- R: asks, then restores the checkpoint under the cursor.
function M.restore_under_cursor(buf, session_id)
  local what = mark_under_cursor(buf)
  if not what or not what.checkpoint then
    vim.notify('tandem: put the cursor on a checkpoint line (under Checkpoints) to restore it', vim.log.levels.WARN)
    return
  end
  checkpoints.confirm(session_id, what.checkpoint, function()
    M.refresh(session_id)
  end)
end

--- u: on the "Restored checkpoint" line, restores the state that restore kept.
function M.undo_under_cursor(buf, session_id)
  local what = mark_under_cursor(buf)
  if not what or not what.undo then
    vim.notify('tandem: u undoes a restore on its "Restored checkpoint" line', vim.log.levels.WARN)
    return
  end
  M.restore(session_id, what.undo)
end

--- Opens a session's details and tells the server (click-through telemetry).
function M.details(session_id, source)
  client.notify(protocol.methods.session_opened, { sessionId = session_id, source = source or 'list' })
  local buf = view.scratch('tandem://session/' .. session_id, 'tandem-session')
  vim.api.nvim_buf_set_option(buf, 'modifiable', false)
  local function map(lhs, fn, desc)
    vim.api.nvim_buf_set_keymap(buf, 'n', lhs, '', { noremap = true, silent = true, callback = fn, desc = desc })
  end
  map('r', function()
    fill(buf, session_id)
  end, 'tandem: reload')
  map('R', function()
    M.restore_under_cursor(buf, session_id)
  end, 'tandem: restore the checkpoint under the cursor')
  map('u', function()
    M.undo_under_cursor(buf, session_id)
  end, 'tandem: undo the restore on this line')
  map('a', function()
    checkpoints.show_all[session_id] = not checkpoints.show_all[session_id] or nil
    fill(buf, session_id)
  end, 'tandem: all checkpoints, or only the notable ones')
  M.open_details[session_id] = buf
  view.show(buf, 'split')
  view.set_lines(buf, 0, -1, { 'Loading the session…' })
  fill(buf, session_id)
  return buf
end

-- A session's change redraws the list and, a moment later (changes come in bursts), its open
-- details buffer.
local pending_refresh = {}
state.subscribe(function(what, id)
  if what ~= 'sessions' then
    return
  end
  vim.schedule(function()
    M.render_list()
    local buf = id and M.open_details[id]
    if buf and vim.api.nvim_buf_is_valid(buf) and not pending_refresh[id] then
      pending_refresh[id] = true
      vim.defer_fn(function()
        pending_refresh[id] = nil
        fill(buf, id)
      end, 200)
    end
  end)
end)

return M
