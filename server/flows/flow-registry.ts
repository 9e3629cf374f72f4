import type { FlowId } from '../protocol';
import { codeReviewFlow } from './code-review/code-review-flow';
import type { Flow } from './flow';

/**
 * The flows this build can run. Fix Pipeline and Implement Issue need the dev-container sandbox
 * and join the registry with it; until then the chat does not recommend them and
 * `tandem/flow/start` says they are not available.
 */
export class FlowRegistry {
  private readonly flows = new Map<FlowId, Flow>();

  constructor(flows: readonly Flow[] = [codeReviewFlow]) {
    for (const flow of flows) this.flows.set(flow.id, flow);
  }

  get(id: FlowId): Flow | undefined {
    return this.flows.get(id);
  }

  all(): Flow[] {
    return [...this.flows.values()];
  }
}
