import { fileURLToPath } from 'node:url';
import {
  type Connection,
  createConnection,
  DidChangeConfigurationNotification,
  ErrorCodes,
  type InitializeError,
  type InitializeParams,
  LSPErrorCodes,
  type InitializeResult,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-languageserver/node';
import type { z } from 'zod';
import { ApprovalError } from '../approvals/approval-broker';
import { FlowError } from '../flows/flow';
import type { Logger } from '../logger';
import {
  ApprovalRespondRequest,
  ChatSendRequest,
  ClientTandemCapabilities,
  FlowStartRequest,
  PROTOCOL_VERSION,
  type RequestDeclaration,
  SessionCancelRequest,
  SessionGetRequest,
  SessionListRequest,
  SessionOpenedNotification,
  TelemetrySummaryRequest,
} from '../protocol';
import { defaultStateDir } from '../store/database';
import { TandemServer } from '../tandem-server';
import { LspClientChannel } from './client-channel';
import { redactingLogger } from './redacting-logger';
import { ValidatingMessageReader } from './validating-reader';

/**
 * The language server over stdio: maps LSP and `tandem/*` methods onto `TandemServer`, validates
 * every payload at the boundary, and answers every failure as a JSON-RPC error. stdout carries
 * the protocol only; diagnostics go to `window/logMessage`.
 */
export function runLanguageServer(env: NodeJS.ProcessEnv = process.env): Connection {
  const writer = new StreamMessageWriter(process.stdout);
  const reader = new ValidatingMessageReader(new StreamMessageReader(process.stdin), writer);
  const connection = createConnection(reader, writer);
  const channel = new LspClientChannel(connection);
  let server: TandemServer | undefined;
  const logger: Logger = redactingLogger(connection.console, () => server?.settings);

  process.on('uncaughtException', (error) => logger.error(`Uncaught: ${error.stack}`));
  process.on('unhandledRejection', (error) =>
    logger.error(`Unhandled rejection: ${String(error)}`),
  );

  let configurationSupported = false;
  let dynamicConfiguration = false;

  connection.onInitialize((params): InitializeResult | ResponseError<InitializeError> => {
    configurationSupported = params.capabilities.workspace?.configuration === true;
    dynamicConfiguration =
      params.capabilities.workspace?.didChangeConfiguration?.dynamicRegistration === true;
    const tandem = ClientTandemCapabilities.safeParse(params.capabilities.experimental?.tandem);
    channel.features = {
      tandem: tandem.success,
      approvals: tandem.success && tandem.data.approvals === true,
      workDoneProgress: params.capabilities.window?.workDoneProgress === true,
    };
    const stateDir = defaultStateDir(env);
    try {
      server ??= new TandemServer({ stateDir, channel, logger, env });
    } catch (error) {
      return new ResponseError<InitializeError>(
        ErrorCodes.InternalError,
        `tandem cannot open its state in ${stateDir}: ${(error as Error).message}. ` +
          'Set TANDEM_STATE_DIR to a writable directory.',
        { retry: false },
      );
    }
    server.setClient(tandem.success ? tandem.data : undefined, workspaceFolder(params));
    return {
      capabilities: {
        experimental: {
          tandem: { protocolVersion: PROTOCOL_VERSION, flows: server.flows.all().map((f) => f.id) },
        },
      },
      serverInfo: { name: 'tandem', version: process.env.TANDEM_VERSION ?? '0.1.0' },
    };
  });

  connection.onInitialized(async () => {
    server?.replayToClient();
    await pullConfiguration();
    const canWatch = configurationSupported && dynamicConfiguration;
    if (canWatch)
      void connection.client.register(DidChangeConfigurationNotification.type, {
        section: 'tandem',
      });
  });

  async function pullConfiguration(): Promise<void> {
    if (!server || !configurationSupported) return;
    try {
      server.configure(await connection.workspace.getConfiguration('tandem'));
    } catch (error) {
      logger.warn(`Could not read the tandem settings: ${(error as Error).message}`);
    }
  }
  connection.onDidChangeConfiguration(() => void pullConfiguration());

  const handle = <P extends z.ZodType, R extends z.ZodType>(
    declaration: RequestDeclaration<P, R>,
    run: (server: TandemServer, params: z.infer<P>) => z.infer<R> | Promise<z.infer<R>>,
  ) => {
    connection.onRequest(declaration.method, async (raw: unknown) => {
      if (!server) {
        return new ResponseError(
          ErrorCodes.ServerNotInitialized,
          'tandem is not initialized: send initialize first.',
        );
      }
      const parsed = declaration.params.safeParse(raw ?? {});
      if (!parsed.success) {
        return new ResponseError(
          ErrorCodes.InvalidParams,
          invalidParams(declaration.method, parsed.error),
        );
      }
      try {
        return await run(server, parsed.data);
      } catch (error) {
        return toResponseError(declaration.method, error, logger);
      }
    });
  };

  handle(ChatSendRequest, (s, p) => s.chat.send(p));
  handle(ApprovalRespondRequest, (s, p) => s.broker.respond(p));
  handle(FlowStartRequest, (s, p) => s.startFlow(p));
  handle(SessionListRequest, (s, p) => ({
    sessions: s.sessionStore.list(p.statuses, p.limit ?? 100),
  }));
  handle(SessionGetRequest, (s, p) => {
    const details = s.sessionStore.details(p.sessionId);
    if (!details) throw new UnknownIdError(`Unknown session ${p.sessionId}.`);
    return details;
  });
  handle(SessionCancelRequest, (s, p) => s.sessions.cancel(p.sessionId));
  handle(TelemetrySummaryRequest, (s, p) => s.telemetry.summary(p.since));

  connection.onNotification(SessionOpenedNotification.method, (raw: unknown) => {
    const parsed = SessionOpenedNotification.params.safeParse(raw);
    if (!parsed.success || !server) {
      logger.warn(invalidParams(SessionOpenedNotification.method, parsed.error));
      return;
    }
    if (!server.sessionStore.find(parsed.data.sessionId)) {
      logger.warn(`${SessionOpenedNotification.method}: unknown session ${parsed.data.sessionId}`);
      return;
    }
    server.telemetry.record({ type: 'widget_opened', ...parsed.data });
  });

  connection.onShutdown(() => {
    server?.shutdown();
    server = undefined;
  });

  connection.listen();
  return connection;
}

/** A request named something that does not exist; answered as InvalidParams. */
class UnknownIdError extends Error {}

function workspaceFolder(params: InitializeParams): string | undefined {
  const uri = params.workspaceFolders?.[0]?.uri ?? params.rootUri;
  if (!uri || !uri.startsWith('file:')) return params.rootPath ?? undefined;
  return fileURLToPath(uri);
}

function invalidParams(method: string, error: z.ZodError | undefined): string {
  const issues = (error?.issues ?? [])
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || 'params'}: ${i.message}`)
    .join('; ');
  return `Invalid params for ${method}: ${issues || 'tandem is not initialized'}`;
}

function toResponseError(method: string, error: unknown, logger: Logger): ResponseError {
  if (error instanceof ApprovalError || error instanceof UnknownIdError)
    return new ResponseError(ErrorCodes.InvalidParams, error.message);
  const name = (error as Error)?.name;
  if (error instanceof FlowError || name === 'ForgeError' || name === 'ModelError') {
    return new ResponseError(LSPErrorCodes.RequestFailed, (error as Error).message);
  }
  logger.error(`${method} failed: ${(error as Error)?.stack ?? String(error)}`);
  return new ResponseError(
    ErrorCodes.InternalError,
    `${method} failed unexpectedly: ${(error as Error)?.message ?? String(error)}. The server log has details.`,
  );
}
