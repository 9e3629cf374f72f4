import { ApprovalBroker, type ApprovalSink, outcomeOf } from './approvals/approval-broker';
import { ApprovalStore } from './approvals/approval-store';
import { ChatService } from './chat/chat-service';
import { ConversationStore } from './chat/conversation-store';
import type { FlowApprovalContext } from './chat/flow-recommendation';
import { type ChatModel, ModelError } from './chat/model';
import { OpenAIChatModel } from './chat/openai-model';
import type { TandemConfig } from './config';
import type { FlowForge, ResolvedReference } from './forge/forge';
import { ForgeError } from './forge/forge';
import { GitLabForge } from './forge/gitlab-forge';
import { accessProblem } from './flows/flow-access';
import { type Flow, FlowError } from './flows/flow';
import { FlowRegistry } from './flows/flow-registry';
import type { Logger } from './logger';
import type {
  ChatUpdateParams,
  ClientTandemCapabilities,
  FlowStartParams,
  FlowStartResult,
  SessionSnapshot,
} from './protocol';
import { SessionService, type ProgressHandle } from './sessions/session-service';
import { SessionStore } from './sessions/session-store';
import { needsApiKey, resolveSettings } from './settings';
import { type Db, openDatabase } from './store/database';
import { TelemetryStore } from './telemetry/telemetry-store';
import * as path from 'node:path';
import { DevContainerProvider } from '../sandbox/devcontainer-sandbox';
import { CommandGate } from '../sandbox/policy/command-gate';
import { PolicyStore } from '../sandbox/policy/policy-store';
import type { SandboxProvider } from '../sandbox/sandbox';

const SWEEP_INTERVAL_MS = 15_000;
const SHUTDOWN_GRACE_MS = 2_000;

/** How the server reaches the attached editor; the LSP connection in production. */
export interface ClientChannel extends ApprovalSink {
  chatUpdate(params: ChatUpdateParams): void;
  sessionStatus(snapshot: SessionSnapshot): void;
  beginProgress(title: string): ProgressHandle;
}

export interface TandemServerOptions {
  stateDir: string;
  channel: ClientChannel;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  /** Test seams: swap the model or the forge for another implementation. */
  createModel?: (config: TandemConfig) => ChatModel;
  createForge?: (config: TandemConfig, workspaceFolder?: string) => FlowForge;
  createSandboxProvider?: (config: () => TandemConfig['sandbox']) => SandboxProvider;
  /** The flows this server runs; the built-in registry unless given. */
  flows?: FlowRegistry;
  /** Whether a webview (which shows approvals) is connected to the webview endpoint. */
  webviewConnected?: () => boolean;
}

/**
 * Everything that thinks, wired together: stores, approvals, chat, sessions, telemetry. Knows
 * nothing of LSP; `lsp/` maps methods onto it.
 */
export class TandemServer {
  readonly db: Db;
  readonly sessionStore: SessionStore;
  readonly telemetry: TelemetryStore;
  readonly broker: ApprovalBroker;
  readonly sessions: SessionService;
  readonly chat: ChatService;
  readonly flows: FlowRegistry;

  private config: TandemConfig;
  private model?: ChatModel;
  private forge?: FlowForge;
  private workspaceFolder?: string;
  private clientCapabilities: ClientTandemCapabilities | undefined;
  private readonly approvals: ApprovalStore;
  private readonly sweeper: NodeJS.Timeout;
  private readonly orphansRemoved: Promise<void>;
  private resuming = false;
  private readonly secrets = new Set<string>();
  readonly policy: PolicyStore;
  readonly commandGate: CommandGate;
  readonly sandboxProvider: SandboxProvider;

