import { z } from 'zod';

export { PROTOCOL_VERSION } from './version';

const id = z.string().min(1).max(200);
export const Id = id;

export const FlowId = z.enum(['fix_pipeline', 'implement_issue', 'code_review']);
export type FlowId = z.infer<typeof FlowId>;

export { FINAL_STATUSES, FLOW_NAMES } from './methods';

export const ReferenceKind = z.enum(['pipeline', 'issue', 'merge_request']);
export type ReferenceKind = z.infer<typeof ReferenceKind>;

export const Reference = z.object({
  kind: ReferenceKind,
  url: z.string().describe('Web URL of the pipeline, issue or merge request'),
  label: z.string().describe('Short form, e.g. `group/app!7`'),
});
export type Reference = z.infer<typeof Reference>;

export const SessionStatus = z.enum([
  'queued',
  'running',
  'awaiting_approval',
  'completed',
  'failed',
  'cancelled',
  'interrupted',
]);
export type SessionStatus = z.infer<typeof SessionStatus>;

export const Trigger = z.enum(['ui', 'chat', 'cli']);
export type Trigger = z.infer<typeof Trigger>;

export const ResultLink = z.object({ label: z.string(), url: z.string() });
export type ResultLink = z.infer<typeof ResultLink>;

export const SessionSnapshot = z.object({
  sessionId: id,
  seq: z.number().int().describe('Rises with every snapshot of this session'),
  flow: FlowId,
  title: z.string(),
  status: SessionStatus,
  reference: Reference,
  trigger: Trigger,
  conversationId: id.optional(),
  startedAt: z.string().describe('ISO 8601'),
  updatedAt: z.string().describe('ISO 8601'),
  step: z.string().optional().describe('The step running now, e.g. `fetch_diff`'),
  result: z.object({ summary: z.string(), links: z.array(ResultLink) }).optional(),
  error: z.string().optional(),
});
export type SessionSnapshot = z.infer<typeof SessionSnapshot>;

/** `capabilities.experimental.tandem` as a client sends it in `initialize`. */
export const ClientTandemCapabilities = z.object({
  protocolVersion: z.number().int(),
  approvals: z.boolean().optional(),
  sessionWidget: z.boolean().optional(),
});
export type ClientTandemCapabilities = z.infer<typeof ClientTandemCapabilities>;

/** `capabilities.experimental.tandem` as the server answers in `initialize`. */
export interface ServerTandemCapabilities {
  protocolVersion: number;
  flows: FlowId[];
}
