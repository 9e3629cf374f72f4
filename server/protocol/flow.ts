import { z } from 'zod';
import { FlowId, Id, Trigger } from './common';
import { request } from './declare';
import { Methods } from './methods';

export const FlowStartParams = z.object({
  flow: FlowId,
  reference: z
    .string()
    .min(1)
    .max(2048)
    .describe('A web URL, or `group/project!7`, `group/project#12`, `!7`, `#12`'),
  trigger: Trigger,
});
export type FlowStartParams = z.infer<typeof FlowStartParams>;

export const FlowStartResult = z.object({ sessionId: Id });
export type FlowStartResult = z.infer<typeof FlowStartResult>;

export const FlowStartRequest = request({
  method: Methods.flowStart,
  params: FlowStartParams,
  result: FlowStartResult,
  semantics:
    'Starts a flow directly (a button, a command, the terminal). The access level on the project ' +
    'is checked first; a refusal is an error that says which level is needed. The session runs ' +
    'in the background and reports through `tandem/session/status`.',
});
