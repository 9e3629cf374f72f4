-- Approval prompts through vim.ui.select / vim.ui.input, so the user's UI plugins (telescope,
-- dressing, fzf-lua …) show them. One prompt at a time, oldest first.
local client = require('tandem.client')
local protocol = require('tandem.protocol')
local state = require('tandem.state')

local M = { open = nil }

local CHOICES = {
  flow = { 'Approve', 'Deny' },
  command = { 'Approve', 'Always allow this command', 'Deny', 'Deny with feedback…' },
  tool = { 'Approve', 'Deny', 'Deny with feedback…' },
}

--- What the prompt says: the flow and its reference, or the command and where it runs.
function M.describe(p)
  local lines = {}
  if p.kind == 'flow' and p.flow then
    table.insert(lines, ('Start %s?'):format(p.flow.name))
  else
    table.insert(lines, p.title)
  end
  if p.reference then
    table.insert(lines, ('%s %s  %s'):format(p.reference.kind:gsub('_', ' '), p.reference.label, p.reference.url))
  end
  if p.command then
    table.insert(lines, ('$ %s'):format(p.command.command))
    table.insert(lines, ('in %s'):format(p.command.cwd))
  end
  if p.details and p.details ~= '' then
    table.insert(lines, p.details)
  end
  return lines
end

local function respond(p, decision, extra)
  local params = vim.tbl_extend('force', { approvalId = p.approvalId, decision = decision }, extra or {})
  -- Answered here: not asked again while the server settles it.
  local a = state.approvals[p.approvalId]
  if a and a.state == 'pending' then
    a.state = 'answering'
  end
  client.request(protocol.methods.approval_respond, params, function(err)
    if err then
      if a and a.state == 'answering' then
        a.state = 'pending'
      end
      vim.notify('tandem: ' .. (err.message or tostring(err)), vim.log.levels.WARN)
    end
  end)
end

--- Asks about the oldest pending approval, then the next.
function M.next()
  if M.open then
    return
  end
  local pending = state.pending()
  if #pending == 0 then
    return
  end
  local p = pending[1].params
  M.open = p.approvalId
  local choices = CHOICES[p.kind] or CHOICES.tool
  vim.ui.select(choices, {
    prompt = table.concat(M.describe(p), '\n'),
    kind = 'tandem.approval',
  }, function(choice)
    local function done()
      M.open = nil
      vim.schedule(M.next)
    end
    local a = state.approvals[p.approvalId]
    if not choice then
      -- Dismissed: it stays pending (:Tandem approvals asks again).
      M.open = nil
      return
    end
    if not a or a.state ~= 'pending' then
      vim.notify('tandem: that approval was already answered', vim.log.levels.INFO)
      return done()
    end
    if choice == 'Approve' then
      respond(p, 'approve')
    elseif choice == 'Always allow this command' then
      respond(p, 'approve', { scope = 'always' })
    elseif choice == 'Deny' then
      respond(p, 'deny')
    else
      vim.ui.input({ prompt = 'What should the agent do instead? ' }, function(feedback)
        if feedback and feedback ~= '' then
          respond(p, 'deny', { feedback = feedback })
        else
          respond(p, 'deny')
        end
        done()
      end)
      return
    end
    done()
  end)
end

return M
