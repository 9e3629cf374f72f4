-- Shared bits of the plugin's buffers: status looks and highlight groups.
local protocol = require('tandem.protocol')

local M = {}

M.look = {
  queued = { label = 'Queued', icon = '…', hl = 'TandemQueued' },
  running = { label = 'Running', icon = '●', hl = 'TandemRunning' },
  awaiting_approval = { label = 'Waiting for your approval', icon = '?', hl = 'TandemWaiting' },
  completed = { label = 'Completed', icon = '✓', hl = 'TandemCompleted' },
  failed = { label = 'Failed', icon = '✗', hl = 'TandemFailed' },
  cancelled = { label = 'Cancelled', icon = '⊘', hl = 'TandemCancelled' },
  interrupted = { label = 'Interrupted', icon = '‖', hl = 'TandemQueued' },
}

M.ns = vim.api.nvim_create_namespace('tandem')

--- Highlight groups, linked by default so colour schemes can override them.
function M.define_highlights()
  local links = {
    TandemRunning = 'DiagnosticInfo',
    TandemCompleted = 'String',
    TandemFailed = 'DiagnosticError',
    TandemCancelled = 'Comment',
    TandemQueued = 'Comment',
    TandemWaiting = 'DiagnosticWarn',
    TandemUser = 'Title',
    TandemAssistant = 'Normal',
    TandemApproval = 'DiagnosticWarn',
    TandemError = 'DiagnosticError',
    TandemHeading = 'Title',
    TandemMuted = 'Comment',
  }
  for group, target in pairs(links) do
    vim.cmd(('highlight default link %s %s'):format(group, target))
  end
end

--- One line for a session: icon, flow, reference, status, step or outcome.
function M.session_line(s)
  local look = M.look[s.status] or M.look.queued
  local detail = ''
  if s.status == 'failed' and s.error then
    detail = ' — ' .. s.error
  elseif s.status == 'completed' and s.result then
    detail = ' — ' .. s.result.summary
  elseif s.step and not protocol.final_statuses[s.status] then
    detail = ' — ' .. s.step:gsub('_', ' ')
  end
  local line = ('%s %s · %s  %s%s'):format(look.icon, protocol.flow_names[s.flow] or s.flow, s.reference.label, look.label, detail)
  return (line:gsub('\n', ' ')), look.hl
end

--- A scratch buffer with a name, reused when it exists.
function M.scratch(name, filetype)
  local existing = vim.fn.bufnr(name)
  if existing ~= -1 and vim.api.nvim_buf_is_valid(existing) then
    return existing
  end
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_name(buf, name)
  vim.api.nvim_buf_set_option(buf, 'filetype', filetype)
  vim.api.nvim_buf_set_option(buf, 'bufhidden', 'hide')
  vim.api.nvim_buf_set_option(buf, 'swapfile', false)
  return buf
end

function M.show(buf, how, width)
  local win = vim.fn.bufwinid(buf)
  if win ~= -1 then
    vim.api.nvim_set_current_win(win)
    return win
  end
  if how == 'vsplit' then
    vim.cmd('botright vsplit')
    if width then
      vim.cmd('vertical resize ' .. width)
    end
  elseif how == 'split' then
    vim.cmd('botright split')
  elseif how == 'tab' then
    vim.cmd('tabnew')
  end
  vim.api.nvim_win_set_buf(0, buf)
  return vim.api.nvim_get_current_win()
end

--- Replaces a buffer's lines (it may be read-only to the user).
function M.set_lines(buf, first, last, lines)
  local modifiable = vim.api.nvim_buf_get_option(buf, 'modifiable')
  vim.api.nvim_buf_set_option(buf, 'modifiable', true)
  vim.api.nvim_buf_set_lines(buf, first, last, false, lines)
  vim.api.nvim_buf_set_option(buf, 'modifiable', modifiable)
end

return M
