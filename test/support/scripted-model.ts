import { EventEmitter } from 'node:events';
import http, {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import {
  completionBody,
  errorBody,
  streamEvents,
  type ScriptedAnswer,
  type ScriptedToolCall,
  type ScriptedUsage,
} from './scripted-completion';

export type { ScriptedAnswer, ScriptedToolCall, ScriptedUsage };

/** An answer, and how it travels. Event counts include the role event and `[DONE]`. */
export interface CompletionReply extends ScriptedAnswer {
  /** Wait this long before the status line and headers. */
  delayMs?: number;
  /** Send this many events, then nothing more while keeping the connection open. */
  stallAfterChunks?: number;
  /** Send this many events, then destroy the connection. */
  dropAfterChunks?: number;
}

/** An HTTP error. `body` defaults to OpenAI's error shape; a string is sent as it is. */
export interface ErrorReply {
  error: { status: number; body?: unknown; headers?: Record<string, string> };
  delayMs?: number;
}

/** Accept the request and never answer, not even with headers. */
export interface HangReply {
  hang: true;
}

export type Reply = CompletionReply | ErrorReply | HangReply;

export interface ScriptedRequest {
  /** 1-based, in order of arrival. */
  seq: number;
  receivedAt: number;
  headers: IncomingHttpHeaders;
  /** The body exactly as sent: search it for things that must never be sent. */
  rawBody: string;
  /** The parsed body, not validated. */
  body: ChatCompletionCreateParams;
  /** The function name when `tool_choice` forces one. */
  forcedTool?: string;
  /** Text of the last user message, for matching and for readable failures. */
  lastUserText: string;
}

/** Answers a request it recognises; undefined passes it on to the next responder or the queue. */
export type Responder = (request: ScriptedRequest) => Reply | undefined;

export interface ScriptedModelOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>`, or get OpenAI's 401. */
  apiKey?: string;
  /** Ids listed by GET /v1/models. */
  models?: string[];
}

/**
 * An OpenAI-compatible chat-completion endpoint on 127.0.0.1 whose answers a test scripts:
 * responders first (for concurrent callers, matched on the request), then a queue consumed in
 * order. It speaks the real wire protocol, so the code under test runs the real SDK.
 */
export class ScriptedModel {
  readonly baseUrl: string;
  private queue: Reply[] = [];
  private responders: Responder[] = [];
  private recorded: ScriptedRequest[] = [];
  private readonly arrivals = new EventEmitter().setMaxListeners(0);

  private constructor(
    private readonly server: http.Server,
    private readonly options: ScriptedModelOptions,
  ) {
    const { port } = server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}/v1`;
  }

  static async start(options: ScriptedModelOptions = {}): Promise<ScriptedModel> {
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const model = new ScriptedModel(server, options);
    server.on('request', (req, res) => {
      model.handle(req, res).catch(() => res.destroy());
    });
    return model;
  }

  /** Chat-completion requests received so far, including rejected ones. */
  get requests(): readonly ScriptedRequest[] {
    return this.recorded;
  }

  /** Replies still queued. */
  get pending(): number {
    return this.queue.length;
  }

  enqueue(...replies: Reply[]): this {
    this.queue.push(...replies);
    return this;
  }

  /** Adds a responder, consulted before the queue; returns a function that removes it. */
  respond(responder: Responder): () => void {
    this.responders.push(responder);
    return () => {
      this.responders = this.responders.filter((r) => r !== responder);
    };
  }

  /** Resolves once `count` requests have arrived; rejects with what did arrive after the deadline. */
  waitForRequests(count: number, timeoutMs = 5000): Promise<ScriptedRequest[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.recorded.length < count) return;
        settle();
        resolve([...this.recorded]);
      };
      const settle = () => {
        clearTimeout(timer);
        this.arrivals.off('request', check);
      };
      const timer = setTimeout(() => {
        settle();
        reject(
          new Error(
            `ScriptedModel: expected ${count} requests within ${timeoutMs} ms, got ${this.recorded.length}.`,
          ),
        );
      }, timeoutMs);
      this.arrivals.on('request', check);
      check();
    });
  }

  /** Forgets queued replies, responders and recorded requests, so one server can serve a suite. */
  reset(): void {
    this.queue = [];
    this.responders = [];
    this.recorded = [];
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = await readBody(req);
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      return this.complete(req, res, rawBody);
    }
    if (!this.authorized(req)) return rejectKey(res);
    if (req.method === 'GET' && path === '/v1/models') return this.listModels(res);
    sendJson(
      res,
      404,
      errorBody(`Unknown request URL: ${req.method} ${path}.`, 'invalid_request_error'),
    );
  }

  private async complete(
    req: IncomingMessage,
    res: ServerResponse,
    rawBody: string,
  ): Promise<void> {
    let body: ChatCompletionCreateParams;
    try {
      body = JSON.parse(rawBody) as ChatCompletionCreateParams;
    } catch {
      return sendJson(
        res,
        400,
        errorBody('We could not parse the JSON body of your request.', 'invalid_request_error'),
      );
    }
    const request = this.record(req.headers, rawBody, body);
    if (!this.authorized(req)) return rejectKey(res);
    const reply = this.replyTo(request);
    if ('hang' in reply) return;
    if (reply.delayMs && !(await pause(reply.delayMs, res))) return;
    if ('error' in reply) return sendError(res, reply);
    if (body.stream) return stream(res, reply, streamEvents(reply, request));
    if (reply.dropAfterChunks !== undefined) return void res.socket?.destroy();
    if (reply.stallAfterChunks !== undefined) return;
    sendJson(res, 200, completionBody(reply, request));
  }

  private record(headers: IncomingHttpHeaders, rawBody: string, body: ChatCompletionCreateParams) {
    const choice = body.tool_choice;
    const request: ScriptedRequest = {
      seq: this.recorded.length + 1,
      receivedAt: Date.now(),
      headers,
      rawBody,
      body,
      forcedTool:
        typeof choice === 'object' && 'function' in choice ? choice.function.name : undefined,
      lastUserText: lastUserText(body),
    };
    this.recorded.push(request);
    this.arrivals.emit('request');
    return request;
  }

  private replyTo(request: ScriptedRequest): Reply {
    for (const responder of this.responders) {
      const reply = responder(request);
      if (reply) return reply;
    }
    return this.queue.shift() ?? scriptRanOut(request);
  }

  private authorized(req: IncomingMessage): boolean {
    const { apiKey } = this.options;
    return apiKey === undefined || req.headers.authorization === `Bearer ${apiKey}`;
  }

  private listModels(res: ServerResponse): void {
    const data = (this.options.models ?? ['scripted-model']).map((id) => ({
      id,
      object: 'model',
      created: 1_700_000_000,
      owned_by: 'tandem-tests',
    }));
    sendJson(res, 200, { object: 'list', data });
  }
}

