import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import type { SessionSnapshot } from '../../server/protocol';

const PAGE = pathToFileURL(path.resolve(__dirname, '..', '..', 'dist', 'webview', 'index.html'));

export interface Posted {
  tandem: string;
  message?: { id?: number; method?: string; params?: Record<string, unknown> };
  url?: string;
}

/**
 * The webview bundle in Chromium with VS Code's side played by the test: `acquireVsCodeApi`
 * records what the page posts, and the test posts what the extension would (connection state,
 * JSON-RPC responses and notifications). This is the host adapter VS Code uses, exercised on
 * the built bundle.
 */
export class EditorSide {
  /** Requests already answered (or taken by a test), by JSON-RPC id. */
  private readonly taken = new Set<number>();

  private constructor(readonly page: Page) {}

  static async open(page: Page): Promise<EditorSide> {
    // A string, not a function: the test runner's transpiler would add helpers the page lacks.
    await page.addInitScript(`
      window.posted = [];
      window.saved = undefined;
      window.acquireVsCodeApi = () => ({
        postMessage: (m) => window.posted.push(m),
        getState: () => window.saved,
        setState: (s) => { window.saved = s; },
      });
    `);
    await page.goto(PAGE.href);
    const side = new EditorSide(page);
    await side.deliver({ tandem: 'connection', state: { status: 'open' } });
    await side.answerNext('tandem/session/list', { sessions: [] });
    return side;
  }

  deliver(message: unknown): Promise<void> {
    return this.page.evaluate(
      (m) =>
        (globalThis as unknown as { postMessage(m: unknown, o: string): void }).postMessage(m, '*'),
      message,
    );
  }

  notify(method: string, params: unknown): Promise<void> {
    return this.deliver({ tandem: 'rpc', message: { jsonrpc: '2.0', method, params } });
  }

  posted(): Promise<Posted[]> {
    return this.page.evaluate(() => (globalThis as unknown as { posted: Posted[] }).posted);
  }

  /** Waits for the page's next request of `method` and answers it. */
  async answerNext(
    method: string,
    result: unknown,
    error?: { code: number; message: string },
  ): Promise<Posted['message']> {
    const request = await this.waitForRequest(method);
    await this.deliver({
      tandem: 'rpc',
      message: { jsonrpc: '2.0', id: request!.id, ...(error ? { error } : { result }) },
    });
    return request;
  }

  /** The page's next request of `method` not taken before. */
  async waitForRequest(method: string): Promise<Posted['message']> {
    const handle = await this.page.waitForFunction(
      ([m, done]) =>
        (globalThis as unknown as { posted: Posted[] }).posted.find(
          (p) => p.tandem === 'rpc' && p.message?.method === m && !done.includes(p.message.id!),
        ) ?? false,
      [method, [...this.taken]] as const,
    );
    const message = ((await handle.jsonValue()) as Posted).message;
    this.taken.add(message!.id!);
    return message;
  }

  respond(id: number, result: unknown): Promise<void> {
    return this.deliver({ tandem: 'rpc', message: { jsonrpc: '2.0', id, result } });
  }
}

/** A Fix Pipeline session's snapshot, running unless `overrides` say otherwise. */
export function snapshot(overrides: Partial<SessionSnapshot>): SessionSnapshot {
  const now = new Date().toISOString();
  return {
    sessionId: 's-1',
    seq: 1,
    flow: 'fix_pipeline',
    title: 'Fix Pipeline on group/app pipeline 42',
    status: 'running',
    reference: {
      kind: 'pipeline',
      url: 'https://gitlab.example/group/app/-/pipelines/42',
      label: 'group/app pipeline 42',
    },
    trigger: 'chat',
    startedAt: now,
    updatedAt: now,
    step: 'reproduce',
    ...overrides,
  };
}
