import { randomUUID } from 'node:crypto';
import type { ApprovalOutcome } from '../approvals/approval-broker';
import type { Logger } from '../logger';
import type { ChatSendParams, ChatSendResult, ChatUpdateParams } from '../protocol';
import type { SessionService } from '../sessions/session-service';
import { chatSystemPrompt, RECOMMEND_FLOW, recommendFlowTool } from './chat-prompt';
import type { ConversationStore } from './conversation-store';
import {
  type FlowApprovalContext,
  recommendFlow,
  type RecommendationDeps,
} from './flow-recommendation';
import { type ChatModel, ModelError, type ModelToolCall } from './model';

/** Model rounds one turn may take (each round may call tools) before it stops. */
const MAX_ROUNDS = 6;

export interface ChatServiceDeps extends RecommendationDeps {
  conversations: ConversationStore;
  sessions: SessionService;
  logger: Logger;
  /** The configured model; throws ModelError when it cannot be used (e.g. no API key). */
  model(): ChatModel;
  gitlabUrl(): string;
  update(params: ChatUpdateParams): void;
  /** Runs store writes as one SQLite transaction. */
  transaction(work: () => void): void;
}

interface Turn {
  conversationId: string;
  turnId: string;
}

/** The assistant message being streamed, so a failure can close it. */
interface OpenMessage {
  messageId: string;
  text: string;
  streaming: boolean;
}

/**
 * The conversation: streams the model's answer, hands requests that match a flow to the person
 * as approvals, and starts the flow in the background when they approve. One turn at a time per
 * conversation; sessions and other conversations are never blocked.
 */
export class ChatService {
  private readonly queues = new Map<string, Promise<void>>();

  constructor(private readonly deps: ChatServiceDeps) {}

  send(params: ChatSendParams): ChatSendResult {
    const conversationId = params.conversationId ?? randomUUID();
    const turnId = randomUUID();
    this.deps.conversations.ensure(conversationId, params.context);
    this.deps.conversations.append(conversationId, turnId, { role: 'user', content: params.text });
    this.deps.update({
      conversationId,
      turnId,
      messageId: randomUUID(),
      role: 'user',
      text: params.text,
      done: true,
    });
    this.enqueue(conversationId, () => this.runTurn({ conversationId, turnId }));
    return { conversationId, turnId };
  }

  /**
   * Acts on a decided flow approval at once: the session starts (or the refusal is said) and the
   * tool result is stored in one transaction, whatever the conversation is doing. Only the
   * model's follow-up waits its turn. Safe to call again for an outcome already applied.
   */
  handleFlowOutcome(outcome: ApprovalOutcome): void {
    if (outcome.request.kind !== 'flow') return;
    const context = outcome.context as FlowApprovalContext;
    const { conversations } = this.deps;
    if (conversations.hasToolResult(context.toolCallId)) return;
    let result = '';
    this.deps.transaction(() => {
      this.deps.telemetry.record({
        type: 'approval_decision',
        flow: context.flow,
        decision: outcome.answered ?? outcome.decision,
        decidedBy: outcome.decidedBy,
        latencyMs: outcome.latencyMs,
        reason: outcome.reason,
      });
      result = this.applyFlowOutcome(outcome, context);
      conversations.append(context.conversationId, context.turnId, {
        role: 'tool',
        tool_call_id: context.toolCallId,
        content: result,
      });
    });
    this.enqueue(context.conversationId, async () => {
      // When the conversation went on meanwhile, the model needs telling at the end, where it
      // reads. Some chat templates take system messages only first; a marked user note is portable.
      if (conversations.hasMessagesAfterToolCall(context.conversationId, context.toolCallId)) {
        conversations.append(context.conversationId, context.turnId, {
          role: 'user',
          content: `[tandem update on the earlier ${RECOMMEND_FLOW} call] ${result}`,
        });
      }
      await this.runTurn({ conversationId: context.conversationId, turnId: context.turnId });
    });
  }

  /** Resolves when every queued turn has finished (tests, shutdown). */
  async whenIdle(): Promise<void> {
    while (this.queues.size > 0) await Promise.all(this.queues.values());
  }

  private applyFlowOutcome(outcome: ApprovalOutcome, context: FlowApprovalContext): string {
    const flow = this.deps.flows.get(context.flow);
    const name = flow?.name ?? context.flow;
    const label = context.reference.label;
    if (outcome.decision === 'approve') {
      try {
        const session = this.deps.sessions.start({
          flow: context.flow,
          reference: context.reference,
          trigger: 'chat',
          conversationId: context.conversationId,
        });
        this.say(context, '', { sessionId: session.sessionId });
        this.deps.telemetry.record({
          type: 'widget_shown',
          flow: context.flow,
          sessionId: session.sessionId,
        });
        return (
          `The person approved. The ${name} flow started on ${label} (session ${session.sessionId}) ` +
          'and runs in the background; a session widget shows its status. Confirm briefly.'
        );
      } catch (error) {
        const message = `${name} could not start on ${label}: ${(error as Error).message}`;
        this.say(context, message);
        return `${message} The person has been told.`;
      }
    }
    if (outcome.reason) {
      this.say(context, `${name} was not started on ${label}: ${outcome.reason}`);
      return `Not started: ${outcome.reason} The person has been told; help them in other ways.`;
    }
    return (
      `The person denied running ${name} on ${label}.` +
      (outcome.feedback ? ` Their feedback: "${outcome.feedback}".` : '') +
      ' Do not start or recommend it again unless asked; keep helping in other ways.'
    );
  }

