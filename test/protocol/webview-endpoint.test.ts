import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import WebSocket from 'ws';
import type {
  ApprovalRequestedParams,
  ApprovalResolvedParams,
  ChatUpdateParams,
  WebviewInfoResult,
} from '../../server/protocol';
import { ProtocolClient } from '../support/protocol-client';
import { playRecordedModel } from '../support/recorded-model';
import { FAST_SETTINGS, type ReviewWorld, startReviewWorld } from '../support/review-world';
import { tempDir } from '../support/temp-dir';

/** A webview of the bridge: JSON-RPC text frames over the endpoint's WebSocket. */
class BridgeClient {
  readonly received: {
    method?: string;
    id?: unknown;
    params?: unknown;
    result?: unknown;
    error?: { code: number; message: string };
  }[] = [];
  private nextId = 1;
  private readonly waiters = new Set<() => void>();

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.received.push(JSON.parse(String(data)));
      for (const waiter of [...this.waiters]) waiter();
    });
  }

  static open(url: string, origin: string): Promise<BridgeClient> {
    const socket = new WebSocket(url, { origin });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new BridgeClient(socket)));
      socket.once('unexpected-response', (_req, res) =>
        reject(Object.assign(new Error(`refused: ${res.statusCode}`), { status: res.statusCode })),
      );
      socket.once('error', reject);
    });
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  async request<T>(method: string, params: unknown = {}): Promise<T> {
    const id = this.nextId++;
    this.send({ jsonrpc: '2.0', id, method, params });
    const reply = await this.waitFor((m) => m.id === id && m.method === undefined);
    if (reply.error) throw Object.assign(new Error(reply.error.message), reply.error);
    return reply.result as T;
  }

  waitFor(
    match: (m: BridgeClient['received'][number]) => boolean,
    timeoutMs = 15_000,
  ): Promise<BridgeClient['received'][number]> {
    const found = () => this.received.find(match);
    const now = found();
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(`no matching message; got ${JSON.stringify(this.received).slice(0, 2000)}`),
        );
      }, timeoutMs);
      const check = () => {
        const value = found();
        if (!value) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(value);
      };
      this.waiters.add(check);
    });
  }

  /** The first notification of `method` whose params match. */
  async notified<T>(method: string, match: (params: T) => boolean = () => true): Promise<T> {
    const found = await this.waitFor((m) => m.method === method && match(m.params as T));
    return found.params as T;
  }

  notifications(method: string): unknown[] {
    return this.received.filter((m) => m.method === method).map((m) => m.params);
  }

  close(): void {
    this.socket.close();
  }
}

function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      })
      .on('error', reject);
  });
}

