import * as vscode from 'vscode';
import { type LanguageClient, State } from 'vscode-languageclient/node';
import type {
  ApprovalRequestedParams,
  ApprovalResolvedParams,
  FlowId,
  SessionListResult,
  SessionSnapshot,
} from '../../../server/protocol/index';
import { FLOW_NAMES, Methods } from '../../../server/protocol/methods';
import { ChatView } from './chat-view';
import { Mirror } from './mirror';
import { askForSecret } from './secrets';
import { createClient, settingsChanged } from './server';
import { SessionsTree } from './sessions-tree';

const SERVER_NOTIFICATIONS = [
  Methods.chatUpdate,
  Methods.approvalRequested,
  Methods.approvalResolved,
  Methods.sessionStatus,
] as const;

const FLOW_PROMPTS: Record<FlowId, { prompt: string; placeHolder: string }> = {
  fix_pipeline: {
    prompt: 'The failed pipeline: its URL, or a CI job of this workspace',
    placeHolder: 'https://gitlab.com/group/project/-/pipelines/42',
  },
  implement_issue: {
    prompt: 'The issue: its URL, group/project#12 or #12 (or a task in words)',
    placeHolder: 'https://gitlab.com/group/project/-/issues/12',
  },
  code_review: {
    prompt: 'The merge request: its URL, group/project!7 or !7',
    placeHolder: 'https://gitlab.com/group/project/-/merge_requests/7',
  },
};

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const mirror = new Mirror();
  const chat = new ChatView(context.extensionUri, () => client, mirror);
  const tree = new SessionsTree(mirror);
  const status = vscode.window.createStatusBarItem(
    'tandem.status',
    vscode.StatusBarAlignment.Left,
    50,
  );
  status.name = 'tandem';
  status.command = 'tandem.openChat';
  context.subscriptions.push(mirror, chat, tree, status);
  context.subscriptions.push(
    vscode.window.registerWebviewViewProvider(ChatView.id, chat, {
      webviewOptions: { retainContextWhenHidden: true },
    }),
    vscode.window.createTreeView(SessionsTree.id, { treeDataProvider: tree }),
  );

  const renderStatus = () => {
    const { running, pending } = mirror;
    const state = client?.state;
    if (state !== State.Running) {
      status.text =
        state === State.Starting ? '$(loading~spin) tandem' : '$(debug-disconnect) tandem';
      status.tooltip = state === State.Starting ? 'tandem is starting' : 'tandem is not running';
      status.backgroundColor = undefined;
    } else {
      const parts = [running ? `$(sync~spin) ${running}` : '$(check-all)'];
      if (pending) parts.push(`$(bell-dot) ${pending}`);
      status.text = `tandem ${parts.join(' ')}`;
      status.tooltip = `tandem: ${running} session${running === 1 ? '' : 's'} running, ${pending} approval${pending === 1 ? '' : 's'} waiting. Click to open the chat.`;
      status.backgroundColor = pending
        ? new vscode.ThemeColor('statusBarItem.warningBackground')
        : undefined;
    }
    status.show();
  };
  mirror.onDidChange(renderStatus);

  /** An approval while the chat is not in view: a notification with Approve / Deny. */
  const offer = async (approval: ApprovalRequestedParams) => {
    const what = approval.flow
      ? `${approval.flow.name}${approval.reference ? ` on ${approval.reference.label}` : ''}`
      : approval.title;
    const message =
      approval.kind === 'command' && approval.command
        ? `tandem wants to run \`${approval.command.command}\` in the sandbox (${approval.command.cwd}).`
        : `tandem asks to start ${what}.`;
    const choice = await vscode.window.showInformationMessage(
      message,
      { modal: false, detail: approval.details },
      'Approve',
      'Deny',
      'Show',
    );
    if (!choice) return;
    if (choice === 'Show') {
      if (approval.sessionId) return chat.reveal(approval.sessionId, 'notification');
      return chat.reveal();
    }
    if (!mirror.approvals.has(approval.approvalId)) {
      void vscode.window.showInformationMessage('tandem: that approval was already answered.');
      return;
    }
    try {
      await client?.sendRequest(Methods.approvalRespond, {
        approvalId: approval.approvalId,
        decision: choice === 'Approve' ? 'approve' : 'deny',
      });
    } catch (error) {
      void vscode.window.showWarningMessage(`tandem: ${(error as Error).message}`);
    }
  };

  const refreshSessions = async () => {
    if (!client?.isRunning()) return;
    const listed = await client.sendRequest<SessionListResult>(Methods.sessionList, { limit: 100 });
    mirror.sessionsListed(listed.sessions);
  };

  const start = async () => {
    client = createClient(context);
    context.subscriptions.push(
      client.onDidChangeState((e) => {
        if (e.newState === State.Running) {
          chat.setConnection({ status: 'open' });
        } else if (e.newState === State.Starting) {
          chat.setConnection({ status: 'connecting' });
        } else {
          mirror.reset();
          chat.setConnection({
            status: 'closed',
            reason: 'the tandem server stopped (see “Tandem: Show Server Log”)',
          });
        }
        renderStatus();
      }),
    );
    for (const method of SERVER_NOTIFICATIONS) {
      context.subscriptions.push(
        client.onNotification(method, (params: unknown) => {
          if (method === Methods.approvalRequested) {
            const approval = params as ApprovalRequestedParams;
            const isNew = mirror.approvalRequested(approval);
            if (isNew && !chat.visible) void offer(approval);
          } else if (method === Methods.approvalResolved) {
            mirror.approvalResolved(params as ApprovalResolvedParams);
          } else if (method === Methods.sessionStatus) {
            mirror.sessionStatus(params as SessionSnapshot);
          }
          chat.notify(method, params);
        }),
      );
    }
    renderStatus();
    try {
      await client.start();
      await refreshSessions();
    } catch (error) {
      chat.setConnection({
        status: 'closed',
        reason: `the tandem server did not start: ${(error as Error).message}`,
      });
      renderStatus();
    }
  };

  const startFlow = async (flow: FlowId, reference?: string) => {
    const ask = FLOW_PROMPTS[flow];
    const ref =
      typeof reference === 'string' && reference
        ? reference
        : await vscode.window.showInputBox({
            title: `tandem: ${FLOW_NAMES[flow]}`,
            prompt: ask.prompt,
            placeHolder: ask.placeHolder,
            ignoreFocusOut: true,
            validateInput: (v) => (v.trim() ? undefined : 'A reference is needed.'),
          });
    if (!ref?.trim()) return;
    if (!client?.isRunning()) {
      void vscode.window.showErrorMessage('tandem: the server is not running; see the server log.');
      return;
    }
    try {
      const { sessionId } = await client.sendRequest<{ sessionId: string }>(Methods.flowStart, {
        flow,
        reference: ref.trim(),
        trigger: 'ui',
      });
      const choice = await vscode.window.showInformationMessage(
        `tandem: ${FLOW_NAMES[flow]} started.`,
        'Show',
      );
      if (choice === 'Show') await chat.reveal(sessionId, 'notification');
    } catch (error) {
      void vscode.window.showErrorMessage(`tandem: ${(error as Error).message}`);
    }
  };

  const command = (id: string, run: (...args: unknown[]) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, run));
  command('tandem.openChat', () => chat.show('chat'));
  command('tandem.fixPipeline', (ref) => startFlow('fix_pipeline', ref as string | undefined));
  command('tandem.implementIssue', (ref) =>
    startFlow('implement_issue', ref as string | undefined),
  );
  command('tandem.reviewMergeRequest', (ref) =>
    startFlow('code_review', ref as string | undefined),
  );
  command('tandem.showSessions', () => vscode.commands.executeCommand(`${SessionsTree.id}.focus`));
  command('tandem.openSession', (arg) => {
    const sessionId =
      typeof arg === 'string' ? arg : (arg as SessionSnapshot | undefined)?.sessionId;
    if (sessionId) return chat.reveal(sessionId, 'list');
  });
  command('tandem.cancelSession', async (arg) => {
    const sessionId =
      typeof arg === 'string' ? arg : (arg as SessionSnapshot | undefined)?.sessionId;
    if (!sessionId || !client?.isRunning()) return;
    try {
      await client.sendRequest(Methods.sessionCancel, { sessionId });
    } catch (error) {
      void vscode.window.showErrorMessage(`tandem: ${(error as Error).message}`);
    }
  });
  command('tandem.refreshSessions', refreshSessions);
  command('tandem.showServerLog', () => client?.outputChannel.show(true));
  // A stored or removed secret reaches the server through the secrets listener below.
  command('tandem.setModelApiKey', () => askForSecret(context.secrets, 'modelApiKey'));
  command('tandem.setGitLabToken', () => askForSecret(context.secrets, 'gitlabToken'));
  command('tandem.restartServer', async () => {
    await client?.restart();
  });

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('tandem') && client) settingsChanged(client);
    }),
    context.secrets.onDidChange(() => client && settingsChanged(client)),
  );

  await start();
}

export async function deactivate(): Promise<void> {
  await client?.stop().catch(() => undefined);
  client = undefined;
}
