import Database from 'better-sqlite3';
import * as path from 'node:path';
import type { ApprovalRequestedParams, SessionSnapshot } from '../../server/protocol';
import { fixer, PROJECT_DIR, setUpExample, type ExampleSetup } from '../support/fix-pipeline-world';
import type { RecordedRequest } from '../support/gitlab-stand-in-readback';
import { requireDocker } from '../support/docker-world';
import { ProtocolClient } from '../support/protocol-client';
import { readTree } from '../support/review-world';
import type { Reply, ScriptedRequest } from '../support/scripted-model';
import { isFinished, sessionWhere } from '../support/sessions';

/** The example, with a test job that sleeps without a word for `seconds` before it runs. */
export function slowProject(seconds: number): Record<string, string> {
  const files = readTree(PROJECT_DIR);
  const pkg = JSON.parse(files['package.json']);
  pkg.scripts.test = `sleep ${seconds} && node --test test/`;
  return { ...files, 'package.json': `${JSON.stringify(pkg, null, 2)}\n` };
}

/** The merge request whose pipeline fails; a completed fix opens one MR and notes on this one. */
export const ORIGINAL_MR = 3;
export const PROJECT = 'group/app';

/**
 * The Fix Pipeline example with a failed pipeline of merge request !3, so a completed session
 * pushes one branch, opens one merge request and posts one note: everything a crash could
 * duplicate. Servers are started on it as often as a test needs, on the same state directory.
 */
export interface FaultWorld {
  setup: ExampleSetup;
  pipelineUrl: string;
  /** Runs before the recorded fixer answers; answer a reply to take its place. */
  beforeModel?: (request: ScriptedRequest) => Reply | undefined;
  /** Runs when a GitLab API request took effect, before its answer is sent. */
  beforeGitLabReply?: (request: RecordedRequest) => Promise<void> | void;
  /** A server on the world's state directory; `env` adds to its environment. */
  start(env?: Record<string, string>, settings?: Record<string, unknown>): Promise<ProtocolClient>;
  /** Starts Fix Pipeline on the failed pipeline; answers the session id. */
  startFix(client: ProtocolClient): Promise<string>;
  stop(): Promise<void>;
}

export async function startFaultWorld(
  files: Record<string, string> = readTree(PROJECT_DIR),
): Promise<FaultWorld> {
  let pipelineUrl = '';
  const setup = await setUpExample(files, (gitlab) => {
    const mr = gitlab.addMergeRequest({
      project: PROJECT,
      iid: ORIGINAL_MR,
      title: 'Document paginate',
      author: 'dev',
      sourceBranch: 'feature/docs',
      targetBranch: 'main',
      base: files,
      head: { ...files, 'README.md': `${files['README.md'] ?? ''}\nPages start at 1.\n` },
    });
    pipelineUrl = gitlab.addPipeline({
      project: PROJECT,
      ref: `refs/merge-requests/${ORIGINAL_MR}/head`,
      sha: mr.headSha,
      source: 'merge_request_event',
      jobs: [{ name: 'test', stage: 'test', status: 'failed', trace: 'not ok 2\n# fail 2' }],
    }).webUrl;
  });
  const clients: ProtocolClient[] = [];
  const world: FaultWorld = {
    setup,
    pipelineUrl,
    async start(env = {}, settings = {}) {
      const client = await ProtocolClient.start({
        env: { ...setup.env, ...env },
        settings: { ...setup.settings, ...settings },
        workspaceFolder: setup.workspaceDir,
      });
      clients.push(client);
      return client;
    },
    async startFix(client) {
      const { sessionId } = await client.request<{ sessionId: string }>('tandem/flow/start', {
        flow: 'fix_pipeline',
        reference: pipelineUrl,
        trigger: 'ui',
      });
      return sessionId;
    },
    async stop() {
      for (const client of clients) await client.stop().catch(() => undefined);
      await setup.stop();
    },
  };
  setup.model.respond((request) => world.beforeModel?.(request));
  setup.model.respond(fixer({ fix: true }));
  setup.gitlab.beforeReply = (request) => world.beforeGitLabReply?.(request);
  return world;
}

/**
 * Answers every approval a client is asked (commands, and whether to resume), after `delayMs`,
 * and keeps the ledger the suite checks: what was asked, what was answered and accepted.
 */
export class Approver {
  readonly asked = new Map<string, ApprovalRequestedParams>();
  /** Answers the server accepted. */
  readonly accepted = new Map<string, 'approve' | 'deny'>();
  private stopped = false;

  constructor(
    private readonly client: ProtocolClient,
    private readonly delayMs: () => number = () => 0,
    private readonly decide: (
      request: ApprovalRequestedParams,
    ) => 'approve' | 'deny' | 'ignore' = () => 'approve',
  ) {
    client.connection.onNotification('tandem/approval/requested', (p: ApprovalRequestedParams) => {
      this.asked.set(p.approvalId, p);
      const decision = this.decide(p);
      if (decision === 'ignore') return;
      setTimeout(() => void this.answer(p.approvalId, decision), this.delayMs());
    });
  }

