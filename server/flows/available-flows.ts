import type { FlowId } from '../protocol/common';

/**
 * The flows this build runs, as announced in `initialize` before the rest of the server has
 * loaded. `FlowRegistry` holds the implementations; a test keeps the two in step.
 */
export const AVAILABLE_FLOWS: readonly FlowId[] = [
  'code_review',
  'fix_pipeline',
  'implement_issue',
];
