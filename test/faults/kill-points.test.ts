import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SessionGetResult, SessionSnapshot } from '../../server/protocol';
import { requireDocker } from '../support/docker-world';
import { isFinished, sessionWhere } from '../support/sessions';
import {
  approvalRows,
  Approver,
  checkStore,
  endOrDeath,
  type FaultWorld,
  forgeCounts,
  pendingApprovals,
  readStore,
  startFaultWorld,
} from './fault-world';

/**
 * `npm run test:faults` runs the full set (TANDEM_FAULTS=full); `npm test` a few seeds of it.
 * Every seed picks its kill point the same way on every run.
 */
const FULL = process.env.TANDEM_FAULTS === 'full';
const SEEDS = FULL ? 60 : 5;
const FIRST_SEED = Number(process.env.TANDEM_FAULT_SEED ?? 1);

/** A small, seedable PRNG (mulberry32): the same seed, the same kill points. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Where the server dies: while writing its Nth session event (inside that transaction), when
 * GitLab has carried out its Nth API request but not yet answered, when the model got its Nth
 * request, or after some milliseconds of the run.
 */
type KillPoint =
  | { kind: 'event'; n: number }
  | { kind: 'gitlab'; n: number }
  | { kind: 'model'; n: number }
  | { kind: 'time'; ms: number };

interface Baseline {
  events: number;
  gitlab: number;
  model: number;
  ms: number;
}

function killPoint(seed: number, baseline: Baseline): { point: KillPoint; delay: () => number } {
  const next = random(seed);
  const pick = next();
  const upTo = (n: number) => 1 + Math.floor(next() * n);
  const point: KillPoint =
    pick < 0.45
      ? { kind: 'event', n: upTo(baseline.events) }
      : pick < 0.7
        ? { kind: 'gitlab', n: upTo(baseline.gitlab) }
        : pick < 0.8
          ? { kind: 'model', n: upTo(baseline.model) }
          : { kind: 'time', ms: Math.round(300 + next() * baseline.ms) };
  // Answers to approvals come after a seeded pause, so some kills find a question open.
  return { point, delay: () => Math.round(next() * 600) };
}

function describePoint(point: KillPoint): string {
  switch (point.kind) {
    case 'event':
      return `while writing session event ${point.n}`;
    case 'gitlab':
      return `after GitLab carried out API request ${point.n}, before it answered`;
    case 'model':
      return `when the model got request ${point.n}`;
    case 'time':
      return `${point.ms} ms into the run`;
  }
}

interface Totals {
  tried: number;
  killed: number;
  resumed: number;
  completed: number;
  failedWithReason: number;
  duplicates: number;
  approvalsLost: number;
  reannounced: number;
}