  /** Stops answering (the server is about to die); what was asked stays in the ledger. */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Answers as a person does: when the server could not record the answer (its disk full, its
   * database locked) it says so, and the person clicks again a little later.
   */
  async answer(approvalId: string, decision: 'approve' | 'deny', attempt = 1): Promise<void> {
    if (this.stopped) return;
    try {
      await this.client.request('tandem/approval/respond', { approvalId, decision });
      this.accepted.set(approvalId, decision);
    } catch (error) {
      // Already answered (a policy decision, a withdrawn question) or the server died meanwhile.
      if (!/could not write its state database/.test((error as Error).message)) return;
      if (attempt >= 30) return;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await this.answer(approvalId, decision, attempt + 1);
    }
  }
}

/** Waits for the session's end on this client, or for the server to die first. */
export async function endOrDeath(
  client: ProtocolClient,
  sessionId: string,
  timeoutMs: number,
): Promise<SessionSnapshot | 'died'> {
  return Promise.race([
    sessionWhere(client, sessionId, isFinished, timeoutMs),
    client.exited.then(() => 'died' as const),
  ]);
}

/** Reads the state database as a second process would, and closes it. */
export function readStore<T>(stateDir: string, read: (db: Database.Database) => T): T {
  const db = new Database(path.join(stateDir, 'tandem.db'), { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/**
 * The hooks of a suite of fault worlds: Docker is required, and the world a test started is
 * stopped after it.
 */
export function faultWorldHooks(): { track(world: FaultWorld): FaultWorld } {
  const worlds: FaultWorld[] = [];
  beforeEach(async function () {
    await requireDocker(this);
  });
  afterEach(async () => {
    for (const world of worlds.splice(0)) await world.stop();
  });
  return { track: (world) => (worlds.push(world), world) };
}

export interface StoreCheck {
  integrity: string;
  problems: string[];
}

/**
 * Reads the state database as a second process would and checks what must hold once sessions
 * have ended: SQLite's own integrity and foreign keys, no session or step left in progress, no
 * question left open for an ended session, checkpoints numbered without gaps, each with its event.
 */
export function checkStore(stateDir: string): StoreCheck {
  return readStore(stateDir, (db) => {
    const problems: string[] = [];
    const integrity = String(db.pragma('integrity_check', { simple: true }));
    const foreign = db.pragma('foreign_key_check') as unknown[];
    if (foreign.length) problems.push(`foreign keys: ${JSON.stringify(foreign)}`);
    const open = db
      .prepare(
        `SELECT id, status FROM sessions
         WHERE status IN ('queued', 'running', 'awaiting_approval', 'interrupted')`,
      )
      .all();
    if (open.length) problems.push(`sessions not ended: ${JSON.stringify(open)}`);
    const steps = db
      .prepare(
        `SELECT s.session_id, s.name FROM session_steps s JOIN sessions x ON x.id = s.session_id
         WHERE s.status = 'running' AND x.status IN ('completed', 'failed', 'cancelled')`,
      )
      .all();
    if (steps.length) problems.push(`steps left running: ${JSON.stringify(steps)}`);
    const questions = db
      .prepare(
        `SELECT a.id, a.kind FROM approvals a JOIN sessions x
           ON x.id = json_extract(a.request, '$.sessionId')
         WHERE a.status = 'pending' AND x.status IN ('completed', 'failed', 'cancelled')`,
      )
      .all();
    if (questions.length)
      problems.push(`open questions of ended sessions: ${JSON.stringify(questions)}`);
    const gaps = db
      .prepare(
        `SELECT session_id, COUNT(*) AS n, MAX(ordinal) AS top FROM session_checkpoints
         GROUP BY session_id HAVING n != top`,
      )
      .all();
    if (gaps.length) problems.push(`checkpoint numbering has gaps: ${JSON.stringify(gaps)}`);
    const orphans = db
      .prepare(
        `SELECT c.session_id, c.ordinal FROM session_checkpoints c
         LEFT JOIN session_events e ON e.id = c.event_id AND e.session_id = c.session_id
         WHERE e.id IS NULL`,
      )
      .all();
    if (orphans.length)
      problems.push(`checkpoints without their event: ${JSON.stringify(orphans)}`);
    return { integrity, problems };
  });
}

/** What the forge shows of the world's project: everything a crash could have duplicated. */
export function forgeCounts(world: FaultWorld): {
  mergeRequests: number;
  sessionBranches: number;
  notes: number;
  pushes: number;
} {
  const { gitlab } = world.setup;
  return {
    mergeRequests: gitlab.createdMergeRequests({ project: PROJECT }).length,
    sessionBranches: gitlab.branches(PROJECT).filter((b) => b.startsWith('tandem/')).length,
    notes: gitlab
      .notes({ noteable: 'merge_request' })
      .filter((n) => n.iid === ORIGINAL_MR && n.body.includes('tandem opened')).length,
    pushes: gitlab.pushes.length,
  };
}

/** Pending approvals in the store right now (read by a second process). */
export function pendingApprovals(stateDir: string): string[] {
  return readStore(stateDir, (db) =>
    (db.prepare(`SELECT id FROM approvals WHERE status = 'pending'`).all() as { id: string }[]).map(
      (r) => r.id,
    ),
  );
}

/** How the store recorded each approval: its status and decision. */
export function approvalRows(
  stateDir: string,
): Map<string, { status: string; decision: string | null; reason: string | null }> {
  return readStore(stateDir, (db) => {
    const rows = db.prepare('SELECT id, status, decision, reason FROM approvals').all() as {
      id: string;
      status: string;
      decision: string | null;
      reason: string | null;
    }[];
    return new Map(rows.map((r) => [r.id, r]));
  });
}
