import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import './app.css';
import { App } from './app';
import { type Host, SocketHost, VsCodeHost } from './host';

declare global {
  interface Window {
    acquireVsCodeApi?: () => {
      postMessage(message: unknown): void;
      getState(): unknown;
      setState(state: unknown): void;
    };
    tandem?: App;
  }
}

const host: Host = window.acquireVsCodeApi
  ? new VsCodeHost(window.acquireVsCodeApi())
  : SocketHost.fromLocation(window.location, window.sessionStorage);
document.body.classList.add(`host-${host.kind}`);
const root = document.getElementById('app') ?? document.body;
const app = new App(host, root);
window.tandem = app;

// The editor can ask the page to open a session (its Sessions tree, a notification).
window.addEventListener('message', (event: MessageEvent) => {
  if (host.kind === 'browser' && event.origin !== window.location.origin) return;
  const data = event.data as { tandem?: string; sessionId?: string; source?: string };
  if (data?.tandem === 'reveal' && typeof data.sessionId === 'string') {
    app.openSession(data.sessionId, data.source === 'notification' ? 'notification' : 'list');
  }
  if (data?.tandem === 'show' && (data.source === 'chat' || data.source === 'sessions')) {
    app.show(data.source);
  }
});
