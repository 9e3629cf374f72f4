// Built on @gitbeaker/rest rather than hand-written fetch calls: its endpoints are typed against
// GitLab's REST v4 and URL-encode project and file paths, it follows Link-header pagination, and
// it throttles requests client-side to GitLab.com's published rate limits. Its own retries of 429
// and 502 back off only briefly and ignore Retry-After, so a sustained rate limit ends in a
// ForgeError asking the person to wait, rather than in a session stalled for minutes.
import {
  Branches,
  IssueNotes,
  Issues,
  Jobs,
  MergeRequestDiscussions,
  MergeRequestNotes,
  MergeRequests,
  Pipelines,
  ProjectMembers,
  Projects,
  RepositoryFiles,
  Users,
} from '@gitbeaker/rest';
import type { ReferenceKind } from '../protocol';
import { silentLogger, type Logger } from '../logger';
import {
  ForgeError,
  type DiffPosition,
  type DiffRefs,
  type FileDiff,
  type Forge,
  type MergeRequestInfo,
  type MergeRequestWriter,
  type NewMergeRequest,
  type OpenedMergeRequest,
  type PostedNote,
  type ProjectInfo,
  type ResolvedReference,
} from './forge';
import { readGitRemote } from './git-remote';
import { mergeRequestRefusal, notFoundMessage, toForgeError } from './gitlab-errors';
import {
  toBranchInfo,
  toFileDiff,
  toGitLabPosition,
  toIssueInfo,
  toIssueNote,
  toJobInfo,
  toMergeRequestInfo,
  toPipelineInfo,
  toProjectInfo,
  type BranchInfo,
  type IssueInfo,
  type IssueNote,
  type JobInfo,
  type PipelineInfo,
} from './gitlab-records';
import { parseReference, referenceLabel, referenceUrl, resolveParsedReference } from './references';

export type { BranchInfo, IssueInfo, IssueNote, JobInfo, PipelineInfo } from './gitlab-records';

export interface GitLabForgeOptions {
  /** Web URL of the GitLab instance, e.g. `https://gitlab.com`; the API is `${url}/api/v4`. */
  url: string;
  token: string;
  /** Where short references (`!7`, `#12`) look for the git remote that names the project. */
  workspaceFolder?: string;
  logger?: Logger;
}

/** Generous for large diffs, but a hung connection still fails instead of stalling a session. */
const QUERY_TIMEOUT_MS = 60_000;
/** GitLab's maximum page size: fewest round trips for lists. */
const PER_PAGE = 100;

function gitlabClients(host: string, token: string) {
  const options = { host, token, queryTimeout: QUERY_TIMEOUT_MS };
  return {
    users: new Users(options),
    projects: new Projects(options),
    members: new ProjectMembers(options),
    mergeRequests: new MergeRequests(options),
    discussions: new MergeRequestDiscussions(options),
    mergeRequestNotes: new MergeRequestNotes(options),
    files: new RepositoryFiles(options),
    pipelines: new Pipelines(options),
    jobs: new Jobs(options),
    issues: new Issues(options),
    issueNotes: new IssueNotes(options),
    branches: new Branches(options),
  };
}

type GitLabClients = ReturnType<typeof gitlabClients>;

export class GitLabForge implements Forge, MergeRequestWriter {
  private readonly gitlabUrl: string;
  private readonly token: string;
  private readonly api: GitLabClients;
  private readonly workspaceFolder?: string;
  private readonly logger: Logger;

  constructor(options: GitLabForgeOptions) {
    this.gitlabUrl = webUrl(options.url);
    this.token = options.token.trim();
    this.api = gitlabClients(this.gitlabUrl, this.token);
    this.workspaceFolder = options.workspaceFolder;
    this.logger = options.logger ?? silentLogger;
  }

  async resolveReference(text: string, kind?: ReferenceKind): Promise<ResolvedReference> {
    const parsed = parseReference(text, kind);
    const remote =
      parsed.projectPath || !this.workspaceFolder
        ? null
        : await readGitRemote(this.workspaceFolder);
    return resolveParsedReference(parsed, text, { gitlabUrl: this.gitlabUrl, remote });
  }

  accessLevel(projectPath: string): Promise<{ username: string; level: number }> {
    return this.call(`checking your access to ${projectPath}`, async (api) => {
      const user = await api.users.showCurrentUser();
      return { username: user.username, level: await memberLevel(api, projectPath, user.id) };
    });
  }

  getMergeRequest(projectPath: string, iid: number): Promise<MergeRequestInfo> {
    return this.call(`reading merge request ${mrLabel(projectPath, iid)}`, async (api) => {
      return toMergeRequestInfo(await api.mergeRequests.show(projectPath, iid));
    });
  }

