import type { ApprovalBroker } from '../approvals/approval-broker';
import type { ResolvedReference } from '../forge/forge';
import type { Flow } from '../flows/flow';
import type { FlowRegistry } from '../flows/flow-registry';
import type { FlowId } from '../protocol';
import type { TelemetryStore } from '../telemetry/telemetry-store';
import { recommendFlowArguments } from './chat-prompt';
import type { ModelToolCall } from './model';

/** Server-side facts kept with a flow approval, so a decision can be acted on after a restart. */
export interface FlowApprovalContext {
  [key: string]: unknown;
  conversationId: string;
  turnId: string;
  toolCallId: string;
  flow: FlowId;
  reference: ResolvedReference;
}

export type RecommendationOutcome =
  { kind: 'result'; content: string } | { kind: 'pending'; approvalId: string };

export interface RecommendationDeps {
  flows: FlowRegistry;
  /** A reference as the flow reads it: local work on the workspace, else GitLab's. */
  resolveReference(flow: Flow, text: string): Promise<ResolvedReference>;
  broker: ApprovalBroker;
  telemetry: TelemetryStore;
  /** Whether the attached editor can show approval prompts. */
  clientCanApprove(): boolean;
}

/**
 * Handles the model's `recommend_flow` call: checks the arguments and the reference, then asks
 * the person through an approval of kind `flow`. Problems go back to the model as the tool
 * result, so it can ask for a reference or help in other ways.
 */
export async function recommendFlow(
  deps: RecommendationDeps,
  call: ModelToolCall,
  at: { conversationId: string; turnId: string },
): Promise<RecommendationOutcome> {
  const args = parseArguments(deps, call.arguments);
  if (typeof args === 'string') return { kind: 'result', content: args };
  const flow = deps.flows.get(args.flow as FlowId);
  if (!flow) return { kind: 'result', content: `Error: the ${args.flow} flow is not available.` };

  let reference: ResolvedReference;
  try {
    reference = await deps.resolveReference(flow, args.reference);
  } catch (error) {
    return {
      kind: 'result',
      content:
        `Error: cannot use "${args.reference}": ${(error as Error).message} ` +
        'Ask the person for an explicit reference.',
    };
  }

  deps.telemetry.record({ type: 'flow_recommended', flow: flow.id });
  const context: FlowApprovalContext = {
    ...at,
    toolCallId: call.id,
    flow: flow.id,
    reference,
  };
  const approval = deps.broker.request({
    kind: 'flow',
    title: `Run ${flow.name} on ${reference.label}?`,
    conversationId: at.conversationId,
    flow: { id: flow.id, name: flow.name },
    reference: { kind: reference.kind, url: reference.url, label: reference.label },
    details: args.reason,
    context,
  });
  if (!deps.clientCanApprove()) {
    deps.broker.decide(approval.approvalId, {
      decision: 'deny',
      reason: 'This editor cannot show approval prompts, so flows are not started from chat.',
    });
  }
  return { kind: 'pending', approvalId: approval.approvalId };
}

function parseArguments(deps: RecommendationDeps, text: string) {
  let json: unknown;
  try {
    json = JSON.parse(text || '{}');
  } catch {
    return 'Error: the arguments were not valid JSON. Call recommend_flow with {"flow", "reference"}.';
  }
  const parsed = recommendFlowArguments(deps.flows.all()).safeParse(json);
  if (!parsed.success) {
    return `Error: invalid arguments (${parsed.error.issues
      .map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`)
      .join('; ')}).`;
  }
  return parsed.data;
}
