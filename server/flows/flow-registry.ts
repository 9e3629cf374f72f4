import type { FlowId } from '../protocol';
import { codeReviewFlow } from './code-review/code-review-flow';
import { fixPipelineFlow } from './fix-pipeline/fix-pipeline-flow';
import { implementIssueFlow } from './implement-issue/implement-issue-flow';
import type { Flow } from './flow';

/**
 * The flows this build can run. A flow not here is not recommended by the chat, and
 * `tandem/flow/start` says it is not available.
 */
export class FlowRegistry {
  private readonly flows = new Map<FlowId, Flow>();

  constructor(flows: readonly Flow[] = [codeReviewFlow, fixPipelineFlow, implementIssueFlow]) {
    for (const flow of flows) this.flows.set(flow.id, flow);
  }

  get(id: FlowId): Flow | undefined {
    return this.flows.get(id);
  }

  all(): Flow[] {
    return [...this.flows.values()];
  }
}
