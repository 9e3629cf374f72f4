import { randomBytes, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../logger';

/** What the bridge forwards to: the same validated dispatch as LSP requests. */
export interface WebviewDispatch {
  /** Answers the result, or an error object with `code` and `message` (JSON-RPC). */
  request(method: string, params: unknown): Promise<unknown>;
  notification(method: string, params: unknown): void;
  /** A webview just connected: send it what it must show now (pending approvals, sessions). */
  connected(send: (method: string, params: unknown) => void): void;
}

const MAX_MESSAGE_BYTES = 1024 * 1024;
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
};

/**
 * The webview for hosts that cannot post messages to the editor (a browser, JetBrains' JCEF):
 * an HTTP server on 127.0.0.1 with a random port that serves the webview bundle, and a
 * WebSocket at `/rpc` that bridges protocol v1 as JSON-RPC text frames. Every request needs the
 * per-start token (`?token=` or `Authorization: Bearer`); a WebSocket upgrade must also come
 * from the endpoint's own origin, and the `Host` must be the endpoint (no DNS rebinding).
 */
export class WebviewEndpoint {
  private readonly sockets = new Set<WebSocket>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  private readonly token = randomBytes(32).toString('base64url');
  private origin = '';

  private constructor(
    private readonly server: http.Server,
    private readonly options: { assetsDir: string; dispatch: WebviewDispatch; logger: Logger },
  ) {}

