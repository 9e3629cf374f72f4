import { z } from 'zod';
import { request } from './declare';
import { Methods } from './methods';

const Ratio = z.object({
  numerator: z.number().int(),
  denominator: z.number().int(),
  rate: z.number().nullable().describe('numerator / denominator, null when nothing was counted'),
});
export type Ratio = z.infer<typeof Ratio>;

export const TelemetrySummaryParams = z.object({
  since: z.string().optional().describe('ISO 8601; default: everything recorded'),
});
export type TelemetrySummaryParams = z.infer<typeof TelemetrySummaryParams>;

export const TelemetrySummaryResult = z.object({
  approvalRate: z.record(z.string(), Ratio).describe('Per flow: approved / decided'),
  approvalLatencyMs: z.record(z.string(), z.number()).describe('Per flow: median decision time'),
  recommendations: z.record(z.string(), z.number().int()).describe('Per flow'),
  triggerSource: z.record(z.string(), z.number().int()).describe('Flows started per trigger'),
  successRate: z
    .record(z.string(), z.record(z.string(), Ratio))
    .describe('Per flow, per trigger: completed / finished'),
  widgetClickThrough: Ratio.describe('Widgets opened / widgets shown'),
  tokens: z.object({ prompt: z.number().int(), completion: z.number().int() }),
});
export type TelemetrySummaryResult = z.infer<typeof TelemetrySummaryResult>;

export const TelemetrySummaryRequest = request({
  method: Methods.telemetrySummary,
  params: TelemetrySummaryParams,
  result: TelemetrySummaryResult,
  semantics:
    'Local usage figures computed from the store: approval rate per flow, trigger sources, ' +
    'success rate per flow and trigger, widget click-through. Nothing leaves the machine.',
});
