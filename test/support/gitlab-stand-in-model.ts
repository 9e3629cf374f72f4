import type { BareRepository } from './gitlab-stand-in-repository';
import type { DiffHunk, DiffLine } from './unified-diff';

/* The stand-in's vocabulary: what tests seed, and the records it keeps. */

/** File path → content. */
export type Files = Record<string, string>;
export type Visibility = 'private' | 'internal' | 'public';

export interface UserSeed {
  username: string;
  name?: string;
  /** Defaults to `<username>-token`. */
  token?: string;
}

export interface ProjectSeed {
  path: string;
  /** Defaults to `private`, where only members see the project, as on GitLab. */
  visibility?: Visibility;
  defaultBranch?: string;
  /** Content of the default branch: one commit, the repository's first. */
  files?: Files;
}

/** Membership of a group (inherited by every project below it) or of a project. */
export interface MemberSeed {
  path: string;
  username: string;
  level: number;
}

export interface BranchSeed {
  project: string;
  name: string;
  /** The whole tree of the branch's one commit on top of the default branch. */
  files: Files;
}

export interface MergeRequestSeed {
  project: string;
  iid?: number;
  title: string;
  description?: string;
  author: string;
  sourceBranch?: string;
  targetBranch?: string;
  state?: 'opened' | 'closed' | 'merged';
  /** Files at the merge base. */
  base: Files;
  /** Files at the source branch's head. */
  head: Files;
  /** Old path → new path, for files the merge request renames. */
  renames?: Record<string, string>;
  /** Paths GitLab collapses, marks too large, or marks generated (their `diff` is left out). */
  collapsed?: string[];
  tooLarge?: string[];
  generated?: string[];
}

/** How GitLab renders a merge request's file diffs beyond what the repository says. */
export type DiffOptions = Pick<
  MergeRequestSeed,
  'renames' | 'collapsed' | 'tooLarge' | 'generated'
>;

export interface JobSeed {
  project: string;
  pipeline: number;
  name: string;
  stage?: string;
  status: string;
  trace?: string;
  failureReason?: string;
  allowFailure?: boolean;
  /** An earlier attempt, hidden from job lists unless `include_retried` is set. */
  retried?: boolean;
}

export interface PipelineSeed {
  project: string;
  id?: number;
  /** A branch or tag; defaults to the default branch. */
  ref?: string;
  /** A commit of the repository (sha or any revision); defaults to the head of `ref`. */
  sha?: string;
  /** Defaults to what the jobs add up to: `failed` when a job that may not fail failed. */
  status?: string;
  source?: string;
  user?: string;
  jobs?: Omit<JobSeed, 'project' | 'pipeline'>[];
}

export interface IssueSeed {
  project: string;
  iid?: number;
  title: string;
  description?: string;
  author: string;
  labels?: string[];
  state?: 'opened' | 'closed';
  notes?: { author: string; body: string; system?: boolean }[];
}

export interface UserRecord {
  id: number;
  username: string;
  name: string;
  token: string;
}

/** A commit as the repository has it. */
export interface CommitRecord {
  sha: string;
  title: string;
  message: string;
  parentIds: string[];
  authorName: string;
  authorEmail: string;
  authoredDate: string;
  committerName: string;
  committerEmail: string;
  committedDate: string;
}

export interface FileDiffRecord {
  oldPath: string;
  newPath: string;
  aMode: string;
  bMode: string;
  newFile: boolean;
  deletedFile: boolean;
  renamedFile: boolean;
  hunks: DiffHunk[];
  diff: string;
  collapsed: boolean;
  tooLarge: boolean;
  generated: boolean;
}

export interface VersionRecord {
  id: number;
  baseSha: string;
  startSha: string;
  headSha: string;
  createdAt: string;
  diffs: FileDiffRecord[];
}

export interface PositionRecord {
  baseSha: string;
  startSha: string;
  headSha: string;
  oldPath: string;
  newPath: string;
  oldLine?: number;
  newLine?: number;
  /** The diff line the position resolved to. */
  line: DiffLine;
}

export interface NoteRecord {
  id: number;
  body: string;
  authorId: number;
  createdAt: string;
  system: boolean;
  type: 'DiffNote' | 'DiscussionNote' | null;
  position?: PositionRecord;
}

export interface DiscussionRecord {
  id: string;
  individualNote: boolean;
  notes: NoteRecord[];
}

export interface MergeRequestRecord {
  id: number;
  iid: number;
  title: string;
  description: string;
  state: string;
  authorId: number;
  sourceBranch: string;
  targetBranch: string;
  createdAt: string;
  removeSourceBranch: boolean;
  versions: VersionRecord[];
  discussions: DiscussionRecord[];
  diffOptions: DiffOptions;
  /**
   * Seeded merge requests keep the base and start they were seeded with; the others, like
   * GitLab's, take them from the repository (merge base and target head) at every push.
   */
  seeded: boolean;
}

export interface IssueRecord {
  id: number;
  iid: number;
  title: string;
  description: string;
  state: string;
  labels: string[];
  authorId: number;
  createdAt: string;
  discussions: DiscussionRecord[];
}

export interface PipelineRecord {
  id: number;
  iid: number;
  ref: string;
  sha: string;
  status: string;
  source: string;
  userId?: number;
  createdAt: string;
}

export interface JobRecord {
  id: number;
  pipelineId: number;
  name: string;
  stage: string;
  status: string;
  trace: string;
  failureReason?: string;
  allowFailure: boolean;
  retried: boolean;
  createdAt: string;
}

export interface ProjectRecord {
  id: number;
  path: string;
  visibility: Visibility;
  defaultBranch: string;
  /** The project's bare git repository: branches and commits live there. */
  repository: BareRepository;
  mergeRequests: Map<number, MergeRequestRecord>;
  issues: Map<number, IssueRecord>;
  pipelines: Map<number, PipelineRecord>;
  jobs: Map<number, JobRecord>;
}
