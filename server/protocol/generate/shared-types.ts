import type { z } from 'zod';
import {
  FlowId,
  Id,
  Reference,
  SessionSnapshot,
  SessionStatus,
  TelemetrySummaryResult,
  Trigger,
} from '..';

/** A schema that generated code and docs refer to by name instead of spelling it out each time. */
export interface NamedType {
  readonly name: string;
  readonly schema: z.ZodType;
}

/**
 * Types used by several methods, in documentation order (dependencies first). A schema matches
 * by identity, so `Id.optional()` still renders as `Id`.
 */
export const SHARED_TYPES: readonly NamedType[] = [
  { name: 'Id', schema: Id },
  { name: 'FlowId', schema: FlowId },
  { name: 'Trigger', schema: Trigger },
  { name: 'SessionStatus', schema: SessionStatus },
  { name: 'Reference', schema: Reference },
  { name: 'SessionSnapshot', schema: SessionSnapshot },
  // telemetry.ts keeps its Ratio schema private; every figure of the summary shares that one object.
  { name: 'Ratio', schema: TelemetrySummaryResult.shape.approvalRate.valueType },
];
