import { commitAll, pushBranch } from '../../sandbox/git';
import type { Sandbox } from '../../sandbox/sandbox';
import type { FlowContext } from './flow';
import { FlowError, IDEMPOTENT } from './flow';
import { together } from './together';

export interface PublishInput {
  sandbox: Sandbox;
  targetBranch: string;
  commitMessage: string;
  title: string;
  description: string;
}

export interface Published {
  mergeRequest: { iid: number; webUrl: string };
  branch: string;
  sha: string;
  /** False when a re-run found the merge request this session had already opened. */
  created: boolean;
}

/** Who tandem's commits are by; the person's name stays on the merge request they open. */
const AUTHOR = { name: 'tandem', email: 'tandem@users.noreply.local' };

/**
 * Commits the worktree on the session's branch, pushes it from the host side with the person's
 * token, and opens a merge request: each step first looks for what an earlier run of this
 * session already did, so a re-run after a crash pushes nothing twice and opens no second
 * merge request. Never pushes to the project's default branch.
 */
export async function publish(ctx: FlowContext, input: PublishInput): Promise<Published> {
  const { projectPath } = ctx.reference;
  const branch = input.sandbox.branch;
  if (branch === input.targetBranch) refuse(branch);
  // Independent lookups and the local commit go at once; the order of effects stays:
  // commit, push, merge request.
  const [project, commit] = await together([
    ctx.forge.getProject(projectPath),
    commitAll(input.sandbox.worktree, input.commitMessage, AUTHOR),
  ] as const);
  if (branch === project.defaultBranch) refuse(branch);
  assertSameHost(ctx, project.httpUrlToRepo);
  ctx.event(
    'commit',
    commit.committed ? `Committed ${commit.sha.slice(0, 8)}` : 'Nothing new to commit',
    commit,
  );
  const remote = {
    remoteUrl: project.httpUrlToRepo,
    token: ctx.config.gitlab.token,
    signal: ctx.signal,
  };
  // A push of what GitLab already has sends nothing ("unchanged"), so a re-run pushes nothing twice.
  const [pushed, existing] = await together([
    pushBranch({ ...remote, worktree: input.sandbox.worktree, branch }),
    ctx.forge.findOpenMergeRequest(projectPath, branch, input.targetBranch),
  ] as const);
  ctx.event(
    'push',
    pushed.outcome === 'unchanged'
      ? `${branch} is already at ${commit.sha.slice(0, 8)} on GitLab`
      : `Pushed ${branch} (${pushed.outcome})`,
    pushed,
  );

  if (existing) {
    ctx.event('merge_request', `Merge request !${existing.iid} is already open for ${branch}`);
    return {
      mergeRequest: { iid: existing.iid, webUrl: existing.webUrl },
      branch,
      sha: commit.sha,
      created: false,
    };
  }
  const opened = await ctx.forge.createMergeRequest(projectPath, {
    sourceBranch: branch,
    targetBranch: input.targetBranch,
    title: input.title,
    description: input.description,
    removeSourceBranch: true,
  });
  ctx.event('merge_request', `Opened merge request !${opened.iid}`, opened);
  return { mergeRequest: opened, branch, sha: commit.sha, created: true };
}

/**
 * `publish` as the flow's `publish` step. It looks for what an earlier run already pushed and
 * opened, so it is safe to run again: it resumes without asking.
 */
export function publishStep(ctx: FlowContext, input: PublishInput): Promise<Published> {
  return ctx.step('publish', () => publish(ctx, input), IDEMPOTENT);
}

/**
 * Comments on a merge request unless a note containing `marker` is already there (an earlier
 * run of the session posted it before a crash); answers the note's address.
 */
export async function noteOnce(
  ctx: FlowContext,
  mr: { iid: number; webUrl: string },
  note: { body: string; marker: string },
): Promise<string> {
  const { projectPath } = ctx.reference;
  const notes = await ctx.forge.getMergeRequestNotes(projectPath, mr.iid);
  const earlier = notes.find((n) => n.body.includes(note.marker));
  if (earlier) return `${mr.webUrl}#note_${earlier.id}`;
  return (await ctx.forge.createMergeRequestNote(projectPath, mr.iid, note.body)).url;
}

function refuse(branch: string): never {
  throw new FlowError(`Refusing to push to ${branch}: flows push only to their own branch.`);
}

/** The token only ever goes to the configured GitLab host. */
function assertSameHost(ctx: FlowContext, repoUrl: string): void {
  if (new URL(repoUrl).origin !== new URL(ctx.config.gitlab.url).origin) {
    throw new FlowError(
      `GitLab says the repository lives at ${new URL(repoUrl).origin}, not at tandem.gitlab.url (${ctx.config.gitlab.url}); the token is only sent there. Fix tandem.gitlab.url.`,
    );
  }
}

/**
 * For local work: commits the worktree on the session's branch in the person's repository and
 * stops there. Nothing is pushed; the branch is theirs to review, merge or drop.
 */
export async function finishLocally(
  ctx: FlowContext,
  sandbox: Sandbox,
  message: { title: string; body: string },
  done: string,
): Promise<{ summary: string; links: { label: string; url: string }[] }> {
  const commit = await ctx.step('commit', () =>
    commitLocally(ctx, sandbox, `${message.title}\n\n${message.body}`),
  );
  return {
    summary: `${done} The change is commit ${commit.sha.slice(0, 8)} on branch ${commit.branch} of your repository; nothing was pushed.`,
    links: [{ label: `Branch ${commit.branch}`, url: ctx.reference.url }],
  };
}

async function commitLocally(
  ctx: FlowContext,
  sandbox: Sandbox,
  message: string,
): Promise<{ branch: string; sha: string; committed: boolean }> {
  const commit = await commitAll(sandbox.worktree, message, AUTHOR);
  ctx.event(
    'commit',
    commit.committed
      ? `Committed ${commit.sha.slice(0, 8)} on ${sandbox.branch}`
      : 'Nothing to commit',
    commit,
  );
  return { branch: sandbox.branch, ...commit };
}
