import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import type { SessionSnapshot } from '../../server/protocol';
import { launchChromium, screenshot, screenshotPath } from '../support/chromium';
import {
  answerInputBox,
  type CodeServer,
  runCommand,
  startCodeServer,
  webviewFrame,
} from '../support/code-server';
import { DEFAULT_ANSWERS, playRecordedModel } from '../support/recorded-model';
import { MODEL_KEY, type ReviewWorld, startReviewWorld, USERS } from '../support/review-world';
import { tempDir } from '../support/temp-dir';
import { WebviewDriver } from '../support/webview-driver';

const ROOT = path.resolve(__dirname, '..', '..');
const MEANWHILE = 'meanwhile, what does LIMIT do in SQL?';
const LATER = 'later';

/**
 * The extension in real VS Code (code-server 4.100.3, VS Code 1.100.3) with the packaged VSIX
 * installed, driven in Debian's Chromium: the real server, the scripted model and the GitLab
 * stand-in behind it. Secrets go in through the extension's own commands.
 */
describe('VS Code extension end to end: code-server + Chromium (slow)', function () {
  this.timeout(240_000);
  let world: ReviewWorld;
  let tmp: ReturnType<typeof tempDir>;
  let codeServer: CodeServer;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let chat: Frame;
  let holdReviewer = false;
  let holdChat = true;

  before(async () => {
    world = await startReviewWorld();
    tmp = tempDir('tandem-vscode-');
    // The reviewer holds its answer until the chat was asked something else (or while told
    // to): a session is provably running while the screen shows it.
    world.model.respond((request) => {
      if (request.forcedTool !== 'submit_review') return undefined;
      const asked = world.model.requests.some((r) => !r.forcedTool && r.lastUserText === MEANWHILE);
      return asked && !holdReviewer ? undefined : { hang: true };
    });
    // A question ending in "later" is held until the test lets it through (the chat view is
    // hidden by then, so its approval arrives as a notification).
    world.model.respond((request) =>
      !request.forcedTool && request.lastUserText.endsWith(LATER) && holdChat
        ? { hang: true }
        : undefined,
    );
    playRecordedModel(world.model, world.base, world.head);

    execFileSync(process.execPath, ['scripts/package-vsix.mjs'], { cwd: ROOT, stdio: 'pipe' });
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const workspace = path.join(tmp.dir, 'workspace');
    fs.mkdirSync(workspace);
    codeServer = await startCodeServer({
      vsix: path.join(ROOT, `tandem-${manifest.version}.vsix`),
      dir: tmp.dir,
      env: { TANDEM_STATE_DIR: path.join(tmp.dir, 'state'), TANDEM_MODEL: 'scripted' },
      settings: {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'telemetry.telemetryLevel': 'off',
        'extensions.autoCheckUpdates': false,
        'tandem.model.baseUrl': world.model.baseUrl,
        // A held answer is retried every 2 s, up to 10 times: long enough to look at a running
        // session, short enough to move on once the hold is lifted.
        'tandem.model.timeoutMs': 2000,
        'tandem.model.maxRetries': 10,
        'tandem.model.retryBaseMs': 10,
        'tandem.gitlab.url': world.gitlab.url,
      },
    });
    chromium = await launchChromium();
    page = await chromium.browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${codeServer.url}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page
      .locator('.statusbar-item', { hasText: 'tandem' })
      .first()
      .waitFor({ timeout: 60_000 });
  });
  after(async () => {
    await chromium?.close();
    await codeServer?.stop();
    await world?.stop();
    tmp?.cleanup();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page) {
      await screenshot(
        page,
        `vscode-failed-${this.currentTest.title.slice(0, 40).replace(/\W+/g, '-')}`,
      );
      console.log(codeServer?.log().slice(-3000));
    }
  });

  it('stores the model key and GitLab token through its commands (SecretStorage), not settings', async () => {
    await runCommand(page, 'Tandem: Set Model API Key…');
    await answerInputBox(page, MODEL_KEY);
    await runCommand(page, 'Tandem: Set GitLab Token…');
    await answerInputBox(page, USERS.dev.token);
    const settings = fs.readFileSync(
      path.join(tmp.dir, 'user-data', 'User', 'settings.json'),
      'utf8',
    );
    assert.doesNotMatch(settings, new RegExp(MODEL_KEY));
    assert.doesNotMatch(settings, new RegExp(USERS.dev.token));
  });

  it('chat → card with the MR → keyboard approval → running → completed, four states, details', async () => {
    await runCommand(page, 'Tandem: Open Chat');
    chat = await webviewFrame(page);
    await chat.locator('#app[data-connection="open"]').waitFor();
    await chat.locator('[data-empty="chat"]').waitFor();
    await screenshot(page, 'vscode-01-chat-empty');

    const driver = new WebviewDriver(page, chat, world);
    await driver.send(`review ${world.mr.webUrl}`);
    await driver.expectReviewCard();
    await screenshot(page, 'vscode-02-approval-card');
    await driver.approveWithKeyboard();

    await chat.locator('.session-widget[data-status="running"]').waitFor();
    await chat.locator('.message.assistant', { hasText: DEFAULT_ANSWERS.confirmation }).waitFor();
    // The status bar counts the running session.
    await page
      .locator('.statusbar-item', { hasText: /tandem\s+1/ })
      .first()
      .waitFor();
    await screenshot(page, 'vscode-03-widget-running');
    const widget = chat.locator('.session-widget').first();
    const sessionId = (await widget.getAttribute('data-session-id'))!;
    const before = await driver.layout();

    await driver.send(MEANWHILE);
    await chat
      .locator('.message.assistant', { hasText: DEFAULT_ANSWERS.answer(MEANWHILE) })
      .waitFor();
    await chat.locator('.session-widget[data-status="completed"]').waitFor({ timeout: 60_000 });
    await screenshot(page, 'vscode-04-widget-completed');
    // Status changes added nothing to the chat and moved nothing that was there.
    const after = await driver.layout();
    assert.deepEqual(after.slice(0, before.length), before);
    assert.equal(after.length - before.length, 2, 'only the question and its answer were added');

    await driver.addFailedCancelledRunning((on) => (holdReviewer = on));
    // The side bar shows a few items at a time: each widget is pictured on its own too.
    for (const [i, status] of ['completed', 'failed', 'cancelled', 'running'].entries()) {
      await chat.locator('.session-widget').nth(i).scrollIntoViewIfNeeded();
      await chat
        .locator('.session-widget')
        .nth(i)
        .screenshot({ path: screenshotPath(`vscode-05-widget-${i + 1}-${status}`) });
    }
    await screenshot(page, 'vscode-05-four-states');

    await widget.click();
    await chat.locator(`main.details[data-session-id="${sessionId}"]`).waitFor();
    await chat.locator('.steps .step').first().waitFor();
    assert.match(await chat.locator('.details-title').innerText(), /Code Review · group\/app!7/);
    await screenshot(page, 'vscode-06-session-details');
    await chat.locator('main.details .back').click();
  });

  it('the Sessions tree lists them; a click opens the details; the UI command starts a flow', async () => {
    await runCommand(page, 'Tandem: Show Sessions');
    const rows = page.locator('.monaco-list-row', { hasText: 'Code Review · group/app!7' });
    await rows.nth(3).waitFor();
    await screenshot(page, 'vscode-07-sessions-tree');
    await rows.first().click();
    chat = await webviewFrame(page);
    await chat.locator('main.details').waitFor();

    // The UI trigger: "Review Merge Request…" with the reference typed in.
    holdReviewer = false;
    await runCommand(page, 'Tandem: Review Merge Request…');
    await answerInputBox(page, world.mr.webUrl);
    await page.locator('.notifications-toasts', { hasText: 'Code Review started' }).waitFor();
    const started = await waitForSession((s) => s.trigger === 'ui' && s.status === 'completed');
    assert.equal(started.reference.label, 'group/app!7');
  });

  it('an approval while the chat is hidden comes as a notification; Deny there denies it', async () => {
    await runCommand(page, 'Tandem: Open Chat');
    chat = await webviewFrame(page);
    await chat.locator('.tab[data-page="chat"]').click();
    await new WebviewDriver(page, chat, world).send(`review ${world.mr.webUrl} ${LATER}`);
    // Hide the chat, then let the model answer: the approval arrives while it is not in view.
    await runCommand(page, 'View: Show Explorer');
    holdChat = false;
    const toast = page.locator('.notification-toast', {
      hasText: 'tandem asks to start Code Review',
    });
    await toast.waitFor({ timeout: 60_000 });
    await screenshot(page, 'vscode-08-approval-notification');
    await toast.locator('.monaco-button', { hasText: 'Deny' }).click();
    await runCommand(page, 'Tandem: Open Chat');
    chat = await webviewFrame(page);
    await chat.locator('.approval.resolved.deny').last().waitFor();
    await chat
      .locator('.message.assistant', { hasText: 'No problem, I will not run it' })
      .waitFor();
    await screenshot(page, 'vscode-09-denied');
  });

  async function waitForSession(match: (s: SessionSnapshot) => boolean): Promise<SessionSnapshot> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const listed = await chat.evaluate(
        () =>
          (window as unknown as { tandem: { snapshot: { sessions: Record<string, unknown> } } })
            .tandem.snapshot.sessions,
      );
      const found = Object.values(listed as Record<string, SessionSnapshot>).find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error('no such session');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
});
