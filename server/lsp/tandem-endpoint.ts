import { withDeadline } from './deadline';
import { fileURLToPath } from 'node:url';
import {
  type Connection,
  DidChangeConfigurationNotification,
  ErrorCodes,
  type InitializeParams,
  LSPErrorCodes,
  ResponseError,
} from 'vscode-languageserver/node';
import type { z } from 'zod';
import { ApprovalError } from '../approvals/approval-broker';
import { FlowError } from '../flows/flow';
import type { Logger } from '../logger';
import { WebviewEndpoint } from '../webview/webview-endpoint';
import {
  ApprovalRequestedNotification,
  ClientTandemCapabilities,
  type NotificationDeclaration,
  PROTOCOL_METHODS,
  PROTOCOL_VERSION,
  type RequestDeclaration,
  SessionStatusNotification,
  type WebviewInfoResult,
  WebviewInfoRequest,
} from '../protocol';
import { defaultStateDir, storageProblem } from '../store/database';
import { TandemServer } from '../tandem-server';
import { BridgedChannel } from './bridged-channel';
import { LspClientChannel } from './client-channel';
import { redactingLogger } from './redacting-logger';
import { requestHandlers, notificationHandlers, UnknownIdError } from './method-handlers';

/** The loaded server behind the LSP bootstrap: validates at the boundary and dispatches. */
export interface TandemEndpoint {
  /** Logs with secrets redacted. */
  readonly logger: Logger;
  initialized(): Promise<void>;
  request(method: string, params: unknown): Promise<unknown>;
  notification(method: string, params: unknown): void;
  configurationChanged(): Promise<void>;
  shutdown(): Promise<void>;
}

const requests = new Map(
  PROTOCOL_METHODS.filter((m): m is RequestDeclaration => m.kind === 'request').map((m) => [
    m.method,
    m,
  ]),
);
const clientNotifications = new Map(
  PROTOCOL_METHODS.filter(
    (m): m is NotificationDeclaration =>
      m.kind === 'notification' && m.direction === 'clientToServer',
  ).map((m) => [m.method, m]),
);

