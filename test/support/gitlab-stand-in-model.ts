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
  /** Content of the default branch. */
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
  ref?: string;
  sha?: string;
  status: string;
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

export interface CommitRecord {
  sha: string;
  title: string;
  files: Map<string, string>;
  parentIds: string[];
  createdAt: string;
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
  versions: VersionRecord[];
  discussions: DiscussionRecord[];
  seed: MergeRequestSeed;
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
  commits: Map<string, CommitRecord>;
  branches: Map<string, string>;
  mergeRequests: Map<number, MergeRequestRecord>;
  issues: Map<number, IssueRecord>;
  pipelines: Map<number, PipelineRecord>;
  jobs: Map<number, JobRecord>;
}
