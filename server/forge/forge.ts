import type { IssueInfo, IssueNote, JobInfo, PipelineInfo } from './gitlab-records';
import type { ReferenceKind } from '../protocol';

/** GitLab access levels (REST v4 `access_level`). */
export const AccessLevel = {
  none: 0,
  minimal: 5,
  guest: 10,
  planner: 15,
  reporter: 20,
  developer: 30,
  maintainer: 40,
  owner: 50,
} as const;

/** A pipeline, issue or merge request, with its project resolved. */
export interface ResolvedReference {
  kind: ReferenceKind;
  /** Full path of the project, e.g. `group/sub/app`. */
  projectPath: string;
  /** The merge request or issue iid, or the pipeline id. */
  id: number;
  /** Web URL on the configured GitLab host. */
  url: string;
  /** Short form: `group/app!7`, `group/app#12`, `group/app pipeline 123`. */
  label: string;
  /**
   * Set for work on the workspace alone, without GitLab: a CI job of the workspace's
   * `.gitlab-ci.yml` (Fix Pipeline) or a free-text task (Implement Issue). The result stays on
   * the session's branch in the workspace; nothing is pushed.
   */
  local?: { workspaceFolder: string; job?: string; task?: string };
}

export interface MergeRequestInfo {
  iid: number;
  title: string;
  description: string;
  webUrl: string;
  sourceBranch: string;
  targetBranch: string;
  state: string;
  author: string;
}

/** The diff refs of the merge request's latest version; inline comments must use these. */
export interface DiffRefs {
  baseSha: string;
  startSha: string;
  headSha: string;
}

export interface FileDiff {
  oldPath: string;
  newPath: string;
  /** Unified diff of the file, hunks only (`@@ … @@` lines and below). Empty when collapsed. */
  diff: string;
  newFile: boolean;
  deletedFile: boolean;
  renamedFile: boolean;
  /** GitLab left the diff out (too large or generated). */
  collapsed: boolean;
}

/** Where an inline comment goes; exactly GitLab's text `position` with the version's shas. */
export interface DiffPosition {
  baseSha: string;
  startSha: string;
  headSha: string;
  oldPath: string;
  newPath: string;
  /** Set for added lines and unchanged lines. */
  newLine?: number;
  /** Set for removed lines and unchanged lines. */
  oldLine?: number;
}

export interface PostedNote {
  id: number | string;
  url: string;
}

export interface BranchInfo {
  name: string;
  commitSha: string;
  protected: boolean;
  default: boolean;
  webUrl: string;
}

/** What pushing to and proposing changes on a project needs to know about it. */
export interface ProjectInfo {
  defaultBranch: string;
  /** Where git clones and pushes over HTTPS, e.g. `https://gitlab.com/group/app.git`. */
  httpUrlToRepo: string;
  webUrl: string;
}

/** A merge request to open; its source branch must already be on GitLab. */
export interface NewMergeRequest {
  sourceBranch: string;
  targetBranch: string;
  title: string;
  description: string;
  /** Delete the source branch once the merge request is merged. */
  removeSourceBranch?: boolean;
}

export interface OpenedMergeRequest {
  iid: number;
  webUrl: string;
}

/**
 * The code host, seen from the server. Every method throws `ForgeError` with a message the
 * person can act on; the token never appears in a message.
 */
export interface Forge {
  /** Parses a URL or short reference and resolves its project (short forms use the workspace's git remote). */
  resolveReference(text: string, kind?: ReferenceKind): Promise<ResolvedReference>;
  /** The signed-in user's effective access level on the project (inherited membership counts). */
  accessLevel(projectPath: string): Promise<{ username: string; level: number }>;
  getMergeRequest(projectPath: string, iid: number): Promise<MergeRequestInfo>;
  getDiffRefs(projectPath: string, iid: number): Promise<DiffRefs>;
  getMergeRequestDiffs(projectPath: string, iid: number): Promise<FileDiff[]>;
  /** Raw file content at a commit; `null` when the file does not exist there. */
  getFileRaw(projectPath: string, filePath: string, ref: string): Promise<string | null>;
  createDiffDiscussion(
    projectPath: string,
    iid: number,
    body: string,
    position: DiffPosition,
  ): Promise<PostedNote>;
  createMergeRequestNote(projectPath: string, iid: number, body: string): Promise<PostedNote>;
}

/**
 * What flows that propose changes need besides reading: the project's repository, its branches,
 * merge requests, and comments. Apart from `Forge`, so read-only forges need not grow.
 */
export interface MergeRequestWriter {
  getProject(projectPath: string): Promise<ProjectInfo>;
  /** The branch, or `null` when the project has no branch of that name. */
  getBranch(projectPath: string, name: string): Promise<BranchInfo | null>;
  /** The open merge request from `sourceBranch` (into `targetBranch`, when given), or `null`. */
  findOpenMergeRequest(
    projectPath: string,
    sourceBranch: string,
    targetBranch?: string,
  ): Promise<MergeRequestInfo | null>;
  /** Fails with a ForgeError of status 409 when one is already open for the same branches. */
  createMergeRequest(projectPath: string, request: NewMergeRequest): Promise<OpenedMergeRequest>;
  createMergeRequestNote(projectPath: string, iid: number, body: string): Promise<PostedNote>;
  /** The merge request's notes, oldest first (to find one an earlier run already posted). */
  getMergeRequestNotes(projectPath: string, iid: number): Promise<IssueNote[]>;
  createIssueNote(projectPath: string, iid: number, body: string): Promise<PostedNote>;
}

export class ForgeError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ForgeError';
  }
}

/** Reading pipelines and issues, for Fix Pipeline and Implement Issue. */
export interface WorkItemReader {
  getPipeline(projectPath: string, pipelineId: number): Promise<PipelineInfo>;
  getPipelineJobs(
    projectPath: string,
    pipelineId: number,
    options?: { failedOnly?: boolean },
  ): Promise<JobInfo[]>;
  getJobTrace(projectPath: string, jobId: number): Promise<string>;
  getIssue(projectPath: string, iid: number): Promise<IssueInfo>;
  getIssueNotes(projectPath: string, iid: number): Promise<IssueNote[]>;
}

/** Everything flows use of the code host. */
export type FlowForge = Forge & MergeRequestWriter & WorkItemReader;
