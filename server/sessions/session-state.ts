import type { ModelMessage } from '../chat/model';

/**
 * What a checkpoint records of a running session, enough to carry on from it after a crash or
 * to go back to it: the flow's finished steps with their results, the step in progress with the
 * agent's conversation and the tool call it was about to run, and the budgets used so far.
 */
export interface SessionState {
  /** Finished steps, in order; a step's result is kept when it is plain data. */
  steps: JournalEntry[];
  /** The step running when the checkpoint was taken. */
  current?: CurrentStep;
  budgets: { promptTokens: number; completionTokens: number; modelCalls: number };
}

export interface JournalEntry {
  name: string;
  /** False for results that are live objects (a sandbox): the step runs again on resume. */
  replayable: boolean;
  result?: unknown;
}

export interface CurrentStep {
  name: string;
  /** Running it again has no effect beyond its first run, so a resume needs no approval. */
  idempotent: boolean;
  agent?: AgentState;
}

/** An agent step's conversation so far; the step continues from it on resume. */
export interface AgentState {
  cycle: number;
  messages: ModelMessage[];
  /** The tool call about to run (or running) when the checkpoint was taken. */
  pendingToolCall?: { id: string; name: string; arguments: string };
}

export function emptyState(): SessionState {
  return { steps: [], budgets: { promptTokens: 0, completionTokens: 0, modelCalls: 0 } };
}

/**
 * True for values that survive JSON unchanged: primitives, arrays and plain objects of them.
 * Class instances (a sandbox), promises and functions are not.
 */
export function isPlainData(value: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (value === null || value === undefined) return true;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (Array.isArray(value)) return value.every((v) => isPlainData(v, depth + 1));
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      return Object.values(value).every((v) => isPlainData(v, depth + 1));
    }
    default:
      return false;
  }
}
