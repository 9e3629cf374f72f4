-- tandem for Neovim: chat, approvals and live sessions of the tandem language server.
-- The plugin only renders what the server says over the protocol; it holds no agent logic.
local M = {}

local configured = false

--- Sets the options (see :help tandem-options) and, unless autostart is false, starts the server.
function M.setup(opts)
  local config = require('tandem.config')
  config.set(opts)
  configured = true
  require('tandem.view').define_highlights()
  local client = require('tandem.client')
  table.insert(client.on_notification, function(method)
    if method == require('tandem.protocol').methods.approval_requested and config.options.prompt_approvals then
      vim.schedule(require('tandem.approvals').next)
    end
  end)
  if config.options.autostart then
    client.start()
  end
end

local function ensure()
  if not configured then
    M.setup({})
  end
  require('tandem.client').start()
end

--- For the statusline: running sessions and approvals waiting, '' when there are none.
function M.status()
  local state = require('tandem.state')
  local running, pending = state.running(), #state.pending()
  if running == 0 and pending == 0 then
    return ''
  end
  local parts = {}
  if running > 0 then
    table.insert(parts, ('%d running'):format(running))
  end
  if pending > 0 then
    table.insert(parts, ('%d to approve'):format(pending))
  end
  return 'tandem: ' .. table.concat(parts, ', ')
end

local function start_flow(flow, ref)
  if not ref or ref == '' then
    vim.notify(('tandem: give a reference, e.g. :Tandem %s group/app!7'):format(flow), vim.log.levels.ERROR)
    return
  end
  local protocol = require('tandem.protocol')
  require('tandem.client').request(protocol.methods.flow_start, {
    flow = flow,
    reference = ref,
    trigger = 'ui',
  }, function(err, result)
    if err then
      vim.notify('tandem: ' .. (err.message or tostring(err)), vim.log.levels.ERROR)
      return
    end
    vim.notify(('tandem: %s started: session %s (:Tandem sessions)'):format(protocol.flow_names[flow], result.sessionId))
  end)
end

M.commands = {
  chat = function()
    require('tandem.chat').open()
  end,
  new = function()
    require('tandem.chat').new()
    require('tandem.chat').open()
  end,
  sessions = function()
    require('tandem.sessions').list()
  end,
  approvals = function()
    require('tandem.approvals').next()
  end,
  ['fix-pipeline'] = function(ref)
    start_flow('fix_pipeline', ref)
  end,
  implement = function(ref)
    start_flow('implement_issue', ref)
  end,
  review = function(ref)
    start_flow('code_review', ref)
  end,
  cancel = function(id)
    if id == '' then
      id = require('tandem.sessions').under_cursor()
    end
    if not id then
      vim.notify('tandem: :Tandem cancel {session id}, or run it on a session line', vim.log.levels.ERROR)
      return
    end
    local protocol = require('tandem.protocol')
    require('tandem.client').request(protocol.methods.session_cancel, { sessionId = id }, function(err, result)
      if err then
        vim.notify('tandem: ' .. (err.message or tostring(err)), vim.log.levels.ERROR)
      elseif not result.cancelled then
        vim.notify(('tandem: the session had already ended (%s)'):format(result.status))
      end
    end)
  end,
  restore = function(args)
    local sessions = require('tandem.sessions')
    local id, checkpoint = args:match('^(%S+)%s+(%S+)$')
    if id then
      sessions.restore(id, checkpoint)
      return
    end
    local buf = vim.api.nvim_get_current_buf()
    local session = args == '' and sessions.under_cursor()
    if not session or sessions.open_details[session] ~= buf then
      vim.notify(
        'tandem: :Tandem restore {session id} {checkpoint id}, or run it on a checkpoint line of the details',
        vim.log.levels.ERROR
      )
      return
    end
    sessions.restore_under_cursor(buf, session)
  end,
  log = function()
    vim.cmd('edit ' .. vim.fn.fnameescape(vim.lsp.get_log_path()))
  end,
  restart = function()
    local client = require('tandem.client')
    client.stop()
    vim.defer_fn(client.start, 500)
  end,
}

--- :Tandem {subcommand} [args]
function M.command(args)
  ensure()
  local name, rest = args:match('^%s*(%S+)%s*(.-)%s*$')
  local run = M.commands[name or 'chat']
  if not run then
    vim.notify('tandem: unknown command ' .. tostring(name) .. '; see :help tandem-commands', vim.log.levels.ERROR)
    return
  end
  run(rest)
end

function M.complete(arg_lead)
  local names = vim.tbl_keys(M.commands)
  table.sort(names)
  return vim.tbl_filter(function(n)
    return n:sub(1, #arg_lead) == arg_lead
  end, names)
end

return M
