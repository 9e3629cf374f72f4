import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  type StaticFeature,
  TransportKind,
} from 'vscode-languageclient/node';
import { PROTOCOL_VERSION } from '../../../server/protocol/version';
import { readSecrets } from './secrets';

/** Advertises what this client renders: approvals and session widgets (protocol v1). */
const tandemCapabilities: StaticFeature = {
  fillClientCapabilities(capabilities) {
    capabilities.experimental = {
      ...(capabilities.experimental as object | undefined),
      tandem: { protocolVersion: PROTOCOL_VERSION, approvals: true, sessionWidget: true },
    };
  },
  initialize() {},
  getState: () => ({ kind: 'static' }),
  clear() {},
};

/**
 * The Node.js that runs the bundled server. Its native module (SQLite) is built for Node.js,
 * not for the editor's Electron: in desktop VS Code the server runs on `node` from the PATH
 * (or `tandem.server.nodePath`); where the extension host is Node.js itself (code-server),
 * that one.
 */
function nodePath(): string {
  const configured = vscode.workspace.getConfiguration('tandem').get<string>('server.nodePath');
  if (configured) return configured;
  return process.versions.electron ? 'node' : process.execPath;
}

/**
 * Starts the bundled server (`dist/tandem.js lsp --stdio`) with vscode-languageclient. The
 * `tandem` settings reach it through `workspace/configuration`; the model key and the GitLab
 * token are added from SecretStorage on the way (and never read from settings).
 */
export function createClient(context: vscode.ExtensionContext): LanguageClient {
  const server = context.asAbsolutePath('dist/tandem.js');
  const run = {
    command: nodePath(),
    args: [server, 'lsp', '--stdio'],
    transport: TransportKind.stdio,
    options: { env: { ...process.env, ELECTRON_RUN_AS_NODE: undefined } },
  };
  const serverOptions: ServerOptions = { run, debug: run };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [],
    outputChannelName: 'tandem',
    middleware: {
      workspace: {
        configuration: async (params, token, next) => {
          const values = (await next(params, token)) as unknown[];
          if (!Array.isArray(values)) return values;
          const secrets = await readSecrets(context.secrets);
          return values.map((value, i) =>
            params.items[i]?.section === 'tandem' ? withSecrets(value, secrets) : value,
          );
        },
      },
    },
  };
  const client = new LanguageClient('tandem', 'tandem', serverOptions, clientOptions);
  client.registerFeature(tandemCapabilities);
  return client;
}

/** Settings as the server reads them: secrets only from SecretStorage, never from settings. */
function withSecrets(
  value: unknown,
  secrets: { modelApiKey?: string; gitlabToken?: string },
): unknown {
  const section = dropEmpty(JSON.parse(JSON.stringify(value ?? {}))) as {
    model?: Record<string, unknown>;
    gitlab?: Record<string, unknown>;
    server?: unknown;
  };
  delete section.server;
  section.model = { ...section.model };
  section.gitlab = { ...section.gitlab };
  delete section.model.apiKey;
  delete section.gitlab.token;
  if (secrets.modelApiKey) section.model.apiKey = secrets.modelApiKey;
  if (secrets.gitlabToken) section.gitlab.token = secrets.gitlabToken;
  return section;
}

/** Tells the server to read its settings again (after a secret changed). */
export function settingsChanged(client: LanguageClient): void {
  if (client.isRunning()) {
    void client.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
  }
}

/** An empty setting means "not set": the server then uses its environment or default. */
function dropEmpty(value: unknown): unknown {
  if (Array.isArray(value) || typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === '' || v === null || v === undefined) continue;
    out[k] = dropEmpty(v);
  }
  return out;
}
