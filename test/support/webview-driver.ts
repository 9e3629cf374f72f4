import * as assert from 'node:assert/strict';
import type { Frame, Page } from 'playwright-core';
import type { ReviewWorld } from './review-world';

/** The page (browser host) or the frame (VS Code) that shows the tandem webview. */
export type View = Page | Frame;

/**
 * Drives the webview the way a person does: typing in the message box, answering cards,
 * opening sessions. Shared by the browser and the VS Code suites, which check the same things.
 */
export class WebviewDriver {
  constructor(
    /** The browser page (for the keyboard, which belongs to the page). */
    readonly page: Page,
    readonly view: View,
    private readonly world: ReviewWorld,
  ) {}

  /**
   * Positions of the chat's items within the conversation (not the viewport, which scrolls as
   * messages arrive): what must not move when a session changes status.
   */
  layout(): Promise<{ key: string; top: number; height: number }[]> {
    return this.view.$$eval('.transcript > *', (items) =>
      items.map((el) => {
        const origin = el.parentElement!.getBoundingClientRect().top;
        const box = el.getBoundingClientRect();
        const key =
          el.getAttribute('data-message-id') ??
          el.getAttribute('data-approval-id') ??
          el.getAttribute('data-session-id') ??
          el.className;
        return { key, top: Math.round(box.top - origin), height: Math.round(box.height) };
      }),
    );
  }

  async send(text: string): Promise<void> {
    await this.view.locator('vscode-textarea textarea').fill(text);
    await this.view.locator('vscode-textarea textarea').press('Enter');
  }

  /** Asks for a review and approves it with a click; `count` is the widgets expected after. */
  async approveReview(count: number): Promise<void> {
    await this.send(`review ${this.world.mr.webUrl}`);
    await this.view.locator('.approval.pending .approve').click();
    await this.view
      .locator('.session-widget')
      .nth(count - 1)
      .waitFor();
  }

  /** The pending card names the flow and links the merge request. */
  async expectReviewCard(): Promise<void> {
    const card = this.view.locator('.approval.pending');
    await card.waitFor();
    assert.equal(await card.locator('.flow-name').innerText(), 'Code Review');
    assert.equal(await card.locator('.reference a').innerText(), 'group/app!7');
    assert.equal(await card.locator('.reference a').getAttribute('href'), this.world.mr.webUrl);
  }

  /** Keyboard only: Shift+Tab from the message box to the card's Approve, then Enter. */
  async approveWithKeyboard(): Promise<void> {
    await this.view.locator('vscode-textarea textarea').focus();
    let onApprove = false;
    for (let i = 0; i < 12 && !onApprove; i++) {
      await this.page.keyboard.press('Shift+Tab');
      onApprove = await this.view.evaluate(
        () =>
          document.activeElement?.closest?.('.approval')?.querySelector('.approve') ===
          document.activeElement,
      );
    }
    assert.ok(onApprove, 'Approve is reachable with the keyboard');
    await this.page.keyboard.press('Enter');
    await this.view.locator('.approval.resolved.approve').waitFor();
  }

  /**
   * After a completed session: one that fails (GitLab 500s), one cancelled from its details
   * page, and one left running, so the four states are on screen together.
   */
  async addFailedCancelledRunning(hold: (on: boolean) => void): Promise<void> {
    const { gitlab } = this.world;
    gitlab.failNext({ path: /merge_requests\/7\/versions$/, status: 500, times: 100 });
    await this.approveReview(2);
    await this.view.locator('.session-widget[data-status="failed"]').waitFor({ timeout: 60_000 });
    gitlab.clearFailures();

    hold(true);
    await this.approveReview(3);
    await this.view.locator('.session-widget[data-status="running"]').waitFor();
    await this.view.locator('.session-widget').nth(2).click();
    await this.view.locator('main.details .cancel').click();
    await this.view.locator('main.details.status-cancelled').waitFor({ timeout: 30_000 });
    await this.view.locator('main.details .back').click();
    await this.view.locator('.session-widget[data-status="cancelled"]').waitFor();

    await this.approveReview(4);
    await this.view.locator('.session-widget[data-status="running"]').waitFor();
    assert.deepEqual(
      await this.view.$$eval('.session-widget', (ws) =>
        ws.map((w) => w.getAttribute('data-status')),
      ),
      ['completed', 'failed', 'cancelled', 'running'],
    );
  }
}
