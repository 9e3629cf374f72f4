import type { ConnectionState } from './connection';

/**
 * How the webview talks to the tandem server. The same bundle runs inside VS Code (the extension
 * relays JSON-RPC over `postMessage`) and in a browser or JetBrains' JCEF (a WebSocket to the
 * server's webview endpoint). Everything else in the webview sees only this interface.
 */
export interface Host {
  /** Where the page runs; shown in the footer and used for small differences (e.g. links). */
  readonly kind: 'vscode' | 'browser';
  /** Sends a protocol request; rejects with the server's error message. */
  request<R = unknown>(method: string, params: unknown): Promise<R>;
  notify(method: string, params: unknown): void;
  /** Server → client notifications, in order. */
  onNotification(listener: (method: string, params: unknown) => void): void;
  /** Connection changes: `open` once the protocol can be spoken, `closed` with a reason. */
  onConnection(listener: (state: ConnectionState) => void): void;
  /** State that survives the page being hidden or reloaded (the conversation on screen). */
  loadState(): unknown;
  saveState(state: unknown): void;
  /** Opens a web link outside the webview (the editor's browser, or a new tab). */
  openLink(url: string): void;
}

export type { ConnectionState };

export class RpcError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

type Pending = { resolve(value: unknown): void; reject(error: Error): void };

/** JSON-RPC bookkeeping shared by both hosts: ids, pending requests and listeners. */
abstract class RpcHost {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly notificationListeners: ((method: string, params: unknown) => void)[] = [];
  private readonly connectionListeners: ((state: ConnectionState) => void)[] = [];
  protected connection: ConnectionState = { status: 'connecting' };

  request<R>(method: string, params: unknown): Promise<R> {
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      if (!this.send({ jsonrpc: '2.0', id, method, params })) {
        this.pending.delete(id);
        reject(new RpcError('Not connected to the tandem server; it is reconnecting.', -32099));
      }
    });
  }

  notify(method: string, params: unknown): void {
    this.send({ jsonrpc: '2.0', method, params });
  }

  onNotification(listener: (method: string, params: unknown) => void): void {
    this.notificationListeners.push(listener);
  }

  onConnection(listener: (state: ConnectionState) => void): void {
    this.connectionListeners.push(listener);
    listener(this.connection);
  }

  protected abstract send(message: object): boolean;

  protected setConnection(state: ConnectionState): void {
    this.connection = state;
    if (state.status === 'closed') {
      for (const [id, pending] of this.pending) {
        pending.reject(new RpcError(`The connection closed: ${state.reason}`, -32099));
        this.pending.delete(id);
      }
    }
    for (const listener of this.connectionListeners) listener(state);
  }

  /** Handles one incoming JSON-RPC message (a response or a notification). */
  protected receive(message: unknown): void {
    if (typeof message !== 'object' || message === null) return;
    const m = message as {
      id?: unknown;
      method?: unknown;
      params?: unknown;
      result?: unknown;
      error?: { message?: string; code?: number };
    };
    if (typeof m.method === 'string' && m.id === undefined) {
      for (const listener of this.notificationListeners) listener(m.method, m.params);
      return;
    }
    if (typeof m.id !== 'number') return;
    const pending = this.pending.get(m.id);
    if (!pending) return;
    this.pending.delete(m.id);
    if (m.error)
      pending.reject(new RpcError(m.error.message ?? 'Request failed', m.error.code ?? 0));
    else pending.resolve(m.result);
  }
}

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

/**
 * Inside VS Code: the extension relays JSON-RPC messages between this page and its language
 * client. `{ tandem: 'connection', ... }` messages tell the page whether the server runs.
 */
export class VsCodeHost extends RpcHost implements Host {
  readonly kind = 'vscode';

  constructor(private readonly api: VsCodeApi) {
    super();
    window.addEventListener('message', (event: MessageEvent) => {
      const data = event.data as { tandem?: string; state?: ConnectionState; message?: unknown };
      if (data?.tandem === 'connection' && data.state) this.setConnection(data.state);
      else if (data?.tandem === 'rpc') this.receive(data.message);
    });
    // Tells the extension the page is ready: it answers with the connection state and re-sends
    // what must be on screen (pending approvals, running sessions).
    api.postMessage({ tandem: 'ready' });
  }

  protected send(message: object): boolean {
    if (this.connection.status !== 'open') return false;
    this.api.postMessage({ tandem: 'rpc', message });
    return true;
  }

  loadState(): unknown {
    return this.api.getState();
  }

  saveState(state: unknown): void {
    this.api.setState(state);
  }

  openLink(url: string): void {
    this.api.postMessage({ tandem: 'openLink', url });
  }
}

/**
 * In a browser or JCEF: a WebSocket to the server's endpoint (`/rpc`, same origin, with the
 * token of the page's URL). Reconnects with backoff; the server re-sends pending approvals on
 * every connection.
 */
export class SocketHost extends RpcHost implements Host {
  readonly kind = 'browser';
  private socket: WebSocket | undefined;
  private attempt = 0;

  constructor(
    private readonly url: string,
    private readonly storage: Storage | undefined,
  ) {
    super();
    this.connect();
  }

  static fromLocation(location: Location, storage?: Storage): SocketHost {
    const token = new URLSearchParams(location.search).get('token') ?? '';
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return new SocketHost(
      `${scheme}//${location.host}/rpc?token=${encodeURIComponent(token)}`,
      storage,
    );
  }

  private connect(): void {
    this.setConnection({ status: 'connecting' });
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.attempt = 0;
      this.setConnection({ status: 'open' });
    });
    socket.addEventListener('message', (event) => {
      try {
        this.receive(JSON.parse(String(event.data)));
      } catch {
        // A frame that is not JSON is the server's bug; nothing to show for it.
      }
    });
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return;
      const retryInMs = Math.min(10_000, 500 * 2 ** this.attempt++);
      this.setConnection({
        status: 'closed',
        reason:
          event.code === 1006
            ? 'the tandem server is not reachable (stopped, or this page’s token is no longer valid)'
            : `closed (${event.code}${event.reason ? `: ${event.reason}` : ''})`,
        retryInMs,
      });
      setTimeout(() => this.connect(), retryInMs);
    });
  }

  protected send(message: object): boolean {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  loadState(): unknown {
    try {
      return JSON.parse(this.storage?.getItem('tandem.webview') ?? 'null');
    } catch {
      return undefined;
    }
  }

  saveState(state: unknown): void {
    try {
      this.storage?.setItem('tandem.webview', JSON.stringify(state));
    } catch {
      // Storage full or disabled: the page still works, it just forgets on reload.
    }
  }

  openLink(url: string): void {
    window.open(url, '_blank', 'noopener,noreferrer');
  }
}
