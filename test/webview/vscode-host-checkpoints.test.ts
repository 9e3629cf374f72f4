import * as assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { SessionCheckpoint, SessionGetResult, SessionSnapshot } from '../../server/protocol';
import { launchChromium, screenshot } from '../support/chromium';
import { EditorSide, snapshot } from '../support/editor-side';

const at = (second: number) => new Date(Date.UTC(2026, 0, 5, 9, 30, second)).toISOString();
const INJECTED = '<img src=x onerror="window.pwned=1">';

/** A Fix Pipeline run: steps, model answers, a read-only tool, a tool that changed files. */
const CHECKPOINTS: SessionCheckpoint[] = [
  {
    checkpointId: '1',
    at: at(0),
    kind: 'step_started',
    label: 'Step reproduce started',
    step: 'reproduce',
  },
  {
    checkpointId: '2',
    at: at(4),
    kind: 'step',
    label: 'After step reproduce',
    step: 'reproduce',
    worktree: 'a1',
  },
  {
    checkpointId: '3',
    at: at(5),
    kind: 'step_started',
    label: 'Step fix started',
    step: 'fix',
    worktree: 'a1',
  },
  {
    checkpointId: '4',
    at: at(7),
    kind: 'model',
    label: 'fix round 1: read_file',
    step: 'fix',
    worktree: 'a1',
  },
  {
    checkpointId: '5',
    at: at(8),
    kind: 'tool',
    label: 'read_file (3 ms)',
    step: 'fix',
    worktree: 'a1',
  },
  {
    checkpointId: '6',
    at: at(10),
    kind: 'model',
    label: 'fix round 2: write_file',
    step: 'fix',
    worktree: 'a1',
  },
  {
    checkpointId: '7',
    at: at(11),
    kind: 'tool',
    label: `write_file ${INJECTED} (5 ms)`,
    step: 'fix',
    worktree: 'b2',
  },
  {
    checkpointId: '8',
    at: at(15),
    kind: 'tool',
    label: 'run_command (3204 ms)',
    step: 'fix',
    worktree: 'b2',
  },
  {
    checkpointId: '9',
    at: at(16),
    kind: 'step',
    label: 'After step fix',
    step: 'fix',
    worktree: 'b2',
  },
];

/** What a restore of checkpoint 2 adds: the state before it, then the state it put back. */
const AFTER_RESTORE: SessionCheckpoint[] = [
  ...CHECKPOINTS,
  {
    checkpointId: '10',
    at: at(40),
    kind: 'undo',
    label: 'Before restoring checkpoint 2 (completed)',
    step: 'fix',
    worktree: 'b2',
  },
  {
    checkpointId: '11',
    at: at(40),
    kind: 'restore',
    label: 'Restored checkpoint 2: After step reproduce',
    step: 'reproduce',
    worktree: 'a1',
  },
];

function details(session: SessionSnapshot, checkpoints = CHECKPOINTS): SessionGetResult {
  return {
    session,
    steps: [
      { name: 'reproduce', status: 'completed', startedAt: at(0), endedAt: at(4) },
      { name: 'fix', status: 'completed', startedAt: at(5), endedAt: at(16) },
    ],
    events: [],
    metrics: {
      durationMs: 16_000,
      modelMs: 4_000,
      modelCalls: 2,
      promptTokens: 1200,
      completionTokens: 300,
    },
    checkpoints,
  };
}

const completed = (seq: number) =>
  snapshot({
    seq,
    status: 'completed',
    step: undefined,
    result: { summary: 'The `test` job passes again.', links: [] },
  });