describe('kill -9 at seeded points during Fix Pipeline runs; every session resumes or ends with a reason (slow)', function () {
  this.timeout(600_000);
  let baseline: Baseline;
  const totals: Totals = {
    tried: 0,
    killed: 0,
    resumed: 0,
    completed: 0,
    failedWithReason: 0,
    duplicates: 0,
    approvalsLost: 0,
    reannounced: 0,
  };

  before(async function () {
    await requireDocker(this);
    // An uninterrupted run measures how many events, requests and milliseconds kills spread over.
    const world = await startFaultWorld();
    try {
      const client = await world.start();
      new Approver(client);
      const started = performance.now();
      const sessionId = await world.startFix(client);
      // Kills on GitLab requests count those of the session, not of starting it.
      const beforeSession = apiRequests(world);
      const done = await sessionWhere(client, sessionId, isFinished, 240_000);
      assert.equal(done.status, 'completed', done.error);
      const details = await client.request<SessionGetResult>('tandem/session/get', { sessionId });
      baseline = {
        events: details.events.length,
        gitlab: apiRequests(world) - beforeSession,
        model: world.setup.model.requests.length,
        ms: Math.round(performance.now() - started),
      };
      assert.deepEqual(
        forgeCounts(world),
        { ...forgeCounts(world), mergeRequests: 1, sessionBranches: 1, notes: 1 },
        'an uninterrupted run opens one merge request, pushes one branch and posts one note',
      );
    } finally {
      await world.stop();
    }
  });

  after(function () {
    if (!baseline) return;
    const line =
      `kill points tried: ${totals.tried}, killed mid-run: ${totals.killed}, sessions resumed: ` +
      `${totals.resumed}, completed: ${totals.completed}, failed with a reason: ` +
      `${totals.failedWithReason}, duplicates: ${totals.duplicates}, approvals lost: ` +
      `${totals.approvalsLost} (questions asked again after a restart: ${totals.reannounced})`;
    console.log(`      ${line}`);
    const out = path.resolve(__dirname, '..', '..', 'test-results');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(
      path.join(out, FULL ? 'faults-kill-points-full.json' : 'faults-kill-points.json'),
      `${JSON.stringify({ seeds: SEEDS, firstSeed: FIRST_SEED, baseline, ...totals }, null, 2)}\n`,
    );
  });

  for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
    it(`seed ${seed}`, async function () {
      const { point, delay } = killPoint(seed, baseline);
      this.test!.title = `seed ${seed}: killed ${describePoint(point)}`;
      totals.tried++;
      const world = await startFaultWorld();
      try {
        await runKilled(world, point, delay, totals);
      } finally {
        await world.stop();
      }
    });
  }

  it('a command approval open when the server dies is the same question after the restart, and its answer runs the command', async () => {
    const world = await startFaultWorld();
    try {
      const first = await world.start();
      const sessionId = await world.startFix(first);
      const asked = await first.waitFor<{ approvalId: string; kind: string }>(
        'tandem/approval/requested',
        (p) => p.kind === 'command',
        120_000,
      );
      await first.kill();

      const second = await world.start();
      const again = await second.waitFor<{ approvalId: string }>(
        'tandem/approval/requested',
        (p) => p.approvalId === asked.approvalId,
      );
      assert.equal(again.approvalId, asked.approvalId);
      new Approver(second);
      const done = await sessionWhere(second, sessionId, isFinished, 240_000);
      assert.equal(done.status, 'completed', done.error);
      const rows = approvalRows(world.setup.stateDir);
      assert.equal(rows.get(asked.approvalId)?.decision, 'approve');
      const details = await second.request<SessionGetResult>('tandem/session/get', { sessionId });
      const authorized = details.events.filter((e) => e.type === 'command_authorization');
      assert.ok(
        authorized.some((e) => (e.data as { decidedBy?: string }).decidedBy === 'person'),
        'the command ran on the answer given after the restart',
      );
      assert.deepEqual(checkStore(world.setup.stateDir), { integrity: 'ok', problems: [] });
    } finally {
      await world.stop();
    }
  });
});

/** The session a server that died during `tandem/flow/start` had created, if it had. */
async function createdSession(world: FaultWorld): Promise<string | undefined> {
  return readStore(world.setup.stateDir, (db) => {
    const row = db.prepare('SELECT id FROM sessions').get() as { id: string } | undefined;
    return row?.id;
  });
}

async function checkNothingStarted(world: FaultWorld): Promise<void> {
  const second = await world.start();
  const { sessions } = await second.request<{ sessions: SessionSnapshot[] }>(
    'tandem/session/list',
    {},
  );
  await second.stop();
  assert.deepEqual(sessions, []);
  assert.deepEqual(forgeCounts(world), {
    ...forgeCounts(world),
    mergeRequests: 0,
    sessionBranches: 0,
    notes: 0,
  });
  assert.deepEqual(checkStore(world.setup.stateDir), { integrity: 'ok', problems: [] });
}

function apiRequests(world: FaultWorld): number {
  return world.setup.gitlab.requests.filter((r) => r.path.startsWith('/api/v4/')).length;
}

