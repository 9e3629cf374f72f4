-- The Checkpoints section of a session's details buffer, and restoring one: the checkpoint under
-- the cursor (confirmed with vim.ui.select), or the checkpoint a restore kept, to undo it.
local client = require('tandem.client')
local protocol = require('tandem.protocol')
local state = require('tandem.state')

local M = {
  -- sessionId -> { checkpointId, undoCheckpointId }: the last restore made here.
  restored = {},
  -- sessionId -> true: every checkpoint listed, not only finished steps, restores, file changes.
  show_all = {},
}

local KIND = {
  step_started = 'step started',
  step = 'step done',
  model = 'model answer',
  tool = 'tool',
  undo = 'before restore',
  restore = 'restored',
}

-- The server refuses to restore these: the session must be cancelled first.
local BUSY = { queued = true, running = true, awaiting_approval = true }

local function value(v)
  if v == vim.NIL then
    return nil
  end
  return v
end

--- Newest first. A tool's checkpoint changed files when its worktree commit differs from the one
--- before; those, finished steps, restores and the states kept before them are `notable`.
function M.rows(checkpoints)
  local rows, worktree = {}, nil
  for _, c in ipairs(checkpoints or {}) do
    local commit = value(c.worktree)
    local changed = c.kind == 'tool' and commit ~= nil and commit ~= worktree
    worktree = commit or worktree
    local notable = changed or c.kind == 'step' or c.kind == 'undo' or c.kind == 'restore'
    table.insert(rows, 1, { checkpoint = c, changed = changed, notable = notable })
  end
  return rows
end

local function highlight(row)
  if row.checkpoint.kind == 'restore' then
    return 'TandemRunning'
  elseif row.checkpoint.kind == 'undo' then
    return 'TandemWaiting'
  elseif not row.notable then
    return 'TandemMuted'
  end
end

--- Adds the section to a details buffer: `add(text, hl)` adds a line, `mark(what)` tags the line
--- just added (`{ checkpoint = c }` for R, `{ undo = id }` for u).
function M.section(d, add, mark)
  local s = d.session
  local checkpoints = d.checkpoints or {}
  local all = M.show_all[s.sessionId]
  add(('Checkpoints (%d, newest first)'):format(#checkpoints), 'TandemHeading')
  local restored = M.restored[s.sessionId]
  if restored then
    add(
      ('  Restored checkpoint %s — u here undoes it (restores checkpoint %s)'):format(
        restored.checkpointId,
        restored.undoCheckpointId
      ),
      'TandemCompleted'
    )
    mark({ undo = restored.undoCheckpointId })
  end
  if BUSY[s.status] and #checkpoints > 0 then
    add('  A queued, running or waiting session cannot be restored: cancel it first.', 'TandemMuted')
  end
  if #checkpoints == 0 then
    add('  None yet: one is taken as each step starts and ends, and after each model answer and tool.', 'TandemMuted')
  end
  local hidden = 0
  for _, row in ipairs(M.rows(checkpoints)) do
    if not row.notable then
      hidden = hidden + 1
    end
    if all or row.notable then
      local c = row.checkpoint
      local step = (value(c.step) or ''):gsub('_', ' ')
      add(
        ('  #%-4s %s  %-14s %-20s %s'):format(
          c.checkpointId,
          c.at:sub(12, 19),
          row.changed and 'files changed' or KIND[c.kind] or c.kind,
          step,
          (c.label:gsub('\n', ' '))
        ),
        highlight(row)
      )
      mark({ checkpoint = c })
    end
  end
  if hidden > 0 then
    add(
      all and '  (a: only finished steps, restores and file changes)'
        or ('  (a: all %d, with step starts, model answers and tools that changed no file)'):format(#checkpoints),
      'TandemMuted'
    )
  end
end

--- Restores a checkpoint now; `done(err, result)` runs after the answer (to redraw).
function M.restore(session_id, checkpoint_id, done)
  client.request(
    protocol.methods.session_restore,
    { sessionId = session_id, checkpointId = checkpoint_id },
    function(err, result)
      if err then
        vim.notify(
          ('tandem: could not restore checkpoint %s: %s'):format(checkpoint_id, err.message or tostring(err)),
          vim.log.levels.ERROR
        )
      else
        M.restored[session_id] = { checkpointId = checkpoint_id, undoCheckpointId = result.undoCheckpointId }
        vim.notify(
          ('tandem: restored checkpoint %s; the session is %s until you resume it. Undo: u on the "Restored" line of its details, or :Tandem restore %s %s'):format(
            checkpoint_id,
            result.status,
            session_id,
            result.undoCheckpointId
          )
        )
      end
      if done then
        done(err, result)
      end
    end
  )
end

--- Asks before restoring checkpoint `c` of a session (R in the details buffer).
function M.confirm(session_id, c, done)
  local s = state.sessions[session_id]
  if s and BUSY[s.status] then
    vim.notify(
      ('tandem: the session is %s: cancel it first (:Tandem cancel), then restore a checkpoint'):format(
        (s.status:gsub('_', ' '))
      ),
      vim.log.levels.WARN
    )
    return
  end
  vim.ui.select({ 'Restore', 'Keep the current state' }, {
    prompt = ('Restore checkpoint %s (%s)?\n'):format(c.checkpointId, c.label)
      .. 'The session’s worktree and conversation go back to this point and it waits for you to '
      .. 'resume it. The current state is kept as a checkpoint, so this can be undone.',
    kind = 'tandem.restore',
  }, function(choice)
    if choice == 'Restore' then
      M.restore(session_id, c.checkpointId, done)
    end
  end)
end

return M
