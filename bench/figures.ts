import type { ApprovalResult } from './approval-latency';
import type { ChatResult } from './chat-latency';
import type { StartupResult } from './cold-start';
import type { Figure } from './report';
import type { SessionLoadResult } from './session-load';
import type { FlowOverheadResult } from './flow-overhead';
import type { PairedResult, SandboxResult } from './sandbox-exec';
import { type Distribution, distribution, mb, median, ms } from './stats';

const STARTUP_RATIO_TARGET = 1.5;
const DENY_P50_TARGET_MS = 2;
const RSS_TARGET_BYTES = 250 * 1024 * 1024;

function spread(d: Distribution): string {
  return `p50 ${ms(d.p50)}, p95 ${ms(d.p95)} (n=${d.n})`;
}

export function startupFigures(r: StartupResult): Figure[] {
  const n = r.pairs.length;
  return [
    { name: `start-up, tandem: spawn → initialize (median of ${n})`, value: ms(r.tandemMedianMs) },
    {
      name: `start-up, bare server: spawn → initialize (median of ${n})`,
      value: ms(r.bareMedianMs),
    },
    {
      name: 'start-up ratio tandem/bare (median of pairwise ratios)',
      value: `${r.ratioMedian.toFixed(2)}×`,
      target: `≤ ${STARTUP_RATIO_TARGET}×`,
      meets: r.ratioMedian <= STARTUP_RATIO_TARGET,
    },
    {
      name: `start-up, tandem: spawn → first session/list answered (median of ${n})`,
      value: ms(r.readyMedianMs),
    },
  ];
}

export function chatFigures(r: ChatResult): Figure[] {
  const where = `${r.sends} sends, ${r.conversations} conversation`;
  return [
    { name: `chat: send → first assistant update (${where})`, value: spread(r.firstUpdate) },
    { name: 'chat: send → request answered', value: spread(r.answer) },
  ];
}

export function approvalFigures(r: ApprovalResult): Figure[] {
  return [
    { name: 'baseline: tandem/session/list {limit: 1} round trip', value: spread(r.baseline) },
    {
      name: `approval round trip, deny: respond → resolved (${r.pending} pending at start)`,
      value: spread(r.deny),
      target: `p50 ≤ ${DENY_P50_TARGET_MS} ms`,
      meets: r.deny.p50 <= DENY_P50_TARGET_MS,
    },
    { name: 'approval, deny: respond → request answered', value: spread(r.denyAnswer) },
    {
      name: 'approval round trip, approve: respond → resolved (access check, session start)',
      value: spread(r.approve) + (r.approveRefused ? `, ${r.approveRefused} refused` : ''),
    },
    { name: 'approval, approve: respond → request answered', value: spread(r.approveAnswer) },
  ];
}

export function sessionFigures(r: SessionLoadResult): Figure[] {
  const at = `${r.sessions} sessions, maxConcurrent ${r.maxConcurrent}`;
  return [
    { name: `RSS idle after initialize + first request (${at})`, value: mb(r.idleRss) },
    {
      name: `sessions completed / failed / other (${at})`,
      value: `${r.completed} / ${r.failed} / ${r.other}`,
      target: `all ${r.sessions} complete`,
      meets: r.completed === r.sessions,
    },
    {
      name: `wall time, all sessions final (${at})`,
      value: `${ms(r.wallMs)}; server CPU ${ms(r.serverCpuMs)}`,
    },
    {
      name: `peak RSS (max of ${r.samples} samples and VmHWM) (${at})`,
      value: mb(r.peakRss),
      target: `≤ ${mb(RSS_TARGET_BYTES)}`,
      meets: r.peakRss <= RSS_TARGET_BYTES,
    },
    { name: `RSS after all sessions final (${at})`, value: mb(r.afterRss) },
  ];
}

const EXEC_RATIO_TARGET = 1.15;
const PREPARE_RATIO_TARGET = 1.1;

