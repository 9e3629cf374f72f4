import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  createMessageConnection,
  type MessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node';
import { SERVER_ENTRY } from '../test/support/protocol-client';
import { FAST_SETTINGS } from '../test/support/review-world';
import { tempDir } from '../test/support/temp-dir';
import { progress } from './report';
import { type Scope, scoped } from './scope';
import { median } from './stats';

export const BARE_ENTRY = path.resolve(__dirname, '..', 'dist', 'bench', 'bare-server.js');

const DEADLINE_MS = 15_000;

export interface StartupPair {
  /** spawn → `initialize` result, tandem. */
  tandemMs: number;
  /** spawn → `initialize` result, the bare server. */
  bareMs: number;
  /** spawn → first `tandem/session/list` answered, tandem. */
  tandemReadyMs: number;
  ratio: number;
}

export interface StartupResult {
  pairs: StartupPair[];
  tandemMedianMs: number;
  bareMedianMs: number;
  ratioMedian: number;
  readyMedianMs: number;
}

/**
 * Start-up, tandem against the bare server, in pairs whose order alternates so neither always
 * runs on a warmer machine. Both go through the same launcher with the same `initialize`.
 */
export async function measureStartup(
  scope: Scope,
  pairs: number,
  warmup: number,
): Promise<StartupResult> {
  const measured: StartupPair[] = [];
  for (let i = 0; i < warmup + pairs; i++) {
    progress('start-up', Math.max(0, i - warmup + 1), pairs, i < warmup ? 'warm-up' : undefined);
    const pair = await measurePair(scope, i % 2 === 0);
    if (i >= warmup) measured.push(pair);
  }
  return {
    pairs: measured,
    tandemMedianMs: median(measured.map((p) => p.tandemMs)),
    bareMedianMs: median(measured.map((p) => p.bareMs)),
    ratioMedian: median(measured.map((p) => p.ratio)),
    readyMedianMs: median(measured.map((p) => p.tandemReadyMs)),
  };
}

async function measurePair(scope: Scope, tandemFirst: boolean): Promise<StartupPair> {
  const runTandem = () => scoped(scope, (s) => launchTandem(s));
  const runBare = () => scoped(scope, (s) => launch(s, [BARE_ENTRY, '--stdio'], {}, false));
  const first = await (tandemFirst ? runTandem() : runBare());
  const second = await (tandemFirst ? runBare() : runTandem());
  const [tandem, bare] = tandemFirst ? [first, second] : [second, first];
  return {
    tandemMs: tandem.initializeMs,
    bareMs: bare.initializeMs,
    tandemReadyMs: tandem.readyMs as number,
    ratio: tandem.initializeMs / bare.initializeMs,
  };
}

function launchTandem(scope: Scope): Promise<Launch> {
  const state = tempDir('tandem-bench-start-');
  scope.defer(() => state.cleanup());
  return launch(scope, [SERVER_ENTRY, 'lsp', '--stdio'], { TANDEM_STATE_DIR: state.dir }, true);
}

interface Launch {
  initializeMs: number;
  readyMs?: number;
}

/** spawn → `initialize` answered; with `ready`, also → the first `tandem/session/list` answered. */
async function launch(scope: Scope, args: string[], env: Record<string, string>, ready: boolean) {
  const start = performance.now();
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const connection = connect(child);
  scope.defer(() => stop(child, connection));
  await deadline(connection.sendRequest('initialize', initializeParams()), 'initialize');
  const launched: Launch = { initializeMs: performance.now() - start };
  if (!ready) return launched;
  await connection.sendNotification('initialized', {});
  await deadline(connection.sendRequest('tandem/session/list', {}), 'tandem/session/list');
  return { ...launched, readyMs: performance.now() - start };
}

function connect(child: ChildProcess): MessageConnection {
  const connection = createMessageConnection(
    new StreamMessageReader(child.stdout!),
    new StreamMessageWriter(child.stdin!),
  );
  connection.onRequest('workspace/configuration', (params: { items: { section?: string }[] }) =>
    params.items.map((item) => (item.section === 'tandem' ? FAST_SETTINGS : null)),
  );
  connection.onRequest(() => null);
  connection.listen();
  return connection;
}

/** What `ProtocolClient` sends, so start-up is measured the way the other figures talk. */
function initializeParams() {
  return {
    processId: process.pid,
    rootUri: null,
    workspaceFolders: null,
    capabilities: {
      workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } },
      window: { workDoneProgress: true },
      experimental: { tandem: { protocolVersion: 1, approvals: true, sessionWidget: true } },
    },
  };
}

function deadline<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} not answered in ${DEADLINE_MS} ms`)),
      DEADLINE_MS,
    );
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function stop(child: ChildProcess, connection: MessageConnection): Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  try {
    await Promise.race([connection.sendRequest('shutdown'), exited]);
    await connection.sendNotification('exit');
  } catch {
    // Already gone.
  }
  const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(killer);
  connection.dispose();
}