  getDiffRefs(projectPath: string, iid: number): Promise<DiffRefs> {
    const label = mrLabel(projectPath, iid);
    return this.call(`reading the diff versions of ${label}`, async (api) => {
      const versions = await api.mergeRequests.allDiffVersions(projectPath, iid);
      const latest = versions.reduce((a, b) => (b.id > a.id ? b : a), versions[0]);
      if (!latest) {
        throw new ForgeError(
          `Merge request ${label} has no diff yet: GitLab may still be preparing it; try again in a moment.`,
        );
      }
      const { base_commit_sha, start_commit_sha, head_commit_sha } = latest;
      return { baseSha: base_commit_sha, startSha: start_commit_sha, headSha: head_commit_sha };
    });
  }

  getMergeRequestDiffs(projectPath: string, iid: number): Promise<FileDiff[]> {
    return this.call(`reading the diff of ${mrLabel(projectPath, iid)}`, async (api) => {
      const diffs = await api.mergeRequests.allDiffs(projectPath, iid, { perPage: PER_PAGE });
      return diffs.map(toFileDiff);
    });
  }

  getFileRaw(projectPath: string, filePath: string, ref: string): Promise<string | null> {
    return this.call(`reading ${filePath} at ${ref} in ${projectPath}`, async (api) => {
      try {
        const body = await api.files.showRaw(projectPath, filePath, ref);
        return typeof body === 'string' ? body : await body.text();
      } catch (error) {
        const notFound = notFoundMessage(error);
        if (notFound !== undefined && !/project/i.test(notFound)) return null;
        throw error;
      }
    });
  }

  createDiffDiscussion(
    projectPath: string,
    iid: number,
    body: string,
    position: DiffPosition,
  ): Promise<PostedNote> {
    const label = mrLabel(projectPath, iid);
    const line = position.newLine ?? position.oldLine;
    return this.call(`commenting on ${position.newPath}:${line} in ${label}`, async (api) => {
      refuseGarbledPaths(position);
      const discussion = await api.discussions.create(projectPath, iid, body, {
        position: toGitLabPosition(position),
      });
      return this.posted(projectPath, 'merge_request', iid, discussion.notes?.[0]?.id);
    });
  }

  createMergeRequestNote(projectPath: string, iid: number, body: string): Promise<PostedNote> {
    return this.call(`commenting on ${mrLabel(projectPath, iid)}`, async (api) => {
      const note = await api.mergeRequestNotes.create(projectPath, iid, body);
      return this.posted(projectPath, 'merge_request', iid, note.id);
    });
  }

  getPipeline(projectPath: string, pipelineId: number): Promise<PipelineInfo> {
    const label = referenceLabel('pipeline', projectPath, pipelineId);
    return this.call(`reading ${label}`, async (api) => {
      return toPipelineInfo(await api.pipelines.show(projectPath, pipelineId));
    });
  }

  /** The pipeline's jobs (latest attempt of each), or only the failed ones. */
  getPipelineJobs(
    projectPath: string,
    pipelineId: number,
    options: { failedOnly?: boolean } = {},
  ): Promise<JobInfo[]> {
    const label = referenceLabel('pipeline', projectPath, pipelineId);
    return this.call(`listing the jobs of ${label}`, async (api) => {
      const scope = options.failedOnly ? 'failed' : undefined;
      const jobs = await api.jobs.all(projectPath, { pipelineId, scope, perPage: PER_PAGE });
      return jobs.map(toJobInfo);
    });
  }

  /** The job's log as GitLab stores it (with ANSI colour codes and section markers). */
  getJobTrace(projectPath: string, jobId: number): Promise<string> {
    return this.call(`reading the log of job ${jobId} in ${projectPath}`, async (api) => {
      const trace: unknown = await api.jobs.showLog(projectPath, jobId);
      return typeof trace === 'string' ? trace : '';
    });
  }

  getIssue(projectPath: string, iid: number): Promise<IssueInfo> {
    const label = referenceLabel('issue', projectPath, iid);
    return this.call(`reading issue ${label}`, async (api) => {
      return toIssueInfo(await api.issues.show(iid, { projectId: projectPath }));
    });
  }

  /** The issue's notes, oldest first (GitLab's default order is newest first). */
  getIssueNotes(projectPath: string, iid: number): Promise<IssueNote[]> {
    return this.notes('issue', projectPath, iid);
  }

  /** The merge request's notes, oldest first. */
  getMergeRequestNotes(projectPath: string, iid: number): Promise<IssueNote[]> {
    return this.notes('merge_request', projectPath, iid);
  }

  private notes(
    kind: 'issue' | 'merge_request',
    projectPath: string,
    iid: number,
  ): Promise<IssueNote[]> {
    const label = referenceLabel(kind, projectPath, iid);
    return this.call(`reading the comments on ${label}`, async (api) => {
      const options = { sort: 'asc', orderBy: 'created_at', perPage: PER_PAGE } as const;
      const notes =
        kind === 'issue'
          ? await api.issueNotes.all(projectPath, iid, options)
          : await api.mergeRequestNotes.all(projectPath, iid, options);
      return notes.map(toIssueNote);
    });
  }

