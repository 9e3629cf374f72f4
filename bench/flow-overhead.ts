// Orchestration overhead of a Fix Pipeline run with a zero-latency scripted model: the session's
// wall time against the time its commands ran in the sandbox (and, for context, the time spent
// preparing the sandbox). Commands are approved the moment they are asked. The same runs give
// what checkpointing costs: per step, and as a share of the step's time.
import type { ApprovalRequestedParams, SessionGetResult } from '../server/protocol';
import { DevContainerProvider } from '../sandbox/devcontainer-sandbox';
import { sandboxConfig } from '../test/support/docker-world';
import { fixer, startFixPipelineWorld } from '../test/support/fix-pipeline-world';
import { isFinished, sessionWhere } from '../test/support/sessions';
import { progress } from './report';
import type { Scope } from './scope';

/** One finished flow step: its time, and the time checkpointing took within it. */
export interface StepCost {
  step: string;
  ms: number;
  checkpointMs: number;
}

export interface FlowOverheadRun {
  /** Per step, from the `step_completed` events; the checkpoint figures come from these. */
  steps: StepCost[];
  /** All checkpointing of the session (steps, model and tool calls, worktree snapshots). */
  checkpointMs: number;
  wallMs: number;
  sandboxExecMs: number;
  prepareMs: number;
  modelMs: number;
  approvalWaitMs: number;
}

export interface FlowOverheadResult {
  available: boolean;
  problem?: string;
  runs: FlowOverheadRun[];
}

export async function measureFlowOverhead(scope: Scope, runs: number): Promise<FlowOverheadResult> {
  const problems = await new DevContainerProvider({
    rootDir: '/nonexistent',
    config: () => sandboxConfig(),
  }).check();
  if (problems.length > 0) return { available: false, problem: problems.join(' '), runs: [] };
  const out: FlowOverheadRun[] = [];
  for (let i = 0; i < runs; i++) {
    progress('fix pipeline overhead', i + 1, runs);
    const world = await startFixPipelineWorld();
    scope.defer(() => world.stop());
    world.model.respond(fixer({ fix: true }));
    world.client.connection.onNotification(
      'tandem/approval/requested',
      (p: ApprovalRequestedParams) => {
        void world.client.request('tandem/approval/respond', {
          approvalId: p.approvalId,
          decision: 'approve',
        });
      },
    );
    const { sessionId } = await world.client.request<{ sessionId: string }>('tandem/flow/start', {
      flow: 'fix_pipeline',
      reference: `${world.gitlab.url}/group/app/-/pipelines/${world.pipelineId}`,
      trigger: 'cli',
    });
    const done = await sessionWhere(world.client, sessionId, isFinished, 240_000);
    if (done.status !== 'completed') throw new Error(`the run ended ${done.status}: ${done.error}`);
    const details = await world.client.request<SessionGetResult>('tandem/session/get', {
      sessionId,
    });
    const step = details.steps.find((s) => s.name === 'prepare_sandbox');
    const m = details.metrics;
    const steps = details.events
      .filter((e) => e.type === 'step_completed')
      .map((e) => e.data as { step: string; ms?: number; checkpointMs?: number })
      .filter((d) => d.ms !== undefined)
      .map((d) => ({ step: d.step, ms: d.ms as number, checkpointMs: d.checkpointMs ?? 0 }));
    out.push({
      steps,
      checkpointMs: m.checkpointMs ?? 0,
      wallMs: m.durationMs ?? 0,
      sandboxExecMs: m.sandboxExecMs ?? 0,
      prepareMs: step?.endedAt ? Date.parse(step.endedAt) - Date.parse(step.startedAt) : 0,
      modelMs: m.modelMs ?? 0,
      approvalWaitMs: m.approvalWaitMs ?? 0,
    });
  }
  return { available: true, runs: out };
}
