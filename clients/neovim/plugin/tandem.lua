if vim.g.loaded_tandem then
  return
end
vim.g.loaded_tandem = true

vim.api.nvim_create_user_command('Tandem', function(opts)
  require('tandem').command(opts.args)
end, {
  nargs = '*',
  desc = 'tandem: chat, approvals and sessions (:help tandem)',
  complete = function(arg_lead, cmdline)
    if cmdline:match('^%s*Tandem%s+%S+%s') then
      return {}
    end
    return require('tandem').complete(arg_lead)
  end,
})
