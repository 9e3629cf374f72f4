-- :checkhealth tandem
local M = {}

-- vim.health (0.8+) or the older health module (0.7).
local health = vim.health or require('health')
local start = health.start or health.report_start
local ok = health.ok or health.report_ok
local warn = health.warn or health.report_warn
local error = health.error or health.report_error
local info = health.info or health.report_info

local function run(cmd)
  local out = vim.fn.system(cmd)
  return vim.v.shell_error == 0, vim.trim(out)
end

function M.check()
  local config = require('tandem.config')
  local opts = config.options.cmd and config.options or config.set({})
  start('tandem: server')
  local cmd = opts.cmd
  local program = cmd[1]
  if vim.fn.executable(program) == 1 then
    ok(('command: %s'):format(table.concat(cmd, ' ')))
  else
    error(('%s is not executable'):format(program), { 'Install Node.js 20+, or set cmd in setup()' })
  end
  if program == 'node' and cmd[2] and vim.fn.filereadable(cmd[2]) == 0 then
    error(('the server is not built: %s is missing'):format(cmd[2]), { 'Run `npm ci && npm run build` in the tandem repository' })
  end
  local has_node, version = run({ 'node', '--version' })
  local major = tonumber((version or ''):match('^v(%d+)'))
  if has_node and major and major >= 20 then
    ok('Node.js ' .. version)
  elseif has_node then
    error('Node.js ' .. version .. ' is too old', { 'tandem needs Node.js 20 or newer' })
  else
    error('Node.js not found', { 'Install Node.js 20 or newer' })
  end
  local client = require('tandem.client')
  if client.running() then
    ok('the server is running (client id ' .. client.id .. ')')
  else
    info('the server is not running yet (it starts with :Tandem)')
  end

  start('tandem: sandbox')
  local docker_ok, docker_out = run({ 'docker', 'info', '--format', '{{.ServerVersion}}' })
  if docker_ok then
    ok('Docker is reachable (server ' .. docker_out .. ')')
  else
    warn('Docker is not reachable: Fix Pipeline and Implement Issue need it', { 'Start the Docker daemon; Code Review works without it' })
  end

  start('tandem: model and GitLab')
  local settings = opts.settings or {}
  local model_url = (settings.model or {}).baseUrl or vim.env.OPENAI_BASE_URL
  local model_key = opts.secrets and opts.secrets.model_api_key or vim.env.OPENAI_API_KEY
  if model_url or model_key then
    ok('model: ' .. (model_url or 'https://api.openai.com/v1') .. (model_key and ' (key set)' or ' (no key: fine for local servers)'))
  else
    warn('no model configured', { 'Set settings.model.baseUrl in setup(), or OPENAI_BASE_URL / OPENAI_API_KEY' })
  end
  local gitlab_url = (settings.gitlab or {}).url or vim.env.GITLAB_URL or 'https://gitlab.com'
  local gitlab_token = opts.secrets and opts.secrets.gitlab_token or vim.env.GITLAB_TOKEN
  if gitlab_token then
    ok('GitLab: ' .. gitlab_url .. ' (token set)')
  else
    warn('GitLab: ' .. gitlab_url .. ' without a token: only local flows can run', { 'Set secrets.gitlab_token in setup(), or GITLAB_TOKEN' })
  end
end

return M