async function runKilled(
  world: FaultWorld,
  point: KillPoint,
  delay: () => number,
  totals: Totals,
): Promise<void> {
  let kill = () => undefined as unknown;
  const env: Record<string, string> = {};
  if (point.kind === 'event') env.TANDEM_FAULT_KILL_AT_EVENT = String(point.n);
  let count = 0;
  let armed = false;
  if (point.kind === 'gitlab') {
    world.beforeGitLabReply = async (request) => {
      if (!armed || !request.path.startsWith('/api/v4/') || ++count !== point.n) return;
      await kill();
    };
  }
  if (point.kind === 'model') {
    world.beforeModel = () => {
      if (++count !== point.n) return undefined;
      void kill();
      return { hang: true };
    };
  }
  const first = await world.start(env);
  const server = first;
  kill = () => (server.process.exitCode === null ? server.kill() : undefined);
  const approver = new Approver(first, delay);
  // A kill while the session is being created may leave none, or one the restart resumes.
  const started = await Promise.race([world.startFix(first), server.exited.then(() => undefined)]);
  const sessionId = started ?? (await createdSession(world));
  if (sessionId === undefined) {
    totals.killed++;
    await checkNothingStarted(world);
    return;
  }
  armed = true;
  if (point.kind === 'time') setTimeout(() => void kill(), point.ms).unref();

  const outcome = started ? await endOrDeath(first, sessionId, 240_000) : 'died';
  approver.stop();
  world.beforeGitLabReply = undefined;
  world.beforeModel = undefined;
  let final: SessionSnapshot;
  let reannounced = 0;
  let pendingAtKill: string[] = [];
  if (outcome === 'died') {
    totals.killed++;
    pendingAtKill = pendingApprovals(world.setup.stateDir);
    const second = await world.start();
    new Approver(second);
    // The questions open at the kill are asked again, with their ids, as the client attaches.
    await second.request('tandem/session/list', {});
    const asked = new Set(
      second.of<{ approvalId: string }>('tandem/approval/requested').map((p) => p.approvalId),
    );
    reannounced = pendingAtKill.filter((id) => asked.has(id)).length;
    final = await sessionWhere(second, sessionId, isFinished, 240_000);
    const details = await second.request<SessionGetResult>('tandem/session/get', { sessionId });
    if (details.events.some((e) => e.type === 'resume')) totals.resumed++;
    await second.stop();
  } else {
    final = outcome;
    await first.stop();
  }

  if (final.status === 'completed') totals.completed++;
  else {
    assert.ok(
      final.error && !/^Unexpected error/.test(final.error),
      `no clear reason: ${final.error}`,
    );
    totals.failedWithReason++;
  }
  // Nothing twice on GitLab: one merge request, one branch, one note at most (each when done).
  const forge = forgeCounts(world);
  const expected = final.status === 'completed' ? 1 : 0;
  const duplicates =
    Math.max(0, forge.mergeRequests - 1) +
    Math.max(0, forge.sessionBranches - 1) +
    Math.max(0, forge.notes - 1);
  totals.duplicates += duplicates;
  // No approval lost: every question open at the kill was asked again after the restart, and
  // every answer the server accepted is the one it recorded.
  const rows = approvalRows(world.setup.stateDir);
  const lostAnswers = [...approver.accepted].filter(([id, d]) => rows.get(id)?.decision !== d);
  const lost = pendingAtKill.length - reannounced + lostAnswers.length;
  totals.approvalsLost += lost;
  totals.reannounced += reannounced;
  assert.equal(duplicates, 0, `duplicates on GitLab: ${JSON.stringify(forge)}`);
  assert.equal(
    lost,
    0,
    `approvals lost: ${JSON.stringify({ pendingAtKill, reannounced, lostAnswers })}`,
  );
  if (final.status === 'completed') {
    assert.deepEqual(
      [forge.mergeRequests, forge.sessionBranches, forge.notes],
      [expected, expected, expected],
    );
  }
  assert.deepEqual(checkStore(world.setup.stateDir), { integrity: 'ok', problems: [] });
}