export function sandboxFigures(r: SandboxResult): Figure[] {
  if (!r.available) return [{ name: 'sandbox figures', value: `not measured: ${r.problem}` }];
  const pair = (name: string, p: PairedResult, target: number): Figure[] => [
    {
      name: `${name}: ours / baseline medians (n=${p.oursMs.length})`,
      value: `${ms(median(p.oursMs))} / ${ms(median(p.rawMs))}`,
    },
    {
      name: `${name}: ratio (median of pairwise ratios)`,
      value: `${p.ratioMedian.toFixed(2)}×`,
      target: `≤ ${target}×`,
      meets: p.ratioMedian <= target,
    },
  ];
  return [
    ...pair(
      'sandbox exec `true` vs raw dockerode exec',
      r.execTrue as PairedResult,
      EXEC_RATIO_TARGET,
    ),
    ...pair(
      'sandbox exec 1 MB output vs raw dockerode exec',
      r.execMegabyte as PairedResult,
      EXEC_RATIO_TARGET,
    ),
    ...pair(
      'session prepare cold vs `devcontainer up` alone',
      r.prepareCold as PairedResult,
      PREPARE_RATIO_TARGET,
    ),
    {
      name: `session prepare cold vs a bare container create + start (the floor): medians (n=${r.prepareFloor?.oursMs.length})`,
      value: `${ms(median(r.prepareFloor?.oursMs ?? []))} / ${ms(median(r.prepareFloor?.rawMs ?? []))} (${r.prepareFloor?.ratioMedian.toFixed(2)}×)`,
    },
    {
      name: `session prepare warm (container reused), median of ${r.prepareWarmMs?.length}`,
      value: ms(median(r.prepareWarmMs ?? [])),
    },
  ];
}

const OVERHEAD_TARGET = 1.3;

export function flowOverheadFigures(r: FlowOverheadResult): Figure[] {
  if (!r.available) return [{ name: 'Fix Pipeline overhead', value: `not measured: ${r.problem}` }];
  const wall = median(r.runs.map((x) => x.wallMs));
  const exec = median(r.runs.map((x) => x.sandboxExecMs));
  const prepare = median(r.runs.map((x) => x.prepareMs));
  const strict = median(r.runs.map((x) => x.wallMs / x.sandboxExecMs));
  const withPrepare = median(r.runs.map((x) => x.wallMs / (x.sandboxExecMs + x.prepareMs)));
  const n = r.runs.length;
  return [
    {
      name: `Fix Pipeline run (example, zero-latency model, n=${n}): wall / sandbox exec / sandbox prepare`,
      value: `${ms(wall)} / ${ms(exec)} / ${ms(prepare)}`,
    },
    {
      name: 'Fix Pipeline orchestration overhead: wall / sandbox command time (median ratio)',
      value: `${strict.toFixed(2)}×`,
      target: `≤ ${OVERHEAD_TARGET}×`,
      meets: strict <= OVERHEAD_TARGET,
    },
    {
      name: 'Fix Pipeline overhead counting container start-up as sandbox time (median ratio)',
      value: `${withPrepare.toFixed(2)}×`,
    },
    ...checkpointFigures(r),
  ];
}

const CHECKPOINT_SHARE_TARGET = 0.05;

/**
 * Checkpoint cost, measured inside the same runs: per flow step (SQLite rows and worktree
 * snapshots taken during the step), and as a share of the step's time.
 */
function checkpointFigures(r: FlowOverheadResult): Figure[] {
  const steps = r.runs.flatMap((x) => x.steps);
  if (steps.length === 0) return [];
  const cost = distribution(steps.map((s) => s.checkpointMs));
  const share = distribution(steps.map((s) => s.checkpointMs / Math.max(s.ms, 0.001)));
  const total = steps.reduce((sum, s) => sum + s.checkpointMs, 0);
  const time = steps.reduce((sum, s) => sum + s.ms, 0);
  const session = median(r.runs.map((x) => x.checkpointMs / Math.max(x.wallMs, 1)));
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  return [
    {
      name: `checkpoint cost per flow step (zero-latency model, ${steps.length} steps)`,
      value: spread(cost),
    },
    {
      name: 'checkpoint share of a step’s time: p50 / p95',
      value: `${pct(share.p50)} / ${pct(share.p95)}`,
      target: `≤ ${pct(CHECKPOINT_SHARE_TARGET)}`,
      meets: share.p50 <= CHECKPOINT_SHARE_TARGET && share.p95 <= CHECKPOINT_SHARE_TARGET,
    },
    { name: 'checkpoint share of all step time (sum / sum)', value: pct(total / time) },
    { name: 'checkpoint share of a session’s wall time (median)', value: pct(session) },
  ];
}
