import { performance } from 'node:perf_hooks';
import type { FlowStartResult, SessionSnapshot } from '../server/protocol';
import { type BenchServer, startBenchServer } from './bench-server';
import { MemorySampler, readCpuMs, readMemory } from './process-usage';
import { progress } from './report';
import type { Scope } from './scope';

/** How long all sessions of one run may take before the bench gives up on it. */
const RUN_DEADLINE_MS = 90_000;

export interface SessionLoadResult {
  maxConcurrent: number;
  sessions: number;
  completed: number;
  failed: number;
  /** Start requests the server refused, and sessions that ended neither completed nor failed. */
  other: number;
  wallMs: number;
  /** CPU the server used while the sessions ran: near `wallMs` means one core was saturated. */
  serverCpuMs: number;
  idleRss: number;
  peakRss: number;
  afterRss: number;
  samples: number;
  firstError?: string;
}

/**
 * Memory under load: `sessions` Code Review sessions on group/app!7 started at once against the
 * stand-in and the recorded model, RSS sampled while they run, until every one has finished.
 */
export async function measureSessionLoad(scope: Scope, sessions: number, maxConcurrent: number) {
  const server = await startBenchServer(scope, { sessions: { maxConcurrent } });
  await server.client.request('tandem/session/list', {});
  const idleRss = readMemory(server.pid).rss;
  const sampler = new MemorySampler(server.pid);
  const cpuBefore = readCpuMs(server.pid);
  const start = performance.now();
  const outcomes = await runSessions(server, sessions, maxConcurrent);
  const wallMs = performance.now() - start;
  const serverCpuMs = readCpuMs(server.pid) - cpuBefore;
  const { peak, samples } = sampler.stop();
  const count = (status: string) => outcomes.filter((o) => o === status).length;
  return {
    maxConcurrent,
    sessions,
    completed: count('completed'),
    failed: count('failed'),
    other: outcomes.filter((o) => o !== 'completed' && o !== 'failed').length,
    wallMs,
    serverCpuMs,
    idleRss,
    peakRss: peak,
    afterRss: readMemory(server.pid).rss,
    samples,
    firstError: outcomes.find((o) => o.startsWith('refused')),
  } satisfies SessionLoadResult;
}

/** Starts every session at once; answers each one's final status, or why it never started. */
async function runSessions({ client, log }: BenchServer, sessions: number, limit: number) {
  let finished = 0;
  const label = `sessions (max ${limit})`;
  progress(label, 0, sessions);
  return Promise.all(
    Array.from({ length: sessions }, async () => {
      try {
        const { sessionId } = await client.request<FlowStartResult>('tandem/flow/start', {
          flow: 'code_review',
          reference: 'group/app!7',
          trigger: 'cli',
        });
        const final = await log.wait<SessionSnapshot>(`final:${sessionId}`, RUN_DEADLINE_MS);
        return final.params.status as string;
      } catch (error) {
        return `refused: ${(error as Error).message}`;
      } finally {
        progress(label, ++finished, sessions);
      }
    }),
  );
}