export function createEndpoint(
  connection: Connection,
  params: InitializeParams,
  env: NodeJS.ProcessEnv,
): TandemEndpoint {
  const tandem = ClientTandemCapabilities.safeParse(params.capabilities.experimental?.tandem);
  const lspChannel = new LspClientChannel(connection);
  let webview: Promise<WebviewEndpoint> | undefined;
  let openWebview: WebviewEndpoint | undefined;
  const channel = new BridgedChannel(lspChannel, () => openWebview);
  lspChannel.features = {
    tandem: tandem.success,
    approvals: tandem.success && tandem.data.approvals === true,
    workDoneProgress: params.capabilities.window?.workDoneProgress === true,
  };
  const configurable = params.capabilities.workspace?.configuration === true;
  const watchable =
    params.capabilities.workspace?.didChangeConfiguration?.dynamicRegistration === true;
  let server: TandemServer | undefined;
  const logger: Logger = redactingLogger(connection.console, () => server?.knownSecrets() ?? []);
  const stateDir = defaultStateDir(env);
  try {
    server = new TandemServer({
      stateDir,
      channel,
      logger,
      env,
      webviewConnected: () => openWebview?.connected === true,
    });
  } catch (error) {
    throw new Error(
      `tandem could not open its state in ${stateDir}: ${(error as Error).message}. ` +
        'Set TANDEM_STATE_DIR to a writable directory and restart the server.',
      { cause: error },
    );
  }
  server.setClient(tandem.success ? tandem.data : undefined, workspaceFolder(params));
  if (tandem.success && tandem.data.protocolVersion !== PROTOCOL_VERSION) {
    logger.warn(
      `The client speaks tandem protocol ${tandem.data.protocolVersion}; this server speaks ` +
        `${PROTOCOL_VERSION}. Update the one that is older.`,
    );
  }
  const live = server;
  let stopped = false;

  // The webview endpoint starts when a client first asks for it; its bridge dispatches exactly
  // as LSP requests are dispatched (below).
  const webviewInfo = async (): Promise<WebviewInfoResult> => {
    webview ??= WebviewEndpoint.start({
      assetsDir: fileURLToPath(new URL('../webview/', import.meta.url)),
      logger,
      dispatch: {
        request: (method, raw) => endpoint.request(method, raw),
        notification: (method, raw) => endpoint.notification(method, raw),
        connected: (send) =>
          live.replayToClient({
            requested: (p) => send(ApprovalRequestedNotification.method, p),
            sessionStatus: (p) => send(SessionStatusNotification.method, p),
          }),
      },
    }).then((started) => (openWebview = started));
    const started = await webview;
    return { url: started.url, protocolVersion: PROTOCOL_VERSION };
  };
  const ownHandlers: Record<string, () => Promise<unknown>> = {
    [WebviewInfoRequest.method]: webviewInfo,
  };

  const pullConfiguration = async () => {
    if (!configurable || stopped) return;
    try {
      const section = await withDeadline(
        connection.workspace.getConfiguration('tandem'),
        CONFIGURATION_DEADLINE_MS,
        'workspace/configuration',
      );
      live.configure(section);
    } catch (error) {
      logger.warn(`Could not read the tandem settings: ${(error as Error).message}`);
    }
  };
  // Requests wait for the editor's settings, so the first chat already uses them.
  let settingsLoaded!: () => void;
  const settings = new Promise<void>((resolve) => (settingsLoaded = resolve));
  const settingsFallback = setTimeout(() => settingsLoaded(), CONFIGURATION_DEADLINE_MS);

  const endpoint: TandemEndpoint = {
    logger,
    async initialized() {
      live.replayToClient();
      await pullConfiguration();
      clearTimeout(settingsFallback);
      settingsLoaded();
      void live.resumeInterrupted();
      if (configurable && watchable) {
        void connection.client.register(DidChangeConfigurationNotification.type, {
          section: 'tandem',
        });
      }
    },
    async request(method, raw) {
      const declaration = requests.get(method);
      const own = ownHandlers[method];
      const run: ((server: TandemServer, params: never) => unknown) | undefined = own
        ? () => own()
        : requestHandlers[method];
      if (!declaration || !run) {
        return new ResponseError(ErrorCodes.MethodNotFound, `Unknown method ${method}.`);
      }
      if (stopped) return new ResponseError(ErrorCodes.InvalidRequest, 'tandem is shutting down.');
      await settings;
      const parsed = declaration.params.safeParse(raw ?? {});
      if (!parsed.success) {
        return new ResponseError(ErrorCodes.InvalidParams, invalidParams(method, parsed.error));
      }
      try {
        return await run(live, parsed.data as never);
      } catch (error) {
        return toResponseError(method, error, logger);
      }
    },
    notification(method, raw) {
      const declaration = clientNotifications.get(method);
      const run = notificationHandlers[method];
      if (!declaration || !run || stopped) {
        if (!method.startsWith('$/')) logger.warn(`Ignored unknown notification ${method}.`);
        return;
      }
      const parsed = declaration.params.safeParse(raw);
      if (!parsed.success) {
        logger.warn(invalidParams(method, parsed.error));
        return;
      }
      try {
        run(live, parsed.data as never, logger);
      } catch (error) {
        logger.warn(`${method}: ${(error as Error).message}`);
      }
    },
    configurationChanged: pullConfiguration,
    async shutdown() {
      if (stopped) return;
      stopped = true;
      clearTimeout(settingsFallback);
      await openWebview?.close();
      await live.shutdown();
    },
  };
  return endpoint;
}

/** How long the server waits for the editor to answer `workspace/configuration`. */
const CONFIGURATION_DEADLINE_MS = 5000;

function workspaceFolder(params: InitializeParams): string | undefined {
  const uri = params.workspaceFolders?.[0]?.uri ?? params.rootUri;
  if (!uri || !uri.startsWith('file:')) return params.rootPath ?? undefined;
  return fileURLToPath(uri);
}

function invalidParams(method: string, error: z.ZodError): string {
  const issues = error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || 'params'}: ${i.message}`)
    .join('; ');
  return `Invalid params for ${method}: ${issues}`;
}

function toResponseError(method: string, error: unknown, logger: Logger): ResponseError {
  if (error instanceof ApprovalError || error instanceof UnknownIdError) {
    return new ResponseError(ErrorCodes.InvalidParams, error.message);
  }
  const name = (error as Error)?.name;
  const storage = storageProblem(error);
  if (storage) {
    logger.warn(`${method}: ${storage}.`);
    return new ResponseError(
      LSPErrorCodes.RequestFailed,
      `${storage}. Nothing was changed; try again once that is fixed.`,
    );
  }
  if (error instanceof FlowError || name === 'ForgeError' || name === 'ModelError') {
    return new ResponseError(LSPErrorCodes.RequestFailed, (error as Error).message);
  }
  logger.error(`${method} failed: ${(error as Error)?.stack ?? String(error)}`);
  return new ResponseError(
    ErrorCodes.InternalError,
    `${method} failed unexpectedly: ${(error as Error)?.message ?? String(error)}. The server log has details.`,
  );
}
