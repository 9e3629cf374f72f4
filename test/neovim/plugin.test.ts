import * as assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { attach, type NeovimClient } from 'neovim';
import { DEFAULT_ANSWERS, playRecordedModel } from '../support/recorded-model';
import { type ReviewWorld, startReviewWorld } from '../support/review-world';
import { tempDir } from '../support/temp-dir';

const PLUGIN = path.resolve(__dirname, '..', '..', 'clients', 'neovim');
const NVIM = process.env.TANDEM_NVIM ?? 'nvim';
const MEANWHILE = 'meanwhile, what does LIMIT do in SQL?';
const RESULTS = path.resolve(__dirname, '..', '..', 'test-results');

/**
 * Prints captured text under the test and keeps it in test-results/ (the neovim client replaces
 * console.log, so this writes to stdout itself).
 */
function show(title: string, lines: string[]): void {
  process.stdout.write(`      ${title}\n${lines.map((l) => `      | ${l}`).join('\n')}\n`);
  fs.mkdirSync(RESULTS, { recursive: true });
  const file = `neovim-${title.replace(/\W+/g, '-').replace(/^-|-$/g, '')}.txt`;
  fs.writeFileSync(path.join(RESULTS, file), `${lines.join('\n')}\n`);
}

/**
 * The Neovim plugin in a real `nvim --embed` (Debian's 0.7.2 in CI), against the real server
 * with the scripted model and the GitLab stand-in. vim.ui.select is played by the test, as a
 * UI plugin would: it records each prompt and answers it.
 */
