import type { Ratio, TelemetrySummaryResult } from '../protocol';
import { type Db, nowIso } from '../store/database';

export type TelemetryEvent =
  | { type: 'flow_recommended'; flow: string }
  | {
      type: 'approval_decision';
      flow: string;
      /** What the person answered (a guard may still have refused an approval). */
      decision: string;
      decidedBy: 'person' | 'policy';
      latencyMs: number;
      reason?: string;
    }
  | { type: 'flow_started'; flow: string; trigger: string; sessionId: string }
  | { type: 'widget_shown'; flow: string; sessionId: string }
  | { type: 'widget_opened'; sessionId: string; source: string }
  | {
      type: 'session_finished';
      flow: string;
      trigger: string;
      sessionId: string;
      status: string;
      durationMs: number;
      promptTokens: number;
      completionTokens: number;
    }
  | { type: 'model_usage'; promptTokens: number; completionTokens: number; sessionId?: string };

interface Row {
  type: string;
  flow: string | null;
  trigger: string | null;
  session_id: string | null;
  data: string;
}

/** Local usage telemetry: recorded in the store, summarised on request, never sent anywhere. */
export class TelemetryStore {
  private readonly insert;

  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      'INSERT INTO telemetry (at, type, flow, trigger, session_id, data) VALUES (?, ?, ?, ?, ?, ?)',
    );
  }

  record(event: TelemetryEvent): void {
    const e = event as TelemetryEvent & { flow?: string; trigger?: string; sessionId?: string };
    this.insert.run(
      nowIso(),
      e.type,
      e.flow ?? null,
      e.trigger ?? null,
      e.sessionId ?? null,
      JSON.stringify(event),
    );
  }

  summary(since?: string): TelemetrySummaryResult {
    const rows = this.db
      .prepare('SELECT type, flow, trigger, session_id, data FROM telemetry WHERE at >= ?')
      .all(since ?? '') as Row[];
    const of = (type: string) => rows.filter((r) => r.type === type);
    const data = <T>(r: Row) => JSON.parse(r.data) as T;

    // Policy decisions (no person asked) say nothing about the recommendations' quality.
    const decisions = of('approval_decision').filter(
      (r) => data<{ decidedBy?: string }>(r).decidedBy !== 'policy',
    );
    const approvalRate: Record<string, Ratio> = {};
    const latencies: Record<string, number[]> = {};
    for (const r of decisions) {
      const flow = r.flow ?? 'unknown';
      const d = data<{ decision: string; latencyMs: number }>(r);
      approvalRate[flow] = add(approvalRate[flow], d.decision === 'approve');
      (latencies[flow] ??= []).push(d.latencyMs);
    }

    const successRate: Record<string, Record<string, Ratio>> = {};
    for (const r of of('session_finished')) {
      const byTrigger = (successRate[r.flow ?? 'unknown'] ??= {});
      const trigger = r.trigger ?? 'unknown';
      byTrigger[trigger] = add(
        byTrigger[trigger],
        data<{ status: string }>(r).status === 'completed',
      );
    }

    const shown = new Set(of('widget_shown').map((r) => r.session_id));
    const opened = new Set(
      of('widget_opened')
        .filter((r) => data<{ source: string }>(r).source === 'widget' && shown.has(r.session_id))
        .map((r) => r.session_id),
    );

    let prompt = 0;
    let completion = 0;
    for (const r of of('model_usage')) {
      const u = data<{ promptTokens: number; completionTokens: number }>(r);
      prompt += u.promptTokens;
      completion += u.completionTokens;
    }

    return {
      approvalRate,
      approvalLatencyMs: Object.fromEntries(
        Object.entries(latencies).map(([flow, values]) => [flow, median(values)]),
      ),
      recommendations: countBy(of('flow_recommended'), (r) => r.flow ?? 'unknown'),
      triggerSource: countBy(of('flow_started'), (r) => r.trigger ?? 'unknown'),
      successRate,
      widgetClickThrough: ratio(opened.size, shown.size),
      tokens: { prompt, completion },
    };
  }
}

function add(current: Ratio | undefined, hit: boolean): Ratio {
  const numerator = (current?.numerator ?? 0) + (hit ? 1 : 0);
  return ratio(numerator, (current?.denominator ?? 0) + 1);
}

function ratio(numerator: number, denominator: number): Ratio {
  return { numerator, denominator, rate: denominator === 0 ? null : numerator / denominator };
}

function countBy(rows: Row[], key: (r: Row) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of rows) counts[key(r)] = (counts[key(r)] ?? 0) + 1;
  return counts;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
