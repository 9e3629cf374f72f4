import type { ContentTypeDecoder, ContentTypeDecoderOptions } from 'vscode-languageserver/node';
import {
  AbstractMessageReader,
  type DataCallback,
  type Disposable,
  ErrorCodes,
  type Message,
  type MessageReader,
  type MessageWriter,
  type ResponseMessage,
} from 'vscode-languageserver/node';

/**
 * Sits between the transport and the connection and answers what the connection would only
 * log: unparseable JSON gets a Parse error, and JSON that is not a JSON-RPC message gets an
 * Invalid Request error (with its id when it has a usable one), per JSON-RPC 2.0. Nothing
 * malformed reaches the handlers, and nothing malformed stops the server.
 */
export class ValidatingMessageReader extends AbstractMessageReader implements MessageReader {
  constructor(
    private readonly inner: MessageReader,
    private readonly writer: MessageWriter,
  ) {
    super();
    inner.onError((error) => {
      if (error instanceof NotAnObjectError) {
        void this.reply(null, ErrorCodes.InvalidRequest, `Invalid request: ${error.message}`);
      } else {
        void this.reply(
          null,
          ErrorCodes.ParseError,
          `Parse error: ${error.message.split('\n')[0]}`,
        );
      }
    });
    inner.onClose(() => this.fireClose());
    inner.onPartialMessage((info) => this.firePartialMessage(info));
  }

  listen(callback: DataCallback): Disposable {
    return this.inner.listen((message) => {
      const problem = invalidMessage(message);
      if (!problem) return callback(message);
      const id = (message as { id?: unknown }).id;
      const usableId = typeof id === 'number' || typeof id === 'string' ? id : null;
      void this.reply(usableId, ErrorCodes.InvalidRequest, `Invalid request: ${problem}`);
    });
  }

  override dispose(): void {
    super.dispose();
    this.inner.dispose();
  }

  private async reply(id: number | string | null, code: number, message: string): Promise<void> {
    const response: ResponseMessage = { jsonrpc: '2.0', id, error: { code, message } };
    try {
      await this.writer.write(response);
    } catch {
      // The transport is gone; the connection's close handling takes over.
    }
  }
}

class NotAnObjectError extends Error {}

/**
 * Decodes message bodies as JSON and refuses anything but an object before the connection
 * looks inside it (it would trip over `null`).
 */
export const jsonObjectDecoder: ContentTypeDecoder = {
  name: 'application/json',
  decode(buffer: Uint8Array, options: ContentTypeDecoderOptions): Promise<Message> {
    const text = new TextDecoder(options.charset).decode(buffer);
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return Promise.reject(
        new NotAnObjectError('a message must be a JSON object (batches are not supported)'),
      );
    }
    return Promise.resolve(value as Message);
  },
};

function invalidMessage(message: Message): string | undefined {
  const m = message as unknown as Record<string, unknown>;
  if (m.jsonrpc !== '2.0') return '"jsonrpc" must be "2.0"';
  const hasId = 'id' in m;
  if (hasId && typeof m.id !== 'number' && typeof m.id !== 'string' && m.id !== null) {
    return '"id" must be a number or a string';
  }
  if ('method' in m) {
    if (typeof m.method !== 'string' || m.method.length === 0) return '"method" must be a string';
    if ('params' in m && m.params !== null && typeof m.params !== 'object') {
      return '"params" must be an object or an array';
    }
    if (hasId && m.id === null) return 'a request "id" must not be null';
    return undefined;
  }
  if (hasId && ('result' in m || 'error' in m)) return undefined;
  return 'a message needs a "method" (request or notification) or a "result"/"error" (response)';
}
