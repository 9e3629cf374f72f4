-- Options of require('tandem').setup(), with their defaults.
local M = {}

local function plugin_root()
  local source = debug.getinfo(1, 'S').source:sub(2)
  return vim.fn.fnamemodify(source, ':p:h:h:h')
end

--- The server: `tandem` on the PATH, else the repository's build next to this plugin.
local function default_cmd()
  if vim.fn.executable('tandem') == 1 then
    return { 'tandem', 'lsp', '--stdio' }
  end
  local built = vim.fn.fnamemodify(plugin_root() .. '/../../dist/tandem.js', ':p')
  return { 'node', built, 'lsp', '--stdio' }
end

M.defaults = {
  -- How to start the server (a list, as for vim.lsp).
  cmd = nil,
  -- Start the server when the plugin loads; otherwise on the first :Tandem command.
  autostart = true,
  -- Sent to the server as the `tandem` section of workspace/configuration
  -- (model = { baseUrl, name, ... }, gitlab = { url }, sandbox = { ... }).
  settings = {},
  -- Secrets, read when the server asks for its settings: functions returning the value, so
  -- they need not sit in your config (e.g. function() return vim.env.GITLAB_TOKEN end).
  secrets = { model_api_key = nil, gitlab_token = nil },
  chat = {
    -- How :Tandem chat opens the chat: 'vsplit', 'split', 'tab' or 'current'.
    open = 'vsplit',
    width = 80,
  },
  -- Ask for approvals with vim.ui.select as soon as they arrive.
  prompt_approvals = true,
}

M.options = vim.deepcopy(M.defaults)

function M.set(opts)
  M.options = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts or {})
  if not M.options.cmd then
    M.options.cmd = default_cmd()
  end
  return M.options
end

M.plugin_root = plugin_root

return M
