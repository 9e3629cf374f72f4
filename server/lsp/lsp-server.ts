import {
  createConnection,
  ErrorCodes,
  type InitializeResult,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-languageserver/node';
import { AVAILABLE_FLOWS } from '../flows/available-flows';
import { PROTOCOL_VERSION } from '../protocol/version';
import type { TandemEndpoint } from './tandem-endpoint';
import { jsonObjectDecoder, ValidatingMessageReader } from './validating-reader';

/**
 * The language server over stdio. This file stays small on purpose: `initialize` is answered
 * as fast as a bare server answers it, while the rest of tandem (store, model client, GitLab
 * client, schemas) loads right after in the background. Requests that arrive meanwhile wait
 * for it. stdout carries the protocol only; diagnostics go to `window/logMessage`.
 */
export function runLanguageServer(env: NodeJS.ProcessEnv = process.env): void {
  const writer = new StreamMessageWriter(process.stdout);
  const reader = new ValidatingMessageReader(
    new StreamMessageReader(process.stdin, {
      charset: 'utf-8',
      contentTypeDecoder: jsonObjectDecoder,
    }),
    writer,
  );
  const connection = createConnection(reader, writer);
  let endpoint: Promise<TandemEndpoint> | undefined;

  // The server keeps serving after a stray exception; it is logged (redacted once loaded).
  let log = (message: string) => connection.console.error(message);
  process.on('uncaughtException', (error) => log(`Uncaught: ${error.stack}`));
  process.on('unhandledRejection', (error) => log(`Unhandled rejection: ${String(error)}`));

  connection.onInitialize((params): InitializeResult => {
    // Loaded after this response is on its way, so the editor's handshake never waits for it.
    endpoint ??= new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => import('./tandem-endpoint'))
      .then((m) => m.createEndpoint(connection, params, env))
      .then((loaded) => {
        log = (message) => loaded.logger.error(message);
        return loaded;
      });
    endpoint.catch((error: Error) => connection.console.error(error.message));
    return {
      capabilities: {
        experimental: { tandem: { protocolVersion: PROTOCOL_VERSION, flows: AVAILABLE_FLOWS } },
      },
      serverInfo: { name: 'tandem', version: env.TANDEM_VERSION ?? '0.1.0' },
    };
  });

  connection.onInitialized(async () => {
    const ready = await settled(endpoint);
    if (ready instanceof Error) {
      void connection.window.showErrorMessage(ready.message);
      return;
    }
    await ready?.initialized();
  });

  connection.onRequest(async (method, params) => {
    const ready = await settled(endpoint);
    if (!ready) {
      return new ResponseError(
        ErrorCodes.ServerNotInitialized,
        `${method}: tandem is not initialized; send initialize first.`,
      );
    }
    if (ready instanceof Error) return new ResponseError(ErrorCodes.InternalError, ready.message);
    return ready.request(method, params);
  });

  connection.onNotification(async (method, params) => {
    const ready = await settled(endpoint);
    if (ready && !(ready instanceof Error)) ready.notification(method, params);
  });

  connection.onDidChangeConfiguration(async () => {
    const ready = await settled(endpoint);
    if (ready && !(ready instanceof Error)) await ready.configurationChanged();
  });

  connection.onShutdown(async () => {
    const ready = await settled(endpoint);
    if (ready && !(ready instanceof Error)) await ready.shutdown();
  });

  connection.listen();
}

async function settled<T>(promise: Promise<T> | undefined): Promise<T | Error | undefined> {
  if (!promise) return undefined;
  try {
    return await promise;
  } catch (error) {
    return error as Error;
  }
}
