import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import {
  AbstractMessageReader,
  createMessageConnection,
  type DataCallback,
  type Disposable,
  type Message,
  type MessageConnection,
  type MessageReader,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node';

export const SERVER_ENTRY = path.resolve(__dirname, '..', '..', 'dist', 'tandem.js');

export interface ReceivedNotification {
  method: string;
  params: unknown;
}

export interface ProtocolClientOptions {
  /** Environment of the server process; nothing is inherited but PATH and HOME. */
  env: Record<string, string>;
  /** `workspace/configuration` answer for section `tandem`. */
  settings?: unknown;
  workspaceFolder?: string;
  /** `capabilities.experimental.tandem`; `null` leaves it out (a plain LSP client). */
  tandem?: { protocolVersion: number; approvals?: boolean; sessionWidget?: boolean } | null;
  workDoneProgress?: boolean;
  /** Skip `initialize`/`initialized` (to test what happens before them). */
  skipInitialize?: boolean;
}

/** Records every message the server sends before the connection sees it. */
class TapReader extends AbstractMessageReader implements MessageReader {
  constructor(
    private readonly inner: MessageReader,
    private readonly tap: (message: Message) => void,
  ) {
    super();
    inner.onError((e) => this.fireError(e));
    inner.onClose(() => this.fireClose());
  }
  listen(callback: DataCallback): Disposable {
    return this.inner.listen((message) => {
      this.tap(message);
      callback(message);
    });
  }
}

/**
 * A protocol-level client: spawns the real built server (`dist/tandem.js lsp --stdio`) and speaks
 * LSP + `tandem/*` to it over stdio, recording everything it receives. Waits are event-driven,
 * each with a deadline.
 */
export class ProtocolClient {
  readonly received: Message[] = [];
  readonly notifications: ReceivedNotification[] = [];
  stderr = '';
  settings: unknown;
  initializeResult: unknown;
  private readonly waiters = new Set<() => void>();
  /** Resolves with the exit code when the server process ends, however it ends. */
  readonly exited: Promise<number | null>;

  private constructor(
    readonly process: ChildProcess,
    readonly connection: MessageConnection,
    private readonly options: ProtocolClientOptions,
  ) {
    this.settings = options.settings;
    this.exited = new Promise((resolve) => process.once('exit', (code) => resolve(code)));
  }

  static async start(options: ProtocolClientOptions): Promise<ProtocolClient> {
    const child = spawn(process.execPath, [SERVER_ENTRY, 'lsp', '--stdio'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let client: ProtocolClient | undefined = undefined;
    const reader = new TapReader(new StreamMessageReader(child.stdout!), (m) => client?.record(m));
    const connection = createMessageConnection(reader, new StreamMessageWriter(child.stdin!));
    client = new ProtocolClient(child, connection, options);
    child.stderr!.on('data', (chunk) => (client!.stderr += String(chunk)));
    connection.onRequest('workspace/configuration', (params: { items: { section?: string }[] }) =>
      params.items.map((item) => (item.section === 'tandem' ? (client!.settings ?? null) : null)),
    );
    connection.onRequest('window/workDoneProgress/create', () => null);
    connection.onRequest('client/registerCapability', () => null);
    connection.listen();
    if (!options.skipInitialize) await client.initialize();
    return client;
  }

  async initialize(): Promise<unknown> {
    const tandem =
      this.options.tandem === null
        ? undefined
        : (this.options.tandem ?? { protocolVersion: 1, approvals: true, sessionWidget: true });
    const folder = this.options.workspaceFolder;
    this.initializeResult = await this.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: folder ? `file://${folder}` : null,
      workspaceFolders: folder ? [{ uri: `file://${folder}`, name: path.basename(folder) }] : null,
      capabilities: {
        workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } },
        window: { workDoneProgress: this.options.workDoneProgress ?? true },
        experimental: tandem ? { tandem } : {},
      },
    });
    await this.connection.sendNotification('initialized', {});
    return this.initializeResult;
  }

  request<R = unknown>(method: string, params?: unknown): Promise<R> {
    return this.connection.sendRequest(method, params) as Promise<R>;
  }

  notify(method: string, params?: unknown): Promise<void> {
    return this.connection.sendNotification(method, params);
  }

  /** Writes raw bytes as one framed message body (for malformed input). */
  writeRaw(body: string): void {
    const bytes = Buffer.from(body, 'utf8');
    this.process.stdin!.write(`Content-Length: ${bytes.length}\r\n\r\n`);
    this.process.stdin!.write(bytes);
  }

  /** The first notification of `method` matching `predicate`, from the start of the recording. */
  waitFor<T = unknown>(
    method: string,
    predicate: (params: T) => boolean = () => true,
    timeoutMs = 15_000,
  ): Promise<T> {
    return this.waitUntil(
      () =>
        this.notifications.find((n) => n.method === method && predicate(n.params as T))
          ?.params as T,
      `${method} matching the predicate`,
      timeoutMs,
    );
  }

  /** The response to a raw request with this id (responses the connection itself did not ask for). */
  waitForResponse(id: string | number, timeoutMs = 15_000): Promise<Record<string, unknown>> {
    return this.waitUntil(
      () =>
        this.received.find((m) => (m as { id?: unknown }).id === id && !('method' in m)) as
          Record<string, unknown> | undefined,
      `a response with id ${JSON.stringify(id)}`,
      timeoutMs,
    );
  }

  /** Waits until `probe` answers something other than undefined, re-checking on every message. */
  waitUntil<T>(probe: () => T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
    const now = probe();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(
            `Timed out after ${timeoutMs} ms waiting for ${what}.\nServer stderr:\n${this.stderr}`,
          ),
        );
      }, timeoutMs);
      const check = () => {
        const value = probe();
        if (value === undefined) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(value);
      };
      this.waiters.add(check);
    });
  }

  of<T = unknown>(method: string): T[] {
    return this.notifications.filter((n) => n.method === method).map((n) => n.params as T);
  }

  /** Sends shutdown + exit and waits for the process to end. */
  async stop(): Promise<number | null> {
    if (this.process.exitCode === null && this.process.signalCode === null) {
      try {
        await Promise.race([this.connection.sendRequest('shutdown'), this.exited]);
        await this.connection.sendNotification('exit');
      } catch {
        // Already gone.
      }
    }
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 5000);
    const code = await this.exited;
    clearTimeout(timer);
    this.connection.dispose();
    return code;
  }

  /** Kills the server without shutdown, as a crash would. */
  async kill(): Promise<void> {
    this.process.kill('SIGKILL');
    await this.exited;
    this.connection.dispose();
  }

  private record(message: Message): void {
    this.received.push(message);
    const m = message as { method?: string; params?: unknown; id?: unknown };
    if (m.method && m.id === undefined)
      this.notifications.push({ method: m.method, params: m.params });
    for (const check of [...this.waiters]) check();
  }
}
