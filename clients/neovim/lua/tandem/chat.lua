-- The chat buffer: the conversation above a prompt line (a 'prompt' buffer: <CR> in insert
-- mode sends). Session widgets are single lines updated in place, highlighted by state; <CR>
-- on one opens the session's details. Status changes never add lines to the conversation.
local client = require('tandem.client')
local config = require('tandem.config')
local protocol = require('tandem.protocol')
local state = require('tandem.state')
local view = require('tandem.view')

local M = { buf = nil, line_sessions = {}, scheduled = false }

local NAME = 'tandem://chat'

local function split(text)
  return vim.split(text ~= '' and text or ' ', '\n', { plain = true })
end

--- The conversation as lines, with highlights and which line is which session.
function M.lines()
  local lines, highlights, sessions = {}, {}, {}
  local function add(text, hl)
    table.insert(lines, text)
    if hl then
      table.insert(highlights, { #lines - 1, hl })
    end
  end
  if not state.conversation_id then
    add('Ask tandem about your code, or hand work to a flow:', 'TandemMuted')
    add('  review group/app!7 · fix the pipeline <url> · implement #12', 'TandemMuted')
    add('Nothing starts without your approval. Type below and press <CR>.', 'TandemMuted')
    return lines, highlights, sessions
  end
  for _, item in ipairs(state.items) do
    if item.conversation_id == state.conversation_id then
      if item.kind == 'approval' then
        local a = state.approvals[item.id]
        if a then
          local p = a.params
          local what = p.flow and p.flow.name or p.title
          local ref = p.reference and (' ' .. p.reference.label) or ''
          local outcome = a.state == 'pending' and 'waiting for you (:Tandem approvals)'
            or a.state == 'answering' and 'answering…'
            or a.state == 'approve' and 'approved'
            or ('denied' .. (a.reason and (': ' .. a.reason) or ''))
          add(('[approval] %s%s — %s'):format(what, ref, outcome), 'TandemApproval')
        end
      elseif item.session_id then
        local s = state.sessions[item.session_id]
        if s then
          local text, hl = view.session_line(s)
          add(text, hl)
        else
          add('… session ' .. item.session_id, 'TandemQueued')
        end
        sessions[#lines] = item.session_id
      elseif item.role == 'user' then
        for i, l in ipairs(split(item.text)) do
          add((i == 1 and 'You: ' or '     ') .. l, 'TandemUser')
        end
      else
        local text = item.text .. (item.done and '' or ' ▍')
        for i, l in ipairs(split(text)) do
          add((i == 1 and 'tandem: ' or '        ') .. l, 'TandemAssistant')
        end
        if item.error then
          add('  ✗ ' .. item.error.message, 'TandemError')
        end
      end
      add('')
    end
  end
  return lines, highlights, sessions
end

function M.render()
  M.scheduled = false
  local buf = M.buf
  if not buf or not vim.api.nvim_buf_is_valid(buf) then
    return
  end
  local lines, highlights, sessions = M.lines()
  local count = vim.api.nvim_buf_line_count(buf)
  -- Everything above the prompt line (the last line) is the conversation.
  vim.api.nvim_buf_set_lines(buf, 0, count - 1, false, lines)
  vim.api.nvim_buf_clear_namespace(buf, view.ns, 0, -1)
  for _, h in ipairs(highlights) do
    vim.api.nvim_buf_add_highlight(buf, view.ns, h[2], h[1], 0, -1)
  end
  M.line_sessions = sessions
  local win = vim.fn.bufwinid(buf)
  if win ~= -1 and vim.api.nvim_get_current_win() ~= win then
    vim.api.nvim_win_set_cursor(win, { vim.api.nvim_buf_line_count(buf), 0 })
  end
end

function M.schedule()
  if M.scheduled then
    return
  end
  M.scheduled = true
  vim.schedule(M.render)
end

function M.send(text)
  if not text or vim.trim(text) == '' then
    return
  end
  client.request(protocol.methods.chat_send, {
    conversationId = state.conversation_id,
    text = text,
  }, function(err, result)
    if err then
      vim.notify('tandem: not sent: ' .. (err.message or tostring(err)), vim.log.levels.ERROR)
      return
    end
    state.conversation_id = result.conversationId
    M.schedule()
  end)
end

--- <CR> in normal mode: a widget opens its session.
function M.open_under_cursor()
  local line = vim.api.nvim_win_get_cursor(0)[1]
  local session_id = M.line_sessions[line]
  if session_id then
    require('tandem.sessions').details(session_id, 'widget')
  end
end

function M.buffer()
  if M.buf and vim.api.nvim_buf_is_valid(M.buf) then
    return M.buf
  end
  local buf = view.scratch(NAME, 'tandem-chat')
  vim.api.nvim_buf_set_option(buf, 'buftype', 'prompt')
  vim.fn.prompt_setprompt(buf, '> ')
  vim.fn.prompt_setcallback(buf, function(text)
    M.send(text)
  end)
  vim.api.nvim_buf_set_keymap(buf, 'n', '<CR>', '', {
    noremap = true,
    silent = true,
    callback = M.open_under_cursor,
    desc = 'tandem: open the session under the cursor',
  })
  M.buf = buf
  M.render()
  return buf
end

function M.open()
  local buf = M.buffer()
  local opts = config.options.chat
  view.show(buf, opts.open, opts.width)
  vim.api.nvim_win_set_option(0, 'wrap', true)
  vim.api.nvim_win_set_option(0, 'number', false)
  vim.cmd('startinsert')
end

function M.new()
  state.conversation_id = nil
  M.schedule()
end

state.subscribe(function()
  M.schedule()
end)

return M