describe('webview in Chromium, session checkpoints (VS Code host adapter, built bundle, slow)', function () {
  this.timeout(60_000);
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let editor: EditorSide;
  let errors: string[];

  before(async () => {
    chromium = await launchChromium();
  });
  after(async () => {
    await chromium?.close();
  });
  beforeEach(async () => {
    page = await chromium.browser.newPage({ viewport: { width: 480, height: 900 } });
    errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    editor = await EditorSide.open(page);
    // VS Code's body class for a dark theme (it sets the colours too; the page's fallbacks are
    // dark ones), so the screenshots show the page as it looks in the editor.
    await page.evaluate(() => document.body.classList.add('vscode-dark'));
  });
  afterEach(async () => {
    await page.close();
    assert.deepEqual(errors, []);
  });

  /** Opens the session's details as the editor's Sessions tree does, answered with `data`. */
  async function openDetails(data: SessionGetResult): Promise<void> {
    await editor.notify('tandem/session/status', data.session);
    await editor.deliver({ tandem: 'reveal', sessionId: data.session.sessionId, source: 'list' });
    await editor.answerNext('tandem/session/get', data);
    await page.locator('.checkpoints .checkpoint').first().waitFor();
  }

  const listed = () =>
    page.$$eval('.checkpoint', (items) => items.map((i) => i.getAttribute('data-checkpoint-id')));
  const focused = () =>
    page.evaluate(() => {
      const el = document.activeElement;
      const row = el?.closest('[data-checkpoint-id]')?.getAttribute('data-checkpoint-id');
      return `${el?.className ?? ''}${row ? ` #${row}` : ''}`;
    });

  it('lists steps, restores and file changes newest first; the rest behind a toggle; labels stay text', async () => {
    await openDetails(details(completed(1)));
    assert.deepEqual(await listed(), ['9', '7', '2']);
    const changed = page.locator('.checkpoint[data-checkpoint-id="7"]');
    assert.equal(await changed.locator('.checkpoint-kind').innerText(), 'FILES CHANGED');
    assert.equal(
      await changed.locator('.checkpoint-label').innerText(),
      `write_file ${INJECTED} (5 ms)`,
    );
    assert.equal(await page.locator('.checkpoints img').count(), 0);
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned),
      undefined,
    );
    assert.match(await changed.locator('.checkpoint-meta').innerText(), /#7\s+fix\s+\S+/);

    const toggle = page.locator('.checkpoints-toggle');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    await toggle.focus();
    await page.keyboard.press('Enter');
    await page.locator('.checkpoint[data-checkpoint-id="1"]').waitFor();
    assert.deepEqual(await listed(), ['9', '8', '7', '6', '5', '4', '3', '2', '1']);
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    await screenshot(page, 'vscode-host-checkpoints-all', '.checkpoints');
    await page.keyboard.press('Enter');
    await page.locator('.checkpoint[data-checkpoint-id="1"]').waitFor({ state: 'detached' });
  });

  it('Restore is disabled, with the reason, while the session runs; enabled once it ended', async () => {
    await openDetails(details(snapshot({ status: 'running', step: 'fix' })));
    const restores = page.locator('.checkpoint .restore');
    assert.equal(await restores.count(), 3);
    for (const button of await restores.all()) {
      assert.equal(await button.getAttribute('disabled'), '');
    }
    assert.match(
      (await page.locator('.checkpoint .checkpoint-action').first().getAttribute('title')) ?? '',
      /cannot be restored: cancel it first/,
    );
    await page.locator('.checkpoints-blocked', { hasText: 'cancel it first' }).waitFor();
    await screenshot(page, 'vscode-host-checkpoints-running', '.checkpoints');

    await editor.notify('tandem/session/status', completed(2));
    await editor.answerNext('tandem/session/get', details(completed(2)));
    await page.locator('.checkpoints-blocked').waitFor({ state: 'detached' });
    for (const button of await restores.all()) {
      assert.equal(await button.getAttribute('disabled'), null);
    }
  });

  it('restore: confirmed inline, the refusal shown, then done with an Undo that restores the state before', async () => {
    await openDetails(details(completed(1)));
    const row = page.locator('.checkpoint[data-checkpoint-id="2"]');

    // Keyboard: Restore asks, Escape keeps the current state and gives the focus back.
    await row.locator('.restore').focus();
    await page.keyboard.press('Enter');
    await row.locator('.checkpoint-confirm').waitFor();
    assert.match(await row.locator('.checkpoint-confirm').innerText(), /Restore checkpoint 2\?/);
    await screenshot(page, 'vscode-host-checkpoints-confirm', '.checkpoints');
    await page.waitForFunction(() => document.activeElement?.classList.contains('confirm-restore'));
    await page.keyboard.press('Escape');
    await row.locator('.checkpoint-confirm').waitFor({ state: 'detached' });
    await page.waitForFunction(() => document.activeElement?.classList.contains('restore'));
    assert.equal(await focused(), 'restore #2');

    // Confirmed; another editor started the session again meanwhile, so the server refuses.
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.classList.contains('confirm-restore'));
    await page.keyboard.press('Enter');
    const refused = await editor.answerNext('tandem/session/restore', null, {
      code: -32603,
      message: 'Session s-1 is running: cancel it first, then restore a checkpoint.',
    });
    assert.deepEqual(refused!.params, { sessionId: 's-1', checkpointId: '2' });
    const error = page.locator('.checkpoint-error[role="alert"]');
    await error.waitFor();
    assert.equal(
      (await error.innerText()).trim(),
      'Could not restore checkpoint 2: Session s-1 is running: cancel it first, then restore a checkpoint.',
    );
    await editor.answerNext('tandem/session/get', details(completed(2)));

    // Again, with the mouse: done. The session waits at the checkpoint for a Resume answer.
    await row.locator('.restore').click();
    await row.locator('.checkpoint-confirm .confirm-restore').click();
    const restore = await editor.waitForRequest('tandem/session/restore');
    assert.deepEqual(restore!.params, { sessionId: 's-1', checkpointId: '2' });
    await page.locator('.checkpoint-outcome', { hasText: 'Restoring checkpoint 2' }).waitFor();
    await editor.respond(restore!.id!, {
      sessionId: 's-1',
      status: 'interrupted',
      checkpointId: '11',
      undoCheckpointId: '10',
    });
    const restored = page.locator('.checkpoint-restored');
    await restored.waitFor();
    assert.match(await restored.innerText(), /Restored checkpoint 2 —\s*Undo/);
    assert.equal(await page.locator('.checkpoint-error').count(), 0);
    await page.waitForFunction(() => document.activeElement?.classList.contains('undo'));

    const interrupted = snapshot({ seq: 3, status: 'interrupted', step: undefined });
    await editor.notify('tandem/session/status', interrupted);
    await editor.notify('tandem/approval/requested', {
      approvalId: 'a-resume',
      kind: 'tool',
      title: `Resume session “${interrupted.title}” after step reproduce?`,
      sessionId: 's-1',
      details:
        'The session stopped at checkpoint 11 (Restored checkpoint 2: After step reproduce). Resuming continues from there, with its worktree and conversation as they were. Deny to leave it stopped.',
      createdAt: new Date().toISOString(),
    });
    await editor.answerNext('tandem/session/get', details(interrupted, AFTER_RESTORE));
    await page.locator('.checkpoint.kind-restore[data-checkpoint-id="11"]').waitFor();
    assert.deepEqual(await listed(), ['11', '10', '9', '7', '2']);
    assert.equal(
      await page.locator('.checkpoint[data-checkpoint-id="10"] .checkpoint-kind').innerText(),
      'BEFORE A RESTORE',
    );
    await page.locator('main.details .approval[data-approval-id="a-resume"]').waitFor();
    await screenshot(page, 'vscode-host-checkpoints-restored');
    await screenshot(page, 'vscode-host-checkpoints-section', '.checkpoints');

    // Undo restores the checkpoint taken just before the restore.
    await restored.locator('.undo').click();
    const undo = await editor.waitForRequest('tandem/session/restore');
    assert.deepEqual(undo!.params, { sessionId: 's-1', checkpointId: '10' });
    await editor.respond(undo!.id!, {
      sessionId: 's-1',
      status: 'interrupted',
      checkpointId: '13',
      undoCheckpointId: '12',
    });
    await page.locator('.checkpoint-restored', { hasText: 'Restored checkpoint 10' }).waitFor();
  });
});
