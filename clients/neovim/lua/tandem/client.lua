-- The LSP client: starts the tandem server, advertises what this client renders, and turns the
-- server's tandem/* notifications into state changes. vim.lsp.start where Neovim has it
-- (0.8+), vim.lsp.start_client otherwise (0.7).
local config = require('tandem.config')
local protocol = require('tandem.protocol')
local state = require('tandem.state')

local M = { id = nil, on_notification = {} }

local function log(msg, level)
  vim.schedule(function()
    vim.notify('tandem: ' .. msg, level or vim.log.levels.INFO)
  end)
end

--- The settings section the server asks for, with the secrets filled in at that moment.
local function settings_section()
  local section = vim.deepcopy(config.options.settings or {})
  local secrets = config.options.secrets or {}
  local function value(v)
    if type(v) == 'function' then
      local ok, result = pcall(v)
      return ok and result or nil
    end
    return v
  end
  local key, token = value(secrets.model_api_key), value(secrets.gitlab_token)
  if key and key ~= '' then
    section.model = section.model or {}
    section.model.apiKey = key
  end
  if token and token ~= '' then
    section.gitlab = section.gitlab or {}
    section.gitlab.token = token
  end
  return section
end

local handlers = {}

handlers[protocol.methods.chat_update] = function(_, params)
  state.chat_update(params)
end
handlers[protocol.methods.approval_requested] = function(_, params)
  local new = state.approval_requested(params)
  if new then
    for _, f in ipairs(M.on_notification) do
      f(protocol.methods.approval_requested, params)
    end
  end
end
handlers[protocol.methods.approval_resolved] = function(_, params)
  state.approval_resolved(params)
end
handlers[protocol.methods.session_status] = function(_, params)
  state.session_status(params)
end
handlers['workspace/configuration'] = function(_, params)
  local result = {}
  for i, item in ipairs(params.items or {}) do
    result[i] = item.section == 'tandem' and settings_section() or vim.NIL
  end
  return result
end

function M.client()
  return M.id and vim.lsp.get_client_by_id(M.id) or nil
end

function M.running()
  local c = M.client()
  return c ~= nil and not c.is_stopped()
end

function M.start()
  if M.running() then
    return M.id
  end
  local opts = config.options
  local capabilities = vim.lsp.protocol.make_client_capabilities()
  capabilities.experimental = {
    tandem = { protocolVersion = protocol.version, approvals = true, sessionWidget = true },
  }
  capabilities.workspace = capabilities.workspace or {}
  capabilities.workspace.configuration = true
  capabilities.window = capabilities.window or {}
  capabilities.window.workDoneProgress = true
  local lsp_config = {
    name = 'tandem',
    cmd = opts.cmd,
    root_dir = vim.loop.cwd(),
    capabilities = capabilities,
    handlers = handlers,
    settings = {},
    on_exit = function(code, signal)
      M.id = nil
      vim.schedule(function()
        state.reset_approvals()
        if code ~= 0 then
          log(('the server exited (code %s, signal %s); see :Tandem log'):format(code, signal), vim.log.levels.WARN)
        end
      end)
    end,
  }
  if vim.lsp.start then
    -- 0.8+: reuses a running client of the same name and root.
    M.id = vim.lsp.start(lsp_config, { bufnr = vim.api.nvim_get_current_buf() })
  else
    M.id = vim.lsp.start_client(lsp_config)
  end
  if not M.id then
    log('could not start the server: ' .. table.concat(opts.cmd, ' '), vim.log.levels.ERROR)
  end
  return M.id
end

function M.stop()
  local c = M.client()
  if c then
    c.stop()
  end
  M.id = nil
end

--- Sends a request; `callback(err, result)` runs on the main loop.
function M.request(method, params, callback)
  if not M.start() then
    if callback then
      callback({ message = 'the tandem server is not running' })
    end
    return
  end
  local c = M.client()
  c.request(method, params, function(err, result)
    if callback then
      callback(err, result)
    end
  end)
end

function M.notify(method, params)
  local c = M.client()
  if c then
    c.notify(method, params)
  end
end

return M