/** A readable 500, so a test that forgot a reply fails with a message that says so. */
function scriptRanOut(request: ScriptedRequest): ErrorReply {
  const said = request.lastUserText
    ? ` (last user message: "${request.lastUserText.slice(0, 80)}")`
    : '';
  const message =
    `ScriptedModel: the script ran out: no queued reply and no responder matched request #${request.seq}${said}. ` +
    'Queue a reply with enqueue() or add a responder with respond().';
  return { error: { status: 500, body: errorBody(message, 'server_error', 'script_exhausted') } };
}

function rejectKey(res: ServerResponse): void {
  sendJson(res, 401, {
    error: {
      message: 'Incorrect API key provided',
      type: 'invalid_request_error',
      param: null,
      code: 'invalid_api_key',
    },
  });
}

function sendError(res: ServerResponse, reply: ErrorReply): void {
  const { status, body, headers = {} } = reply.error;
  const text =
    typeof body === 'string'
      ? body
      : JSON.stringify(
          body ??
            errorBody(
              `Scripted error ${status}.`,
              status >= 500 ? 'server_error' : 'invalid_request_error',
            ),
        );
  const contentType = typeof body === 'string' ? 'text/plain' : 'application/json';
  res.writeHead(status, { 'content-type': contentType, ...headers });
  res.end(text);
}

function sendJson(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function stream(
  res: ServerResponse,
  reply: CompletionReply,
  events: string[],
): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  for (const [sent, event] of events.entries()) {
    if (sent === reply.stallAfterChunks) return;
    if (sent === reply.dropAfterChunks) return void res.socket?.destroy();
    if (!(await write(res, `data: ${event}\n\n`))) return;
  }
  res.end();
}

/** Resolves true once the bytes are handed to the socket, false when the client went away. */
function write(res: ServerResponse, data: string): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => res.write(data, (error) => resolve(!error)));
}

/** Resolves true after `ms`, or false as soon as the connection closes. */
function pause(ms: number, res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const closed = () => finish(false);
    const finish = (waited: boolean) => {
      clearTimeout(timer);
      res.off('close', closed);
      resolve(waited);
    };
    const timer = setTimeout(() => finish(true), ms);
    res.on('close', closed);
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function lastUserText(body: ChatCompletionCreateParams): string {
  const last = [...(body.messages ?? [])].reverse().find((m) => m.role === 'user');
  if (!last) return '';
  if (typeof last.content === 'string') return last.content;
  return last.content.map((part) => ('text' in part ? part.text : '')).join('');
}