describe('Neovim plugin end to end: nvim --embed, real server (slow)', function () {
  this.timeout(120_000);
  let world: ReviewWorld;
  let tmp: ReturnType<typeof tempDir>;
  let proc: ChildProcess;
  let nvim: NeovimClient;
  let holdReviewer = false;

  before(async () => {
    world = await startReviewWorld();
    tmp = tempDir('tandem-nvim-');
    world.model.respond((request) => {
      if (request.forcedTool !== 'submit_review') return undefined;
      const asked = world.model.requests.some((r) => !r.forcedTool && r.lastUserText === MEANWHILE);
      return asked && !holdReviewer ? undefined : { hang: true };
    });
    playRecordedModel(world.model, world.base, world.head);
    proc = spawn(NVIM, ['--embed', '--headless', '-u', 'NONE', '-i', 'NONE', '-n'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: tmp.dir,
        XDG_STATE_HOME: path.join(tmp.dir, 'state'),
        XDG_CACHE_HOME: path.join(tmp.dir, 'cache'),
        ...world.env(path.join(tmp.dir, 'tandem')),
      },
      cwd: tmp.dir,
    });
    nvim = attach({ proc });
    await nvim.command(`set rtp^=${PLUGIN}`);
    // No "Press ENTER" prompt may ever wait for a key in a test.
    await nvim.command('set shortmess+=F cmdheight=10 nomore');
    await nvim.command('runtime plugin/tandem.lua');
    await nvim.lua(`
      _G.prompts = {}
      vim.ui.select = function(items, opts, on_choice)
        table.insert(_G.prompts, { items = items, prompt = opts.prompt, answer = on_choice })
      end
      require('tandem').setup({
        settings = { model = { retryBaseMs = 10, timeoutMs = 2000, maxRetries = 10 } },
        chat = { open = 'current' },
      })
    `);
  });
  after(async () => {
    if (proc && proc.exitCode === null) {
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      await nvim.lua(`require('tandem.client').stop()`).catch(() => undefined);
      void nvim.command('qa!').catch(() => undefined);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (proc.exitCode === null) proc.kill();
    }
    await world?.stop();
    tmp?.cleanup();
  });

  /** Polls a Lua expression until `ok` says so. */
  async function until<T>(
    expr: string,
    ok: (v: T) => boolean,
    what: string,
    ms = 30_000,
  ): Promise<T> {
    const deadline = Date.now() + ms;
    let last: T | undefined;
    for (;;) {
      last = (await nvim.lua(`return ${expr}`)) as T;
      if (ok(last)) return last;
      if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const chatLines = () =>
    nvim.lua(
      `return vim.api.nvim_buf_get_lines(require('tandem.chat').buf, 0, -1, false)`,
    ) as Promise<string[]>;
  const waitForLine = (pattern: RegExp, what: string, ms?: number) =>
    until<string[]>(
      `vim.api.nvim_buf_get_lines(require('tandem.chat').buf, 0, -1, false)`,
      (lines) => lines.some((l) => pattern.test(l)),
      what,
      ms,
    );
  /** Types a message at the chat's prompt and presses <CR>. */
  async function type(text: string) {
    await nvim.command('startinsert!');
    await nvim.input(`${text.replace(/</g, '<lt>')}<CR>`);
  }
  const prompts = () => nvim.lua('return #_G.prompts') as Promise<number>;
  async function answer(choice: string) {
    await nvim.lua(`local p = _G.prompts[#_G.prompts]; p.answer('${choice}', 1)`);
  }

  it(':checkhealth tandem reports the server, Node.js, Docker, the model and GitLab', async () => {
    await nvim.command('checkhealth tandem');
    const lines = (await nvim.buffer.lines) as string[];
    const text = lines.join('\n');
    show(':checkhealth tandem', lines);
    assert.match(text, /OK:? command: node .*dist\/tandem\.js lsp --stdio/);
    assert.match(text, /OK:? Node\.js v\d+/);
    assert.match(text, /model: http:\/\/127\.0\.0\.1:\d+/);
    assert.match(text, /GitLab: http:\/\/127\.0\.0\.1:\d+ \(token set\)/);
    await nvim.command('bwipeout!');
  });

  it('chat → approval prompt with flow and reference → approve → running → completed → details', async () => {
    await nvim.command('Tandem chat');
    await type(`review ${world.mr.webUrl}`);
    await until<number>('#_G.prompts', (n) => n === 1, 'the approval prompt');
    const prompt = (await nvim.lua(
      'return { items = _G.prompts[1].items, prompt = _G.prompts[1].prompt }',
    )) as { items: string[]; prompt: string };
    assert.deepEqual(prompt.items, ['Approve', 'Deny']);
    assert.match(prompt.prompt, /^Start Code Review\?/);
    assert.match(prompt.prompt, new RegExp(`merge request group/app!7  ${world.mr.webUrl}`));
    await answer('Approve');
    await waitForLine(/^● Code Review · group\/app!7 {2}Running/, 'a running widget');
    await waitForLine(new RegExp(DEFAULT_ANSWERS.confirmation.slice(0, 30)), 'the confirmation');
    const before = await chatLines();
    const widgetLine = before.findIndex((l) => l.startsWith('● Code Review'));
    assert.equal(await nvim.lua(`return require('tandem').status()`), 'tandem: 1 running');

    // A second message while the session runs is answered; the widget line stays where it is.
    await type(MEANWHILE);
    await waitForLine(/Here is a short answer from the recorded model/, 'the second answer');
    const after = await waitForLine(
      /^✓ Code Review · group\/app!7 {2}Completed/,
      'completed',
      60_000,
    );
    assert.equal(
      after.findIndex((l) => l.startsWith('✓ Code Review')),
      widgetLine,
    );
    assert.deepEqual(after.slice(0, widgetLine), before.slice(0, widgetLine));

    // <CR> on the widget opens the session's details.
    await nvim.command('stopinsert');
    await nvim.call('cursor', [widgetLine + 1, 1]);
    await nvim.input('<CR>');
    const details = await until<string[]>(
      `vim.api.nvim_buf_get_lines(0, 0, -1, false)`,
      (l) => l.includes('Metrics') && l.includes('Steps'),
      'the details buffer',
    );
    assert.match(details.join('\n'), /Result\nReviewed 2 files of group\/app!7: 5 findings/);
    assert.match(details.join('\n'), /completed +fetch merge request/);
    await nvim.lua(`
      _G.telemetry = nil
      require('tandem.client').request('tandem/telemetry/summary', vim.empty_dict(), function(err, result)
        _G.telemetry = result or { error = err }
      end)
    `);
    const telemetry = await until<{ widgetClickThrough?: { numerator: number } } | null>(
      '_G.telemetry',
      (v) => !!v,
      'the telemetry summary',
    );
    assert.equal(telemetry?.widgetClickThrough?.numerator, 1, JSON.stringify(telemetry));
    await nvim.command('buffer tandem://chat');
  });

  it('shows each state on its own highlighted line: completed, failed, cancelled, running', async () => {
    const approveReview = async (count: number) => {
      const n = await prompts();
      await type(`review ${world.mr.webUrl}`);
      await until<number>('#_G.prompts', (v) => v === n + 1, 'the approval prompt');
      await answer('Approve');
      await until<number>(
        `#vim.tbl_keys(require('tandem.chat').line_sessions)`,
        (v) => v === count,
        `widget ${count}`,
      );
    };
    world.gitlab.failNext({ path: /merge_requests\/7\/versions$/, status: 500, times: 100 });
    await approveReview(2);
    await waitForLine(/^✗ Code Review · group\/app!7 {2}Failed/, 'failed', 60_000);
    world.gitlab.clearFailures();
    holdReviewer = true;
    await approveReview(3);
    await waitForLine(/^● .*Running/, 'third running');
    const third = (await nvim.lua(
      `for line, id in pairs(require('tandem.chat').line_sessions) do if require('tandem.state').sessions[id].status == 'running' then return id end end`,
    )) as string;
    await nvim.command(`Tandem cancel ${third}`);
    await waitForLine(/^⊘ Code Review · group\/app!7 {2}Cancelled/, 'cancelled');
    await approveReview(4);
    const lines = await waitForLine(/^● .*Running/, 'fourth running');
    const widgets = lines.filter((l) => /^[✓✗⊘●] Code Review/.test(l));
    assert.deepEqual(
      widgets.map((l) => l[0]),
      ['✓', '✗', '⊘', '●'],
    );
    const groups = (await nvim.lua(`
      local chat = require('tandem.chat')
      local out = {}
      for _, m in ipairs(vim.api.nvim_buf_get_extmarks(chat.buf, require('tandem.view').ns, 0, -1, { details = true })) do
        if chat.line_sessions[m[2] + 1] then table.insert(out, m[4].hl_group) end
      end
      return out
    `)) as string[];
    assert.deepEqual(groups, [
      'TandemCompleted',
      'TandemFailed',
      'TandemCancelled',
      'TandemRunning',
    ]);
    show('chat buffer (nvim_buf_get_lines)', lines);
    holdReviewer = false;
  });

  it('deny: the chat says so and the model is told', async () => {
    await nvim.command('Tandem new');
    const n = await prompts();
    await type(`review ${world.mr.webUrl}`);
    await until<number>('#_G.prompts', (v) => v === n + 1, 'the approval prompt');
    await answer('Deny');
    await waitForLine(/^\[approval\] Code Review group\/app!7 — denied/, 'the denial');
    await waitForLine(/No problem, I will not run it/, 'the answer after the denial');
  });

  it('re-shows a pending approval after the server restarts, and approving it then works', async () => {
    await nvim.command('Tandem new');
    const n = await prompts();
    await type(`review ${world.mr.webUrl}`);
    await until<number>('#_G.prompts', (v) => v === n + 1, 'the approval prompt');
    // Not answered; the client and its server restart.
    await nvim.lua(`require('tandem.approvals').open = nil`);
    await nvim.command('Tandem restart');
    await until<number>('#_G.prompts', (v) => v === n + 2, 'the prompt again after the restart');
    const again = (await nvim.lua('return _G.prompts[#_G.prompts].prompt')) as string;
    assert.match(again, /^Start Code Review\?/);
    await answer('Approve');
    await until<boolean>(
      `(function() for _, s in pairs(require('tandem.state').sessions) do if s.status == 'completed' and s.trigger == 'chat' and s.seq > 0 then end end return require('tandem.client').running() end)()`,
      (v) => v === true,
      'the client running again',
    );
    await until<number>(
      `#vim.tbl_filter(function(s) return s.status == 'completed' end, vim.tbl_values(require('tandem.state').sessions))`,
      (v) => v >= 2,
      'the approved session completing',
      60_000,
    );
  });

  it('details: checkpoints newest first; R restores the one under the cursor after a prompt, u undoes it; a refusal is reported', async () => {
    // A review of its own, started by command: the chat's sessions are done with by now.
    await nvim.command(`Tandem review ${world.mr.webUrl}`);
    const sessionId = (await until<string | null>(
      `(function() for id, s in pairs(require('tandem.state').sessions) do if s.trigger == 'ui' and s.status == 'completed' then return id end end end)()`,
      (v) => typeof v === 'string',
      'the review completing',
      60_000,
    )) as string;
    // What the plugin reports and the restores it sends, recorded (the server answers them).
    await nvim.lua(`
      _G.notes = {}
      vim.notify = function(msg, level)
        table.insert(_G.notes, { msg = msg, level = level or vim.log.levels.INFO })
      end
      _G.restores = {}
      local client = require('tandem.client')
      local request = client.request
      client.request = function(method, params, callback)
        if method == require('tandem.protocol').methods.session_restore then
          table.insert(_G.restores, params)
        end
        return request(method, params, callback)
      end
    `);
    const note = (pattern: RegExp, what: string) =>
      until<{ msg: string; level: number }[]>(
        '_G.notes',
        (notes) => notes.some((n) => pattern.test(n.msg)),
        what,
      ).then((notes) => notes.find((n) => pattern.test(n.msg))!);
    const detailsLines = () =>
      nvim.lua(`return vim.api.nvim_buf_get_lines(0, 0, -1, false)`) as Promise<string[]>;
    /** The checkpoint lines: id, kind, then the step and the label, in the buffer's order. */
    const listed = (lines: string[]) =>
      lines.flatMap((l) => {
        const m =
          /^ {2}#(\d+) +\d\d:\d\d:\d\d {2}(step started|step done|model answer|tool|files changed|before restore|restored) +(.*)$/.exec(
            l,
          );
        return m ? [{ id: Number(m[1]), kind: m[2], text: m[3] }] : [];
      });
    const cursorOn = async (pattern: RegExp) => {
      const lines = await detailsLines();
      const index = lines.findIndex((l) => pattern.test(l));
      assert.ok(index >= 0, `no line matches ${pattern}`);
      await nvim.call('cursor', [index + 1, 1]);
    };

    await nvim.command('stopinsert');
    await nvim.lua(`require('tandem.sessions').details(...)`, [sessionId]);
    let lines = await until<string[]>(
      'vim.api.nvim_buf_get_lines(0, 0, -1, false)',
      (l) => l.some((x) => x.startsWith('Checkpoints (')),
      'the details with checkpoints',
    );
    assert.match(lines[0], /R restore the checkpoint under the cursor, u undo a restore/);
    const finished = listed(lines);
    const steps = ['post_summary', 'post_comments', 'review', 'read_files', 'fetch_merge_request'];
    assert.deepEqual(
      finished.map((c) => c.kind),
      steps.map(() => 'step done'),
    );
    steps.forEach((step, i) =>
      assert.match(
        finished[i].text,
        new RegExp(`^${step.replace(/_/g, ' ')} +After step ${step}$`),
      ),
    );
    assert.deepEqual(
      finished.map((c) => c.id),
      [...finished.map((c) => c.id)].sort((a, b) => b - a),
      'newest first',
    );
    // a: every checkpoint, step starts too; a again: the finished steps only.
    await nvim.input('a');
    lines = await until<string[]>(
      'vim.api.nvim_buf_get_lines(0, 0, -1, false)',
      (l) => listed(l).some((c) => c.kind === 'step started'),
      'all checkpoints',
    );
    assert.ok(listed(lines).length > finished.length);
    await nvim.input('a');
    await until<string[]>(
      'vim.api.nvim_buf_get_lines(0, 0, -1, false)',
      (l) => listed(l).length === finished.length,
      'the finished steps only',
    );

    // R on "After step review": asked first, then restored on the real server.
    const target = finished[steps.indexOf('review')];
    await cursorOn(/After step review$/);
    const before = await prompts();
    await nvim.input('R');
    await until<number>('#_G.prompts', (n) => n === before + 1, 'the restore prompt');
    const asked = (await nvim.lua(
      'return { items = _G.prompts[#_G.prompts].items, prompt = _G.prompts[#_G.prompts].prompt }',
    )) as { items: string[]; prompt: string };
    assert.deepEqual(asked.items, ['Restore', 'Keep the current state']);
    assert.match(
      asked.prompt,
      new RegExp(`^Restore checkpoint ${target.id} \\(After step review\\)\\?`),
    );
    assert.match(asked.prompt, /can be undone/);
    await answer('Restore');
    const restored = await note(
      new RegExp(`^tandem: restored checkpoint ${target.id}; the session is interrupted`),
      'the restore reported',
    );
    const undoId = /:Tandem restore \S+ (\d+)$/.exec(restored.msg)![1];
    assert.ok(restored.msg.includes(`:Tandem restore ${sessionId} ${undoId}`), restored.msg);
    assert.deepEqual(await nvim.lua('return _G.restores'), [
      { sessionId, checkpointId: String(target.id) },
    ]);

    // The server asks whether the session resumes from there; not now.
    await until<number>('#_G.prompts', (n) => n === before + 2, 'the resume question');
    assert.match(
      (await nvim.lua('return _G.prompts[#_G.prompts].prompt')) as string,
      /^Resume session .*after step review\?/,
    );
    await answer('Deny');
    lines = await until<string[]>(
      'vim.api.nvim_buf_get_lines(0, 0, -1, false)',
      (l) =>
        l.some((x) => x.includes(`Restored checkpoint ${target.id} — u here undoes it`)) &&
        listed(l).some((c) => c.kind === 'restored'),
      'the restore in the details',
    );
    show('session details after a restore', lines);
    const [newest, kept] = listed(lines);
    assert.equal(newest.kind, 'restored');
    assert.match(newest.text, new RegExp(`Restored checkpoint ${target.id}: After step review$`));
    assert.deepEqual([kept.id, kept.kind], [Number(undoId), 'before restore']);

    // u on the "Restored" line puts back the state the restore kept.
    await cursorOn(/^ {2}Restored checkpoint \d+ — u here undoes it/);
    await nvim.input('u');
    await note(new RegExp(`^tandem: restored checkpoint ${undoId};`), 'the undo reported');
    assert.deepEqual(await nvim.lua('return _G.restores[2]'), {
      sessionId,
      checkpointId: undoId,
    });
    await until<number>('#_G.prompts', (n) => n === before + 3, 'the resume question again');
    await answer('Deny');

    // The server's refusal is reported as an error.
    await nvim.command(`Tandem restore ${sessionId} 999`);
    const refused = await note(/could not restore checkpoint 999/, 'the refusal');
    assert.match(refused.msg, /has no checkpoint 999/);
    assert.equal(refused.level, 4); // vim.log.levels.ERROR
  });
});
