// Orchestration overhead of a Fix Pipeline run with a zero-latency scripted model: the session's
// wall time against the time its commands ran in the sandbox (and, for context, the time spent
// preparing the sandbox). Commands are approved the moment they are asked.
import type { ApprovalRequestedParams, SessionGetResult } from '../server/protocol';
import { DevContainerProvider } from '../sandbox/devcontainer-sandbox';
import { sandboxConfig } from '../test/support/docker-world';
import { fixer, startFixPipelineWorld } from '../test/support/fix-pipeline-world';
import { isFinished, sessionWhere } from '../test/support/sessions';
import { progress } from './report';
import type { Scope } from './scope';

export interface FlowOverheadRun {
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
    out.push({
      wallMs: m.durationMs ?? 0,
      sandboxExecMs: m.sandboxExecMs ?? 0,
      prepareMs: step?.endedAt ? Date.parse(step.endedAt) - Date.parse(step.startedAt) : 0,
      modelMs: m.modelMs ?? 0,
      approvalWaitMs: m.approvalWaitMs ?? 0,
    });
  }
  return { available: true, runs: out };
}
