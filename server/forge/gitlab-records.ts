import type {
  BranchSchema,
  IssueSchema,
  JobSchema,
  MergeRequestDiffSchema,
  MergeRequestSchema,
  NoteSchema,
  PipelineSchema,
  ProjectSchema,
} from '@gitbeaker/rest';
import type { BranchInfo, DiffPosition, FileDiff, MergeRequestInfo, ProjectInfo } from './forge';

export type { BranchInfo } from './forge';

/* What GitLabForge returns beyond the Forge interface, and the mapping from GitLab's schemas. */

export interface PipelineInfo {
  id: number;
  status: string;
  ref: string;
  sha: string;
  source: string;
  webUrl: string;
}

export interface JobInfo {
  id: number;
  name: string;
  stage: string;
  status: string;
  allowFailure: boolean;
  failureReason?: string;
  webUrl: string;
}

export interface IssueInfo {
  iid: number;
  title: string;
  description: string;
  state: string;
  labels: string[];
  author: string;
  webUrl: string;
}

export interface IssueNote {
  id: number;
  body: string;
  author: string;
  /** GitLab's own notes ("changed the description"), as opposed to people's comments. */
  system: boolean;
  createdAt: string;
}

export function toMergeRequestInfo(mr: MergeRequestSchema): MergeRequestInfo {
  return {
    iid: mr.iid,
    title: mr.title,
    description: mr.description ?? '',
    webUrl: mr.web_url,
    sourceBranch: mr.source_branch,
    targetBranch: mr.target_branch,
    state: mr.state,
    author: mr.author?.username ?? '',
  };
}

export function toFileDiff(diff: MergeRequestDiffSchema): FileDiff {
  const collapsed =
    diff.collapsed === true || diff.too_large === true || diff.generated_file === true;
  return {
    oldPath: diff.old_path,
    newPath: diff.new_path,
    diff: collapsed ? '' : diff.diff,
    newFile: diff.new_file,
    deletedFile: diff.deleted_file,
    renamedFile: diff.renamed_file,
    collapsed,
  };
}

export function toGitLabPosition(position: DiffPosition) {
  const { baseSha, startSha, headSha, oldPath, newPath, newLine, oldLine } = position;
  return {
    positionType: 'text' as const,
    baseSha,
    startSha,
    headSha,
    oldPath,
    newPath,
    // Absent, not null: gitbeaker form-encodes the position, and null would arrive as "".
    ...(newLine !== undefined && { newLine: String(newLine) }),
    ...(oldLine !== undefined && { oldLine: String(oldLine) }),
  };
}

export function toPipelineInfo(pipeline: PipelineSchema): PipelineInfo {
  const { id, status, ref, sha, source, web_url } = pipeline;
  return { id, status, ref, sha, source, webUrl: web_url };
}

export function toJobInfo(job: JobSchema): JobInfo {
  return {
    id: job.id,
    name: job.name,
    stage: job.stage,
    status: job.status,
    allowFailure: job.allow_failure,
    failureReason: job.failure_reason ?? undefined,
    webUrl: job.web_url,
  };
}

export function toIssueInfo(issue: IssueSchema): IssueInfo {
  return {
    iid: issue.iid,
    title: issue.title,
    description: issue.description ?? '',
    state: issue.state,
    labels: issue.labels.map((l) => (typeof l === 'string' ? l : l.name)),
    author: issue.author?.username ?? '',
    webUrl: issue.web_url,
  };
}

export function toIssueNote(note: NoteSchema): IssueNote {
  return {
    id: note.id,
    body: note.body,
    author: note.author?.username ?? '',
    system: note.system,
    createdAt: note.created_at,
  };
}

export function toBranchInfo(branch: BranchSchema): BranchInfo {
  return {
    name: branch.name,
    commitSha: branch.commit.id,
    protected: branch.protected,
    default: branch.default,
    webUrl: branch.web_url,
  };
}

export function toProjectInfo(project: ProjectSchema): ProjectInfo {
  return {
    defaultBranch: project.default_branch,
    httpUrlToRepo: project.http_url_to_repo,
    webUrl: project.web_url,
  };
}