describe('webview endpoint: the protocol over a WebSocket on 127.0.0.1, with a token (real server)', function () {
  this.timeout(60_000);
  let world: ReviewWorld;
  let tmp: ReturnType<typeof tempDir>;
  let client: ProtocolClient;
  let info: WebviewInfoResult;
  let origin: string;
  let token: string;
  const bridges: BridgeClient[] = [];

  before(async () => {
    world = await startReviewWorld();
    tmp = tempDir();
    playRecordedModel(world.model, world.base, world.head);
    // The editor here cannot show approvals itself; a connected webview can.
    client = await ProtocolClient.start({
      env: world.env(tmp.dir),
      settings: FAST_SETTINGS,
      tandem: { protocolVersion: 1, approvals: false, sessionWidget: true },
    });
    info = await client.request<WebviewInfoResult>('tandem/webview/info', {});
    const url = new URL(info.url);
    origin = url.origin;
    token = url.searchParams.get('token') ?? '';
  });
  after(async () => {
    for (const bridge of bridges) bridge.close();
    await client?.stop();
    await world?.stop();
    tmp?.cleanup();
  });

  const open = async (path = `/rpc?token=${token}`, from = origin) => {
    const bridge = await BridgeClient.open(`${origin.replace('http', 'ws')}${path}`, from);
    bridges.push(bridge);
    return bridge;
  };

  it('answers a URL on 127.0.0.1 with a long random token, and the same URL when asked again', async () => {
    assert.match(info.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
    assert.equal(info.protocolVersion, 1);
    const again = await client.request<WebviewInfoResult>('tandem/webview/info', {});
    assert.equal(again.url, info.url);
  });

  it('listens on 127.0.0.1 only', async function () {
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    if (!external) this.skip();
    const port = Number(new URL(origin).port);
    const refused = await new Promise<string>((resolve) => {
      const socket = net.connect(port, external!.address);
      socket.once('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    assert.equal(refused, 'ECONNREFUSED');
  });

  it('refuses HTTP requests without the token, with a wrong one, or for another Host', async () => {
    const none = await get(`${origin}/`);
    assert.equal(none.status, 401);
    assert.match(none.body, /needs its token/);
    assert.equal((await get(`${origin}/?token=${'x'.repeat(43)}`)).status, 401);
    assert.equal(
      (await get(`${origin}/`, { Authorization: `Bearer ${token}` })).status !== 401,
      true,
    );
    const rebound = await get(`${origin}/?token=${token}`, {
      Host: `evil.example:${new URL(origin).port}`,
    });
    assert.equal(rebound.status, 403);
    const page = await get(`${origin}/?token=${token}`);
    assert.notEqual(page.status, 401);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.equal((await get(`${origin}/../../etc/passwd?token=${token}`)).status, 404);
  });

  it('lets the page load its files with an HttpOnly, SameSite=Strict cookie; never the WebSocket', async () => {
    const page = await get(`${origin}/?token=${token}`);
    const cookie = String(page.headers['set-cookie']);
    const port = new URL(origin).port;
    assert.match(
      cookie,
      new RegExp(`^tandem-token-${port}=${token}; Path=/; HttpOnly; SameSite=Strict`),
    );
    const pair = cookie.split(';')[0];
    assert.equal((await get(`${origin}/app.js`)).status, 401);
    assert.equal((await get(`${origin}/app.js`, { Cookie: pair })).status, 200);
    // The page itself needs the token in its URL: a cookie alone does not open it.
    assert.equal((await get(`${origin}/`, { Cookie: pair })).status, 401);
    const socket = new WebSocket(`${origin.replace('http', 'ws')}/rpc`, {
      origin,
      headers: { Cookie: pair },
    });
    const status = await new Promise<number>((resolve) => {
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.once('open', () => resolve(101));
    });
    assert.equal(status, 401);
  });

  it('refuses WebSocket upgrades without the token and from any other origin', async () => {
    await assert.rejects(open('/rpc'), (e: { status?: number }) => e.status === 401);
    await assert.rejects(
      open(`/rpc?token=${'y'.repeat(43)}`),
      (e: { status?: number }) => e.status === 401,
    );
    await assert.rejects(
      open(`/rpc?token=${token}`, 'http://evil.example'),
      (e: { status?: number }) => e.status === 403,
    );
    await assert.rejects(
      open(`/rpc?token=${token}`, 'http://127.0.0.1:1'),
      (e: { status?: number }) => e.status === 403,
    );
  });

  it('bridges requests, and answers malformed frames and unknown methods with JSON-RPC errors', async () => {
    const bridge = await open();
    const listed = await bridge.request<{ sessions: unknown[] }>('tandem/session/list', {});
    assert.ok(Array.isArray(listed.sessions));
    bridge.send('{not json');
    const parse = await bridge.waitFor((m) => m.error?.code === -32700);
    assert.equal(parse.id, null);
    await assert.rejects(
      bridge.request('tandem/nope', {}),
      (e: { code?: number }) => e.code === -32601,
    );
    await assert.rejects(
      bridge.request('tandem/session/get', { sessionId: 'no-such-session' }),
      (e: { code?: number; message: string }) =>
        e.code === -32602 && /Unknown session/.test(e.message),
    );
    // The connection survives all of that.
    assert.ok(
      Array.isArray(
        (await bridge.request<{ sessions: unknown[] }>('tandem/session/list', {})).sessions,
      ),
    );
  });

  it('carries the chat, the approval and the session to the webview, which answers the approval', async () => {
    const bridge = await open();
    const sent = await bridge.request<{ conversationId: string; turnId: string }>(
      'tandem/chat/send',
      {
        text: `review ${world.mr.webUrl}`,
      },
    );
    const requested = await bridge.notified<ApprovalRequestedParams>('tandem/approval/requested');
    assert.equal(requested.kind, 'flow');
    assert.equal(requested.reference?.label, 'group/app!7');
    await bridge.request('tandem/approval/respond', {
      approvalId: requested.approvalId,
      decision: 'approve',
    });
    const resolved = await bridge.notified<ApprovalResolvedParams>('tandem/approval/resolved');
    assert.equal(resolved.decision, 'approve');
    const widget = (
      await bridge.waitFor(
        (m) => m.method === 'tandem/chat/update' && !!(m.params as ChatUpdateParams).widget,
      )
    ).params as ChatUpdateParams;
    await bridge.waitFor(
      (m) =>
        m.method === 'tandem/session/status' &&
        (m.params as { sessionId: string; status: string }).sessionId ===
          widget.widget?.sessionId &&
        (m.params as { status: string }).status === 'completed',
      30_000,
    );
    // The editor saw the same conversation over LSP.
    const inEditor = await client.waitFor<ChatUpdateParams>(
      'tandem/chat/update',
      (p) => p.conversationId === sent.conversationId && !!p.widget,
    );
    assert.equal(inEditor.widget?.sessionId, widget.widget?.sessionId);
    // A second answer to the same approval is refused: answered exactly once.
    await assert.rejects(
      bridge.request('tandem/approval/respond', {
        approvalId: requested.approvalId,
        decision: 'deny',
      }),
      (e: { code?: number }) => e.code === -32602,
    );
  });

  it('re-shows a pending approval to a webview that connects later, which can answer it', async () => {
    const first = await open();
    await first.request('tandem/chat/send', { text: `review ${world.mr.webUrl}` });
    const pending = await first.notified<ApprovalRequestedParams>('tandem/approval/requested');
    const late = await open();
    const replayed = await late.notified<ApprovalRequestedParams>(
      'tandem/approval/requested',
      (p) => p.approvalId === pending.approvalId,
    );
    assert.equal(replayed.reference?.label, 'group/app!7');
    await late.request('tandem/approval/respond', {
      approvalId: pending.approvalId,
      decision: 'deny',
      feedback: 'not now',
    });
    const resolved = await first.notified<ApprovalResolvedParams>(
      'tandem/approval/resolved',
      (p) => p.approvalId === pending.approvalId,
    );
    assert.equal(resolved.decision, 'deny');
  });
});