  createIssueNote(projectPath: string, iid: number, body: string): Promise<PostedNote> {
    return this.call(`commenting on ${referenceLabel('issue', projectPath, iid)}`, async (api) => {
      const note = await api.issueNotes.create(projectPath, iid, body);
      return this.posted(projectPath, 'issue', iid, note.id);
    });
  }

  /** The branch, or `null` when the project has no branch of that name. */
  getBranch(projectPath: string, name: string): Promise<BranchInfo | null> {
    return this.call(`reading branch ${name} of ${projectPath}`, async (api) => {
      try {
        return toBranchInfo(await api.branches.show(projectPath, name));
      } catch (error) {
        if (/branch not found/i.test(notFoundMessage(error) ?? '')) return null;
        throw error;
      }
    });
  }

  getProject(projectPath: string): Promise<ProjectInfo> {
    return this.call(`reading project ${projectPath}`, async (api) => {
      return toProjectInfo(await api.projects.show(projectPath));
    });
  }

  findOpenMergeRequest(
    projectPath: string,
    sourceBranch: string,
    targetBranch?: string,
  ): Promise<MergeRequestInfo | null> {
    const action = `looking for an open merge request from ${sourceBranch} in ${projectPath}`;
    return this.call(action, async (api) => {
      const found = await api.mergeRequests.all({
        projectId: projectPath,
        sourceBranch,
        ...(targetBranch !== undefined && { targetBranch }),
        state: 'opened',
        perPage: PER_PAGE,
      });
      // A fork's branch of the same name is another branch.
      const own = found.find((mr) => mr.source_project_id === mr.target_project_id);
      return own ? toMergeRequestInfo(own) : null;
    });
  }

  /** Opens a merge request; a ForgeError of status 409 when one is open for the same branches. */
  createMergeRequest(projectPath: string, request: NewMergeRequest): Promise<OpenedMergeRequest> {
    const { sourceBranch, targetBranch, title, description } = request;
    const action = `opening a merge request from ${sourceBranch} into ${targetBranch} in ${projectPath}`;
    return this.call(action, async (api) => {
      try {
        const mr = await api.mergeRequests.create(projectPath, sourceBranch, targetBranch, title, {
          description,
          removeSourceBranch: request.removeSourceBranch ?? false,
        });
        return { iid: mr.iid, webUrl: mr.web_url };
      } catch (error) {
        throw mergeRequestRefusal(error, projectPath, request) ?? error;
      }
    });
  }

  /** Runs one GitLab exchange, turning any failure into a ForgeError the person can act on. */
  private async call<T>(action: string, request: (api: GitLabClients) => Promise<T>): Promise<T> {
    if (!this.token) {
      throw new ForgeError(
        'No GitLab token is set: set tandem.gitlab.token or GITLAB_TOKEN to a personal access token with the api scope.',
      );
    }
    this.logger.debug(`GitLab: ${action}`);
    try {
      return await request(this.api);
    } catch (error) {
      const failure = toForgeError(error, action, this.gitlabUrl);
      const message = this.redact(failure.message);
      this.logger.warn(message);
      throw new ForgeError(message, failure.status);
    }
  }

  private posted(
    projectPath: string,
    kind: ReferenceKind,
    iid: number,
    noteId: number | undefined,
  ): PostedNote {
    const url = referenceUrl(this.gitlabUrl, kind, projectPath, iid);
    return noteId === undefined ? { id: '', url } : { id: noteId, url: `${url}#note_${noteId}` };
  }

  /** Defence in depth: GitLab never echoes the token, but a message must never carry it. */
  private redact(message: string): string {
    return this.token.length >= 4 ? message.split(this.token).join('[token]') : message;
  }
}

async function memberLevel(api: GitLabClients, projectPath: string, userId: number) {
  try {
    const member = await api.members.show(projectPath, userId, { includeInherited: true });
    return Number(member.access_level);
  } catch (error) {
    if (notFoundMessage(error) !== undefined) return 0;
    throw error;
  }
}

/**
 * gitbeaker joins the position fields with `&` before splitting them into form fields, so a path
 * containing `&` would arrive cut short and GitLab would refuse it with a misleading message.
 */
function refuseGarbledPaths(position: DiffPosition): void {
  const path = [position.oldPath, position.newPath].find((p) => p.includes('&'));
  if (path) {
    throw new ForgeError(
      `Cannot place an inline comment on ${path}: paths containing "&" cannot be sent as a diff position. ` +
        'Comment on the merge request as a whole instead.',
    );
  }
}

function mrLabel(projectPath: string, iid: number): string {
  return referenceLabel('merge_request', projectPath, iid);
}

function webUrl(url: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url.trim());
  } catch {
    parsed = undefined;
  }
  if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.search || parsed.hash) {
    throw new ForgeError(
      `tandem.gitlab.url ${JSON.stringify(url.replace(/\/\/[^/@\s]*@/, '//'))} is not a web address: set it to your GitLab's URL, e.g. https://gitlab.com.`,
    );
  }
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}
