import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import type { SessionSnapshot, WebviewInfoResult } from '../../server/protocol';
import { launchChromium, screenshot } from '../support/chromium';
import { ProtocolClient } from '../support/protocol-client';
import { DEFAULT_ANSWERS, playRecordedModel } from '../support/recorded-model';
import { type ReviewWorld, startReviewWorld } from '../support/review-world';
import { tempDir } from '../support/temp-dir';
import { WebviewDriver } from '../support/webview-driver';

const MEANWHILE = 'meanwhile, what does LIMIT do in SQL?';

describe('webview in Chromium, served by the server’s endpoint (real server, slow)', function () {
  this.timeout(120_000);
  let world: ReviewWorld;
  let tmp: ReturnType<typeof tempDir>;
  let client: ProtocolClient;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let browser: Browser;
  let url: string;
  let origin: string;
  let holdReviewer = false;

  before(async () => {
    world = await startReviewWorld();
    tmp = tempDir();
    // The reviewer holds its answer until the chat was asked something else: the session is
    // provably running while the page shows it, whatever the machine's speed.
    world.model.respond((request) => {
      if (request.forcedTool !== 'submit_review') return undefined;
      const asked = world.model.requests.some((r) => !r.forcedTool && r.lastUserText === MEANWHILE);
      return asked && !holdReviewer ? undefined : { hang: true };
    });
    playRecordedModel(world.model, world.base, world.head);
    // The editor here shows no approvals; the page does.
    client = await ProtocolClient.start({
      env: world.env(tmp.dir),
      settings: { model: { retryBaseMs: 10, timeoutMs: 2000, maxRetries: 10 } },
      tandem: { protocolVersion: 1, approvals: false, sessionWidget: true },
    });
    url = (await client.request<WebviewInfoResult>('tandem/webview/info', {})).url;
    origin = new URL(url).origin;
    chromium = await launchChromium();
    browser = chromium.browser;
  });
  after(async () => {
    await chromium?.close();
    await client?.stop();
    await world?.stop();
    tmp?.cleanup();
  });

  const openPage = async (): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 520, height: 1100 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    (page as Page & { errors?: string[] }).errors = errors;
    await page.goto(url);
    await page.waitForSelector('#app[data-connection="open"]');
    return page;
  };

  it('refuses the page and its files without the token, and a WebSocket from another origin', async () => {
    const page = await browser.newPage();
    const bare = await page.goto(`${origin}/`);
    assert.equal(bare?.status(), 401);
    assert.match(await page.locator('body').innerText(), /needs its token/);
    const script = await page.goto(`${origin}/app.js`);
    assert.equal(script?.status(), 401, 'the bundle needs the token (or the page’s cookie) too');
    const wrong = await page.goto(`${origin}/?token=${'x'.repeat(43)}`);
    assert.equal(wrong?.status(), 401);

    // A page from another origin on 127.0.0.1 that knows the token still cannot connect.
    const token = new URL(url).searchParams.get('token');
    const evil = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(`<script>
        const ws = new WebSocket('${origin.replace('http', 'ws')}/rpc?token=${token}');
        ws.onopen = () => { document.title = 'open'; };
        ws.onclose = () => { if (document.title !== 'open') document.title = 'refused'; };
      </script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    try {
      await page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
      await page.waitForFunction(() => document.title === 'refused' || document.title === 'open');
      assert.equal(await page.title(), 'refused');
    } finally {
      evil.close();
      await page.close();
    }
  });

  it('chat → card → keyboard approval → running → completed; failed and cancelled; details and list', async () => {
    const page = await openPage();
    await page.waitForSelector('[data-empty="chat"]');
    await screenshot(page, 'browser-01-empty-chat');

    const driver = new WebviewDriver(page, page, world);
    await driver.send(`review ${world.mr.webUrl}`);
    await driver.expectReviewCard();
    await screenshot(page, 'browser-02-approval-card');
    await driver.approveWithKeyboard();

    const first = page.locator('.session-widget').nth(0);
    await page.locator('.session-widget[data-status="running"]').waitFor();
    await page.locator('.message.assistant', { hasText: DEFAULT_ANSWERS.confirmation }).waitFor();
    await screenshot(page, 'browser-03-widget-running');
    const sessionId = (await first.getAttribute('data-session-id'))!;
    const runningBox = await first.boundingBox();
    const before = await driver.layout();

    // A second message while the session runs is answered; the widget stays where it is.
    await driver.send(MEANWHILE);
    await page
      .locator('.message.assistant', { hasText: DEFAULT_ANSWERS.answer(MEANWHILE) })
      .waitFor();
    await page.locator('.session-widget[data-status="completed"]').waitFor({ timeout: 60_000 });
    await screenshot(page, 'browser-04-widget-completed');
    const after = await driver.layout();
    // Status changes added nothing to the chat and moved nothing that was there.
    assert.deepEqual(after.slice(0, before.length), before);
    assert.equal(after.length - before.length, 2, 'only the question and its answer were added');
    assert.equal((await first.boundingBox())!.height, runningBox!.height);

    await driver.addFailedCancelledRunning((on) => (holdReviewer = on));
    const looks = await page.$$eval('.session-widget', (ws) =>
      ws.map((w) => {
        const style = getComputedStyle(w);
        return `${style.borderLeftColor}|${style.backgroundColor}|${w.querySelector('.sw-icon')?.getAttribute('name')}`;
      }),
    );
    assert.equal(new Set(looks).size, 4, `four distinct looks: ${looks.join(', ')}`);
    const heights = await page.$$eval('.session-widget', (ws) =>
      ws.map((w) => Math.round(w.getBoundingClientRect().height)),
    );
    assert.equal(new Set(heights).size, 1, 'every state has the same height');
    // Tall enough to show the whole conversation at once.
    await page.setViewportSize({ width: 520, height: 2300 });
    await page.evaluate(
      'new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))',
    );
    await screenshot(page, 'browser-05-four-states');
    await page.setViewportSize({ width: 520, height: 1100 });

    await first.click();
    await page.locator(`main.details[data-session-id="${sessionId}"]`).waitFor();
    await page.locator('.steps .step').first().waitFor();
    assert.match(await page.locator('.details-title').innerText(), /Code Review · group\/app!7/);
    assert.match(await page.locator('.result').innerText(), /findings/);
    assert.ok((await page.locator('.events .event').count()) > 3);
    await screenshot(page, 'browser-06-session-details');
    // The click was recorded for click-through telemetry.
    const telemetry = await client.request<{ widgetClickThrough: { numerator: number } }>(
      'tandem/telemetry/summary',
      {},
    );
    assert.equal(telemetry.widgetClickThrough.numerator, 2);

    await page.locator('.tab[data-page="sessions"]').click();
    await page.locator('.session-row').nth(3).waitFor();
    const rows = await page.$$eval('.session-row', (rs) =>
      rs.map((r) => r.className.replace('session-row ', '')),
    );
    assert.deepEqual(rows, [
      'status-running',
      'status-cancelled',
      'status-failed',
      'status-completed',
    ]);
    await screenshot(page, 'browser-07-sessions-page');

    const running = await client.request<{ sessions: SessionSnapshot[] }>('tandem/session/list', {
      statuses: ['running'],
    });
    for (const s of running.sessions) {
      await client.request('tandem/session/cancel', { sessionId: s.sessionId });
    }
    holdReviewer = false;
    assert.deepEqual((page as Page & { errors?: string[] }).errors, []);
    await page.close();
  });

  it('deny: the card says so, the model is told, and no session starts', async () => {
    const page = await openPage();
    const sessionsBefore = (
      await client.request<{ sessions: SessionSnapshot[] }>('tandem/session/list', {})
    ).sessions.length;
    await page.locator('.new-chat').click();
    await new WebviewDriver(page, page, world).send(`review ${world.mr.webUrl}`);
    await page.locator('.approval.pending').waitFor();
    await page.locator('.approval.pending .deny').click();
    await page.locator('.approval.resolved.deny').waitFor();
    await page
      .locator('.message.assistant', { hasText: 'No problem, I will not run it' })
      .waitFor();
    await screenshot(page, 'browser-08-denied');
    assert.equal(await page.locator('.session-widget').count(), 0);
    const sessionsAfter = (
      await client.request<{ sessions: SessionSnapshot[] }>('tandem/session/list', {})
    ).sessions.length;
    assert.equal(sessionsAfter, sessionsBefore);
    await page.close();
  });
});
