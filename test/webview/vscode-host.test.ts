import * as assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { ApprovalRequestedParams } from '../../server/protocol';
import { launchChromium, screenshot } from '../support/chromium';
import { EditorSide, snapshot } from '../support/editor-side';

function approval(overrides: Partial<ApprovalRequestedParams>): ApprovalRequestedParams {
  return {
    approvalId: 'a-1',
    kind: 'command',
    title: 'Run `npm test` in the sandbox?',
    sessionId: 's-1',
    command: { command: 'npm test', cwd: '/workspaces/app' },
    details: 'The agent wants to run the tests after its change.',
    createdAt: new Date().toISOString(),
    ...overrides,
  };
}

describe('webview in Chromium, VS Code host adapter (built bundle, slow)', function () {
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
  });
  afterEach(async () => {
    await page.close();
    assert.deepEqual(errors, []);
  });

  it('a command card: command and cwd shown; "always allow" approves with scope always', async () => {
    await editor.notify('tandem/session/status', snapshot({ status: 'awaiting_approval' }));
    await editor.notify('tandem/approval/requested', approval({}));
    const card = page.locator('.approval[data-approval-id="a-1"]');
    await card.waitFor();
    assert.equal(await card.locator('.approval-title code').innerText(), 'npm test');
    assert.match(
      await card.locator('.approval-session').innerText(),
      /Fix Pipeline · group\/app pipeline 42/,
    );
    assert.equal(await card.locator('.command').innerText(), 'npm test');
    assert.match(await card.locator('.cwd').innerText(), /\/workspaces\/app/);
    // Not in this conversation: pinned above the chat so it cannot be missed.
    assert.equal(await page.locator('.pinned .approval').count(), 1);
    await screenshot(page, 'vscode-host-command-card');
    await card.locator('vscode-checkbox.always').click();
    await card.locator('.approve').click();
    const respond = await editor.waitForRequest('tandem/approval/respond');
    assert.deepEqual(respond!.params, { approvalId: 'a-1', decision: 'approve', scope: 'always' });
    await editor.respond(respond!.id!, { approvalId: 'a-1', decision: 'approve' });
    await editor.notify('tandem/approval/resolved', {
      approvalId: 'a-1',
      decision: 'approve',
      scope: 'always',
    });
    await page.locator('.pinned').waitFor({ state: 'detached' });
  });

  it('deny with feedback sends the feedback; an answer refused by the server is shown, and the card stays', async () => {
    await editor.notify('tandem/approval/requested', approval({ approvalId: 'a-2' }));
    const card = page.locator('.approval[data-approval-id="a-2"]');
    await card.locator('vscode-textfield.feedback input').fill('Run node --test test/ instead.');
    await card.locator('.deny').click();
    const denied = await editor.answerNext('tandem/approval/respond', null, {
      code: -32602,
      message: 'Approval a-2 was already answered (approve).',
    });
    assert.deepEqual(denied!.params, {
      approvalId: 'a-2',
      decision: 'deny',
      feedback: 'Run node --test test/ instead.',
    });
    await card.locator('.approval-error', { hasText: 'already answered' }).waitFor();
    assert.equal(await card.locator('.approve').count(), 1, 'still answerable until resolved');
    // Settled elsewhere: the pinned card goes (the session's events keep the record).
    await editor.notify('tandem/approval/resolved', { approvalId: 'a-2', decision: 'approve' });
    await card.waitFor({ state: 'detached' });
  });

  it('renders markdown safely: no HTML, no script links, no images; code blocks stay code', async () => {
    await page.locator('vscode-textarea textarea').fill('hello');
    await page.locator('vscode-textarea textarea').press('Enter');
    await editor.answerNext('tandem/chat/send', { conversationId: 'c-1', turnId: 't-1' });
    const base = { conversationId: 'c-1', turnId: 't-1', role: 'assistant' };
    const evil =
      'Hi <img src=x onerror="window.pwned=1"> <script>window.pwned=2</script>\n\n' +
      '[click](javascript:window.pwned=3) ![pic](https://example.com/x.png) ' +
      '[docs](https://docs.gitlab.com)\n\n```js\nconst a = "<b>";\n```';
    await editor.notify('tandem/chat/update', {
      ...base,
      messageId: 'm-1',
      delta: evil.slice(0, 20),
      done: false,
    });
    await page.locator('.message.assistant.streaming').waitFor();
    await editor.notify('tandem/chat/update', {
      ...base,
      messageId: 'm-1',
      delta: evil.slice(20),
      done: false,
    });
    await editor.notify('tandem/chat/update', {
      ...base,
      messageId: 'm-1',
      text: evil,
      done: true,
    });
    const body = page.locator('.message.assistant:not(.streaming) .body');
    await body.waitFor();
    assert.equal(await body.locator('img, script').count(), 0);
    assert.equal(await body.locator('a').count(), 1, 'only the https link is a link');
    assert.equal(await body.locator('a').getAttribute('href'), 'https://docs.gitlab.com');
    assert.equal((await body.locator('pre code').innerText()).trim(), 'const a = "<b>";');
    assert.match(await body.innerText(), /<img src=x/);
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned),
      undefined,
    );
    // A link opens through the editor, not inside the webview.
    await body.locator('a').click();
    const opened = (await editor.posted()).find((p) => p.tandem === 'openLink');
    assert.equal(opened?.url, 'https://docs.gitlab.com/');
  });

  it('a turn error offers "Try again", which sends the question again', async () => {
    await page.locator('vscode-textarea textarea').fill('what is in this MR?');
    await page.locator('vscode-textarea textarea').press('Enter');
    await editor.answerNext('tandem/chat/send', { conversationId: 'c-2', turnId: 't-1' });
    await editor.notify('tandem/chat/update', {
      conversationId: 'c-2',
      turnId: 't-1',
      messageId: 'u-1',
      role: 'user',
      text: 'what is in this MR?',
      done: true,
    });
    await editor.notify('tandem/chat/update', {
      conversationId: 'c-2',
      turnId: 't-1',
      messageId: 'm-2',
      role: 'assistant',
      text: '',
      done: true,
      error: {
        message: 'The model endpoint answered 429 (rate limited) three times.',
        retryable: true,
      },
    });
    await page.locator('.turn-error', { hasText: '429' }).waitFor();
    await screenshot(page, 'vscode-host-turn-error');
    await page.locator('.turn-error vscode-button').click();
    const sends = (await editor.posted()).filter((p) => p.message?.method === 'tandem/chat/send');
    assert.equal(sends.length, 2);
    assert.deepEqual(sends[1].message!.params, {
      conversationId: 'c-2',
      text: 'what is in this MR?',
    });
  });

  it('empty and error states of the sessions page; newest snapshot wins; disconnected banner', async () => {
    await page.locator('.tab[data-page="sessions"]').click();
    await editor.answerNext('tandem/session/list', null, {
      code: -32603,
      message: 'database is locked',
    });
    await page.locator('.error-state', { hasText: 'database is locked' }).waitFor();
    await screenshot(page, 'vscode-host-sessions-error');
    await page.locator('.error-state vscode-button').click();
    await editor.answerNext('tandem/session/list', { sessions: [] });
    await page.locator('[data-empty="sessions"]').waitFor();
    await screenshot(page, 'vscode-host-sessions-empty');

    // A session status arrives: the list shows it without a reload.
    await editor.notify('tandem/session/status', snapshot({ status: 'awaiting_approval' }));
    await page.locator('.session-row.status-awaiting_approval').waitFor();
    // An older snapshot never replaces a newer one.
    await editor.notify('tandem/session/status', snapshot({ seq: 0, status: 'queued' }));
    await editor.notify('tandem/session/status', snapshot({ seq: 2, status: 'completed' }));
    await page.locator('.session-row.status-completed').waitFor();
    assert.equal(await page.locator('.session-row').count(), 1);

    await editor.deliver({
      tandem: 'connection',
      state: { status: 'closed', reason: 'the tandem server exited (code 1)' },
    });
    await page.locator('.banner.error', { hasText: 'server exited' }).waitFor();
    await page.locator('.tab[data-page="chat"]').click();
    await page.locator('vscode-button.send[disabled]').waitFor();
    await screenshot(page, 'vscode-host-disconnected');
  });
});
