import { type ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Frame, Page } from 'playwright-core';

const run = promisify(execFile);

/** code-server from `scripts/install-code-server.sh` (or TANDEM_CODE_SERVER). */
export function codeServerBinary(): string {
  const bin =
    process.env.TANDEM_CODE_SERVER ??
    path.join(
      os.homedir(),
      '.cache',
      'tandem',
      'code-server',
      'node_modules',
      '.bin',
      'code-server',
    );
  if (!fs.existsSync(bin)) {
    throw new Error(
      `code-server is missing at ${bin}: run scripts/install-code-server.sh ` +
        '(after apt-get install -y libkrb5-dev pkg-config ripgrep), or set TANDEM_CODE_SERVER.',
    );
  }
  return bin;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function healthy(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    http
      .get(`${url}/healthz`, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      })
      .on('error', () => resolve(false));
  });
}

export interface CodeServer {
  url: string;
  log(): string;
  stop(): Promise<void>;
}

/**
 * Real VS Code (code-server) on 127.0.0.1 with its own user data and extensions directories,
 * the given VSIX installed, and `settings` as the user's settings.
 */
export async function startCodeServer(options: {
  vsix: string;
  dir: string;
  settings: Record<string, unknown>;
  env: Record<string, string>;
}): Promise<CodeServer> {
  const bin = codeServerBinary();
  const userData = path.join(options.dir, 'user-data');
  const extensions = path.join(options.dir, 'extensions');
  const config = path.join(options.dir, 'config');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.mkdirSync(config, { recursive: true });
  fs.writeFileSync(
    path.join(userData, 'User', 'settings.json'),
    JSON.stringify(options.settings, null, 2),
  );
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: config,
    XDG_DATA_HOME: path.join(options.dir, 'data'),
    ...options.env,
  };
  const common = ['--extensions-dir', extensions, '--user-data-dir', userData];
  await run(bin, [...common, '--install-extension', options.vsix, '--force'], {
    env,
    timeout: 120_000,
  });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn(
    bin,
    [
      ...common,
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d) => (output += String(d)));
  child.stderr!.on('data', (d) => (output += String(d)));
  const deadline = Date.now() + 60_000;
  while (!(await healthy(url))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      throw new Error(`code-server did not start:\n${output.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    log: () => output,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** Runs a command from the palette (F1), by its title. */
export async function runCommand(page: Page, title: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  // F1 pressed while a webview has the focus may not reach the workbench, and a webview that
  // takes the focus as it loads closes a palette that had opened: give the focus to the
  // (empty) editor area and start again.
  for (let attempt = 0; ; attempt++) {
    await page.keyboard.press('F1');
    const typed = await input
      .waitFor({ state: 'visible', timeout: 3000 })
      .then(() => input.fill(`>${title}`, { timeout: 3000 }))
      .then(() => true)
      .catch(() => false);
    if (typed) {
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
      const listed = await row
        .waitFor({ timeout: 10_000 })
        .then(() => input.press('Enter', { timeout: 3000 }))
        .then(() => true)
        .catch(() => false);
      if (listed) return;
    }
    if (attempt === 3) throw new Error(`The command palette did not open to run "${title}".`);
    await page.keyboard.press('Escape');
    await page.locator('.part.editor').click({ position: { x: 20, y: 20 } });
  }
}

/** Answers an input box the extension opened (showInputBox). */
export async function answerInputBox(page: Page, text: string): Promise<void> {
  // The extension's input box, not the command palette it was opened from.
  const input = page.locator(
    '.quick-input-widget input:not([aria-label="Type the name of a command to run."])',
  );
  await input.waitFor();
  await input.fill(text);
  await input.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}

/** The frame of the tandem chat webview (VS Code nests it in two iframes). */
export async function webviewFrame(page: Page, timeoutMs = 30_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      if (await frame.$('#app[data-connection]').catch(() => null)) return frame;
    }
    if (Date.now() > deadline) throw new Error('The tandem chat webview did not appear.');
    await new Promise((r) => setTimeout(r, 200));
  }
}