  static async start(options: {
    assetsDir: string;
    dispatch: WebviewDispatch;
    logger: Logger;
  }): Promise<WebviewEndpoint> {
    const server = http.createServer();
    const endpoint = new WebviewEndpoint(server, options);
    server.on('request', (req, res) => endpoint.serve(req, res));
    server.on('upgrade', (req, socket, head) => endpoint.upgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    endpoint.origin = `http://127.0.0.1:${port}`;
    return endpoint;
  }

  /** Whether a webview is connected now. */
  get connected(): boolean {
    return this.sockets.size > 0;
  }

  /** The page to open, token included. */
  get url(): string {
    return `${this.origin}/?token=${this.token}`;
  }

  /** Sends a server → client notification to every connected webview. */
  broadcast(method: string, params: unknown): void {
    const frame = JSON.stringify({ jsonrpc: '2.0', method, params });
    for (const socket of this.sockets) {
      if (socket.readyState === WebSocket.OPEN) socket.send(frame);
    }
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    this.wss.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private refusal(
    req: http.IncomingMessage,
    allowCookie = false,
  ): { status: number; message: string } | undefined {
    if (req.headers.host !== this.origin.slice('http://'.length)) {
      return { status: 403, message: 'Wrong Host: this endpoint answers only 127.0.0.1.' };
    }
    if (!this.hasToken(req, allowCookie)) {
      return {
        status: 401,
        message: 'This endpoint needs its token: open the URL tandem/webview/info answers.',
      };
    }
    return undefined;
  }

  private hasToken(req: http.IncomingMessage, allowCookie: boolean): boolean {
    const url = new URL(req.url ?? '/', this.origin);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const cookie = allowCookie ? this.cookieToken(req) : undefined;
    const given = Buffer.from(url.searchParams.get('token') ?? bearer ?? cookie ?? '');
    const expected = Buffer.from(this.token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** The cookie is named after the port: two servers on 127.0.0.1 never share one. */
  private get cookieName(): string {
    return `tandem-token-${new URL(this.origin).port}`;
  }

  private cookieToken(req: http.IncomingMessage): string | undefined {
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [name, ...value] = part.trim().split('=');
      if (name === this.cookieName) return value.join('=');
    }
    return undefined;
  }

  /**
   * The page itself needs the token in its URL; the files it loads (script, styles, fonts) may
   * show it as an HttpOnly, SameSite=Strict cookie set with the page, since a page cannot put
   * the token on those URLs. The WebSocket always needs the token itself (and the origin).
   */
  private serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    const { pathname: requested } = new URL(req.url ?? '/', this.origin);
    const page = requested === '/' || requested === '/index.html';
    const refused = this.refusal(req, !page);
    if (refused) return this.reply(res, refused.status, refused.message);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return this.reply(res, 405, 'Only GET: the protocol goes over the WebSocket at /rpc.');
    }
    const { pathname } = new URL(req.url ?? '/', this.origin);
    const relative = pathname === '/' ? 'index.html' : decodeURIComponent(pathname.slice(1));
    const root = path.resolve(this.options.assetsDir);
    const file = path.resolve(root, relative);
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      const hint =
        relative === 'index.html' ? ' The webview bundle is not built: run `npm run build`.' : '';
      return this.reply(res, 404, `Not found: /${relative}.${hint}`);
    }
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Content-Security-Policy': [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self'",
        "img-src 'self' data:",
        `connect-src ws://127.0.0.1:${new URL(this.origin).port}`,
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join('; '),
      ...(page
        ? {
            'Set-Cookie': `${this.cookieName}=${this.token}; Path=/; HttpOnly; SameSite=Strict`,
          }
        : {}),
    });
    if (req.method === 'HEAD') return void res.end();
    fs.createReadStream(file).pipe(res);
  }

  private reply(res: http.ServerResponse, status: number, message: string): void {
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`${message}\n`);
  }

  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer) {
    const { pathname } = new URL(req.url ?? '/', this.origin);
    const refused =
      pathname !== '/rpc'
        ? { status: 404, message: 'The protocol bridge is at /rpc.' }
        : req.headers.origin !== this.origin
          ? { status: 403, message: `Origin ${req.headers.origin ?? '(none)'} is not allowed.` }
          : this.refusal(req);
    if (refused) {
      this.options.logger.warn(`Webview endpoint refused a connection: ${refused.message}`);
      socket.end(
        `HTTP/1.1 ${refused.status} ${http.STATUS_CODES[refused.status]}\r\n` +
          'Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n' +
          `${refused.message}\n`,
      );
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.attach(ws));
  }

  private attach(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('error', () => this.sockets.delete(ws));
    const send = (message: unknown) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
    };
    ws.on('message', (data, isBinary) => {
      void this.receive(isBinary ? undefined : String(data), send);
    });
    this.options.dispatch.connected((method, params) => send({ jsonrpc: '2.0', method, params }));
  }

  private async receive(text: string | undefined, send: (message: unknown) => void) {
    let message: { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };
    try {
      message = JSON.parse(text ?? '') as typeof message;
    } catch {
      return send(rpcError(null, -32700, 'Parse error: send one JSON-RPC message per text frame.'));
    }
    const id = message?.id;
    const validId = typeof id === 'string' || typeof id === 'number';
    if (
      typeof message !== 'object' ||
      message === null ||
      message.jsonrpc !== '2.0' ||
      typeof message.method !== 'string' ||
      (id !== undefined && !validId)
    ) {
      return send(rpcError(validId ? id : null, -32600, 'Invalid Request: not JSON-RPC 2.0.'));
    }
    if (!validId) return this.options.dispatch.notification(message.method, message.params);
    const result = await this.options.dispatch.request(message.method, message.params);
    if (isRpcError(result)) {
      send(rpcError(id, result.code, result.message, result.data));
    } else {
      send({ jsonrpc: '2.0', id, result: result ?? null });
    }
  }
}

const SECURITY_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

function rpcError(id: unknown, code: number, message: string, data?: unknown) {
  return { jsonrpc: '2.0', id, error: { code, message, ...(data === undefined ? {} : { data }) } };
}

function isRpcError(value: unknown): value is { code: number; message: string; data?: unknown } {
  return (
    value instanceof Error &&
    typeof (value as { code?: unknown }).code === 'number' &&
    typeof value.message === 'string'
  );
}