  private enqueue(conversationId: string, work: () => Promise<void>): void {
    const previous = this.queues.get(conversationId) ?? Promise.resolve();
    const next = previous
      // Let the answer to the request that queued this (and its notifications) go out first.
      .then(() => new Promise((resolve) => setImmediate(resolve)))
      .then(work)
      .catch((error) => this.deps.logger.error(`Chat turn failed: ${(error as Error).stack}`));
    this.queues.set(conversationId, next);
    void next.then(() => {
      if (this.queues.get(conversationId) === next) this.queues.delete(conversationId);
    });
  }

  private async runTurn(turn: Turn): Promise<void> {
    const stream: OpenMessage = { messageId: randomUUID(), text: '', streaming: false };
    try {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        Object.assign(stream, { messageId: randomUUID(), text: '', streaming: false });
        const calls = await this.modelRound(turn, stream);
        if (calls.length === 0) return;
        if (await this.handleToolCalls(turn, calls)) return;
      }
      this.say(turn, 'I stopped here: this answer needed more steps than one turn allows.');
    } catch (error) {
      if (!(error instanceof ModelError)) {
        this.deps.logger.error(`Chat failed: ${(error as Error).stack}`);
      }
      const message =
        error instanceof ModelError
          ? error.message
          : `Something went wrong: ${(error as Error).message}`;
      // A message cut off mid-stream is closed with what was shown, not left open.
      this.deps.update({
        ...ids(turn),
        messageId: stream.streaming ? stream.messageId : randomUUID(),
        role: 'assistant',
        text: stream.streaming ? `${stream.text}\n\n${message}` : message,
        done: true,
        error: { message, retryable: error instanceof ModelError ? error.retryable : false },
      });
    }
  }

  /** One model call, streamed; returns the tool calls it made. */
  private async modelRound(turn: Turn, stream: OpenMessage): Promise<ModelToolCall[]> {
    const flows = this.deps.flows.all();
    const { messageId } = stream;
    const context = this.deps.conversations.context(turn.conversationId);
    const response = await this.deps.model().complete({
      messages: [
        { role: 'system', content: chatSystemPrompt(flows, this.deps.gitlabUrl(), context) },
        ...this.deps.conversations.modelHistory(turn.conversationId),
      ],
      tools: flows.length ? [recommendFlowTool(flows)] : undefined,
      onDelta: (delta) => {
        stream.streaming = true;
        stream.text += delta;
        this.deps.update({ ...ids(turn), messageId, role: 'assistant', delta, done: false });
      },
      onRetry: ({ attempt, reason }) => this.deps.logger.warn(`Model retry ${attempt}: ${reason}`),
    });
    stream.streaming = false;
    this.deps.telemetry.record({ type: 'model_usage', ...response.usage });
    this.deps.conversations.append(turn.conversationId, turn.turnId, {
      role: 'assistant',
      content: response.text || null,
      ...(response.toolCalls.length
        ? {
            tool_calls: response.toolCalls.map((c) => ({
              id: c.id,
              type: 'function' as const,
              function: { name: c.name, arguments: c.arguments },
            })),
          }
        : {}),
    });
    if (response.text || response.toolCalls.length === 0) {
      this.deps.update({
        ...ids(turn),
        messageId,
        role: 'assistant',
        text: response.text,
        done: true,
      });
    }
    return response.toolCalls;
  }

  /** Answers each call; true when the turn now waits for the person. */
  private async handleToolCalls(turn: Turn, calls: ModelToolCall[]): Promise<boolean> {
    let waiting = false;
    for (const call of calls) {
      const outcome =
        call.name === RECOMMEND_FLOW
          ? await recommendFlow(this.deps, call, ids(turn))
          : { kind: 'result' as const, content: `Error: there is no tool named ${call.name}.` };
      if (outcome.kind === 'pending') waiting = true;
      else {
        this.deps.conversations.append(turn.conversationId, turn.turnId, {
          role: 'tool',
          tool_call_id: call.id,
          content: outcome.content,
        });
      }
    }
    return waiting;
  }

  private say(
    turn: { conversationId: string; turnId: string },
    text: string,
    widget?: { sessionId: string },
  ): void {
    this.deps.update({
      ...ids(turn),
      messageId: randomUUID(),
      role: 'assistant',
      text,
      done: true,
      widget,
    });
  }
}

function ids(turn: { conversationId: string; turnId: string }) {
  return { conversationId: turn.conversationId, turnId: turn.turnId };
}
