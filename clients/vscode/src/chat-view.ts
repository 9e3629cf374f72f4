import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { Methods } from '../../../server/protocol/methods';
import type { Mirror } from './mirror';

type Connection =
  { status: 'connecting' } | { status: 'open' } | { status: 'closed'; reason: string };

interface RpcMessage {
  jsonrpc?: string;
  id?: number | string;
  method?: string;
  params?: unknown;
}

/** Requests and notifications the webview may send: protocol v1's client → server methods. */
const ALLOWED_FROM_WEBVIEW: ReadonlySet<string> = new Set([
  Methods.chatSend,
  Methods.approvalRespond,
  Methods.flowStart,
  Methods.sessionList,
  Methods.sessionGet,
  Methods.sessionCancel,
  Methods.sessionRestore,
  Methods.sessionOpened,
  Methods.telemetrySummary,
]);

/**
 * The chat view in the activity bar: the shared webview bundle, relayed to the language client.
 * The page posts JSON-RPC messages; requests go to the server and their answers come back;
 * server notifications are forwarded as they arrive. A page that (re)loads gets the connection
 * state and every pending approval and live session again.
 */
export class ChatView implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly id = 'tandem.chat';
  private view: vscode.WebviewView | undefined;
  private connection: Connection = { status: 'connecting' };
  private readonly disposables: vscode.Disposable[] = [];
  /** What to do once the page is ready (e.g. open a session's details). */
  private queued: unknown[] = [];
  private ready = false;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly client: () => LanguageClient | undefined,
    private readonly mirror: Mirror,
  ) {}

  get visible(): boolean {
    return this.view?.visible === true;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    const assets = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    view.webview.options = { enableScripts: true, localResourceRoots: [assets] };
    view.webview.html = this.html(view.webview, assets);
    this.disposables.push(
      view.webview.onDidReceiveMessage((message) => this.received(message)),
      view.onDidDispose(() => {
        this.view = undefined;
        this.ready = false;
      }),
    );
  }

  /** Server → client notification: forwarded to the page. */
  notify(method: string, params: unknown): void {
    this.post({ tandem: 'rpc', message: { jsonrpc: '2.0', method, params } });
  }

  setConnection(connection: Connection): void {
    this.connection = connection;
    this.post({ tandem: 'connection', state: connection });
  }

  /** Shows the chat view and, once the page is ready, a session's details. */
  async reveal(sessionId?: string, source: 'list' | 'notification' = 'list'): Promise<void> {
    await vscode.commands.executeCommand(`${ChatView.id}.focus`);
    if (sessionId) this.postWhenReady({ tandem: 'reveal', sessionId, source });
  }

  async show(page: 'chat' | 'sessions'): Promise<void> {
    await vscode.commands.executeCommand(`${ChatView.id}.focus`);
    this.postWhenReady({ tandem: 'show', source: page });
  }

  private postWhenReady(message: unknown): void {
    if (this.ready) this.post(message);
    else this.queued.push(message);
  }

  private post(message: unknown): void {
    if (this.view && this.ready) void this.view.webview.postMessage(message);
  }

  private received(message: unknown): void {
    const m = message as { tandem?: string; message?: RpcMessage; url?: string };
    if (m?.tandem === 'ready') {
      this.ready = true;
      this.post({ tandem: 'connection', state: this.connection });
      for (const approval of this.mirror.approvals.values()) {
        this.notify(Methods.approvalRequested, approval);
      }
      for (const session of this.mirror.sessions.values()) {
        this.notify(Methods.sessionStatus, session);
      }
      for (const queued of this.queued.splice(0)) this.post(queued);
      return;
    }
    if (
      m?.tandem === 'openLink' &&
      typeof m.url === 'string' &&
      /^(https?:|mailto:)/i.test(m.url)
    ) {
      void vscode.env.openExternal(vscode.Uri.parse(m.url, true));
      return;
    }
    if (m?.tandem === 'rpc' && m.message) void this.relay(m.message);
  }

  private async relay(message: RpcMessage): Promise<void> {
    const { id, method, params } = message;
    const reply = (body: object) =>
      this.post({ tandem: 'rpc', message: { jsonrpc: '2.0', id, ...body } });
    const client = this.client();
    if (typeof method !== 'string' || !ALLOWED_FROM_WEBVIEW.has(method)) {
      if (id !== undefined) {
        reply({ error: { code: -32601, message: `The chat view cannot call ${String(method)}.` } });
      }
      return;
    }
    if (!client?.isRunning()) {
      if (id !== undefined) {
        reply({ error: { code: -32099, message: 'The tandem server is not running.' } });
      }
      return;
    }
    if (id === undefined) {
      void client.sendNotification(method, params);
      return;
    }
    try {
      reply({ result: (await client.sendRequest(method, params)) ?? null });
    } catch (error) {
      const e = error as { code?: number; message?: string };
      reply({ error: { code: e.code ?? -32603, message: e.message ?? String(error) } });
    }
  }

  private html(webview: vscode.Webview, assets: vscode.Uri): string {
    const nonce = randomBytes(16).toString('base64');
    const uri = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(assets, file));
    const csp = [
      "default-src 'none'",
      `script-src 'nonce-${nonce}'`,
      `style-src ${webview.cspSource} 'unsafe-inline'`,
      `font-src ${webview.cspSource}`,
      `img-src ${webview.cspSource} data:`,
    ].join('; ');
    return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta http-equiv="Content-Security-Policy" content="${csp}" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <link rel="stylesheet" href="${uri('codicon.css')}" id="vscode-codicon-stylesheet" />
    <link rel="stylesheet" href="${uri('app.css')}" />
    <title>tandem</title>
  </head>
  <body>
    <div id="app"></div>
    <script nonce="${nonce}" src="${uri('app.js')}"></script>
  </body>
</html>`;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