  constructor(private readonly options: TandemServerOptions) {
    this.flows = options.flows ?? new FlowRegistry();
    this.config = resolveSettings(undefined, options.env).config;
    this.remember(this.config);
    for (const name of ['OPENAI_API_KEY', 'GITLAB_TOKEN']) {
      if (options.env[name]) this.secrets.add(options.env[name] as string);
    }
    this.db = openDatabase(options.stateDir);
    this.sessionStore = new SessionStore(this.db);
    this.telemetry = new TelemetryStore(this.db);
    this.approvals = new ApprovalStore(this.db);
    this.policy = new PolicyStore(this.db);
    this.sandboxProvider =
      options.createSandboxProvider?.(() => this.config.sandbox) ??
      new DevContainerProvider({
        rootDir: path.join(options.stateDir, 'sandboxes'),
        config: () => this.config.sandbox,
      });
    this.broker = new ApprovalBroker(this.approvals, options.channel, options.logger);
    this.sessions = new SessionService({
      store: this.sessionStore,
      flows: this.flows,
      telemetry: this.telemetry,
      logger: options.logger,
      publish: (snapshot) => options.channel.sessionStatus(snapshot),
      beginProgress: (title) => options.channel.beginProgress(title),
      config: () => this.config,
      forge: () => this.getForge(),
      model: () => this.getModel(),
      sandboxes: () => this.sandboxProvider,
      workspaceFolder: () => this.workspaceFolder,
      commandGate: () => this.commandGate,
      approvals: () => this.broker,
    });
    this.chat = new ChatService({
      flows: this.flows,
      broker: this.broker,
      telemetry: this.telemetry,
      conversations: new ConversationStore(this.db),
      sessions: this.sessions,
      logger: options.logger,
      resolveReference: (flow, text) => this.resolveReference(flow, text),
      model: () => this.getModel(),
      gitlabUrl: () => this.config.gitlab.url,
      clientCanApprove: () => this.canApprove(),
      update: (params) => options.channel.chatUpdate(params),
      transaction: (work) => this.db.transaction(work)(),
    });
    this.broker.setGuard('flow', (approval) => {
      const context = approval.context as FlowApprovalContext;
      const flow = this.flows.get(context.flow);
      if (!flow) return Promise.resolve(`The ${context.flow} flow is not available.`);
      // Local work touches no GitLab project, so there is no access level to check.
      if (context.reference.local) return Promise.resolve(undefined);
      return accessProblem(this.getForge(), flow, context.reference);
    });
    this.broker.onResolved((outcome) => this.chat.handleFlowOutcome(outcome));
    this.commandGate = new CommandGate({
      policy: this.policy,
      broker: this.broker,
      clientCanApprove: () => this.canApprove(),
      logger: options.logger,
    });
    // Containers of servers that died are removed in the background; no Docker is no problem
    // here. Resumed sessions wait for it, so none takes over a container that is going away.
    this.orphansRemoved = this.sandboxProvider
      .cleanupOrphans()
      .then(
        (n) =>
          n && options.logger.info(`Removed ${n} sandbox container(s) left by a stopped server.`),
      )
      .catch(() => undefined)
      .then(() => undefined);
    this.sweep(false);
    this.sweeper = setInterval(() => this.sweep(true), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  /**
   * Takes over what stopped servers left behind: their unfinished sessions become `interrupted`
   * (and resume, once this server may run them), pending approvals are adopted (and shown, when
   * `announce`), and decided flow approvals whose outcome a stop cut short are applied now. Runs
   * at start and then periodically, for servers that stop while this one runs (an editor reload
   * overlaps two servers).
   */
  private sweep(announce: boolean): void {
    try {
      for (const snapshot of this.sessionStore.takeOverInterrupted()) {
        this.options.logger.warn(
          `Session ${snapshot.sessionId} was interrupted by a server stop; it resumes from its last checkpoint.`,
        );
        if (announce) this.options.channel.sessionStatus(snapshot);
      }
      for (const request of this.broker.adoptOrphans()) {
        if (announce) this.options.channel.requested(request);
      }
      for (const approval of this.approvals.resolvedOfKind('flow')) {
        this.chat.handleFlowOutcome(outcomeOf(approval));
      }
      if (this.resuming) this.sessions.resumeInterrupted();
    } catch (error) {
      this.options.logger.error(`Recovering state failed: ${(error as Error).message}`);
    }
  }

  /**
   * Resumes interrupted sessions, now and whenever a stopped server leaves more; called once the
   * editor has said which workspace is open and sent its settings.
   */
  async resumeInterrupted(): Promise<void> {
    this.resuming = true;
    await this.orphansRemoved;
    try {
      this.sessions.resumeInterrupted();
    } catch (error) {
      this.options.logger.error(`Resuming sessions failed: ${(error as Error).message}`);
    }
  }

  get settings(): TandemConfig {
    return this.config;
  }

  setClient(capabilities: ClientTandemCapabilities | undefined, workspaceFolder?: string): void {
    this.clientCapabilities = capabilities;
    this.workspaceFolder = workspaceFolder;
    this.forge = undefined;
  }

  configure(section: unknown): void {
    const { config, problems } = resolveSettings(section, this.options.env);
    this.remember(config);
    for (const problem of problems) this.options.logger.warn(problem);
    this.config = config;
    this.model = undefined;
    this.forge = undefined;
  }

  /** Re-sends what an attaching client must show: pending approvals and unfinished sessions. */
  replayToClient(
    to: Pick<ClientChannel, 'requested' | 'sessionStatus'> = this.options.channel,
  ): void {
    for (const approval of this.broker.pending()) to.requested(approval);
    const unfinished = this.sessionStore.list(
      ['queued', 'running', 'awaiting_approval', 'interrupted'],
      1000,
    );
    for (const snapshot of unfinished.reverse()) to.sessionStatus(snapshot);
  }

  /** Some attached UI can show approvals: the editor said so, or a webview is connected. */
  private canApprove(): boolean {
    return (
      this.clientCapabilities?.approvals === true || this.options.webviewConnected?.() === true
    );
  }

  async startFlow(params: FlowStartParams): Promise<FlowStartResult> {
    const flow = this.flows.get(params.flow);
    if (!flow) throw new FlowError(`The ${params.flow} flow is not available in this build.`);
    const reference = await this.resolveReference(flow, params.reference);
    // Local work touches no GitLab project, so there is no access level to check.
    const problem = reference.local
      ? undefined
      : await accessProblem(this.getForge(), flow, reference);
    if (problem) throw new FlowError(problem);
    const session = this.sessions.start({ flow: flow.id, reference, trigger: params.trigger });
    return { sessionId: session.sessionId };
  }

  /** Local work on the workspace (a CI job, a task in words) when the flow has it, else GitLab's. */
  private async resolveReference(flow: Flow, text: string): Promise<ResolvedReference> {
    const local =
      this.workspaceFolder && flow.localReference
        ? await flow.localReference(text, this.workspaceFolder)
        : undefined;
    return local ?? (await this.getForge().resolveReference(text, flow.referenceKind));
  }

  /** Ends running work as interrupted, waits briefly for it to settle, then closes the store. */
  async shutdown(): Promise<void> {
    clearInterval(this.sweeper);
    this.sessions.stopAll();
    await Promise.race([
      Promise.all([this.sessions.whenIdle(), this.chat.whenIdle()]),
      new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref()),
    ]);
    this.db.close();
  }

  /** Every secret this server has held, for redacting logs. */
  knownSecrets(): Iterable<string> {
    return this.secrets;
  }

  private remember(config: TandemConfig): void {
    if (config.model.apiKey) this.secrets.add(config.model.apiKey);
    if (config.gitlab.token) this.secrets.add(config.gitlab.token);
  }

  private getModel(): ChatModel {
    if (!this.model) {
      const { model } = this.config;
      if (!model.apiKey && needsApiKey(model.baseUrl)) {
        throw new ModelError(
          `No API key for ${model.baseUrl}: set tandem.model.apiKey or OPENAI_API_KEY, or point ` +
            'tandem.model.baseUrl at another OpenAI-compatible endpoint (Ollama, vLLM …).',
          false,
        );
      }
      this.model = this.options.createModel
        ? this.options.createModel(this.config)
        : new OpenAIChatModel(model, this.options.logger);
    }
    return this.model;
  }

  private getForge(): FlowForge {
    if (!this.forge) {
      const { gitlab } = this.config;
      if (!gitlab.token) {
        throw new ForgeError(
          `No GitLab token for ${gitlab.url}: set tandem.gitlab.token or GITLAB_TOKEN to a ` +
            'personal access token with the api scope.',
        );
      }
      this.forge = this.options.createForge
        ? this.options.createForge(this.config, this.workspaceFolder)
        : new GitLabForge({
            url: gitlab.url,
            token: gitlab.token,
            workspaceFolder: this.workspaceFolder,
            logger: this.options.logger,
          });
    }
    return this.forge;
  }
}
