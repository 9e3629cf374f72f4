import { createHash } from 'node:crypto';
import type {
  CommitRecord,
  FileDiffRecord,
  IssueRecord,
  JobRecord,
  MergeRequestRecord,
  NoteRecord,
  PipelineRecord,
  ProjectRecord,
  UserRecord,
  VersionRecord,
  DiscussionRecord,
} from './gitlab-stand-in-model';
import type { GitLabState } from './gitlab-stand-in-state';

/** Which thing a note belongs to, for the note's `noteable_*` fields. */
export interface Noteable {
  project: ProjectRecord;
  type: 'MergeRequest' | 'Issue';
  id: number;
  iid: number;
}

/** Records in the shapes GitLab's REST v4 documentation gives (snake_case, web URLs, nested users). */
export class GitLabJson {
  constructor(
    private readonly url: string,
    private readonly state: GitLabState,
  ) {}

  user(id: number | undefined): Record<string, unknown> | null {
    const user = this.state.users.find((u) => u.id === id);
    if (!user) return null;
    return {
      id: user.id,
      username: user.username,
      name: user.name,
      state: 'active',
      locked: false,
      avatar_url: `${this.url}/uploads/-/system/user/avatar/${user.id}/avatar.png`,
      web_url: `${this.url}/${user.username}`,
    };
  }

  currentUser(user: UserRecord): Record<string, unknown> {
    return { ...this.user(user.id), created_at: '2024-01-01T00:00:00.000Z', bot: false };
  }

  member(user: UserRecord, level: number): Record<string, unknown> {
    return {
      ...this.user(user.id),
      access_level: level,
      created_at: '2024-01-01T00:00:00.000Z',
      expires_at: null,
    };
  }

  project(project: ProjectRecord): Record<string, unknown> {
    const segments = project.path.split('/');
    const namespace = segments.slice(0, -1).join('/');
    return {
      id: project.id,
      name: segments[segments.length - 1],
      path: segments[segments.length - 1],
      path_with_namespace: project.path,
      name_with_namespace: segments.join(' / '),
      default_branch: project.defaultBranch,
      visibility: project.visibility,
      web_url: `${this.url}/${project.path}`,
      http_url_to_repo: `${this.url}/${project.path}.git`,
      ssh_url_to_repo: `git@${new URL(this.url).hostname}:${project.path}.git`,
      namespace: {
        name: namespace,
        path: namespace.split('/').pop(),
        full_path: namespace,
        kind: 'group',
      },
    };
  }

  mergeRequest(project: ProjectRecord, mr: MergeRequestRecord): Record<string, unknown> {
    const latest = mr.versions[mr.versions.length - 1];
    return {
      id: mr.id,
      iid: mr.iid,
      project_id: project.id,
      title: mr.title,
      description: mr.description,
      state: mr.state,
      created_at: mr.createdAt,
      updated_at: latest.createdAt,
      web_url: `${this.url}/${project.path}/-/merge_requests/${mr.iid}`,
      source_branch: mr.sourceBranch,
      target_branch: mr.targetBranch,
      source_project_id: project.id,
      target_project_id: project.id,
      author: this.user(mr.authorId),
      assignees: [],
      reviewers: [],
      labels: [],
      draft: false,
      work_in_progress: false,
      merge_status: 'can_be_merged',
      detailed_merge_status: mr.state === 'opened' ? 'mergeable' : 'not_open',
      force_remove_source_branch: mr.removeSourceBranch,
      sha: latest.headSha,
      merge_commit_sha: null,
      squash_commit_sha: null,
      user_notes_count: mr.discussions.reduce((n, d) => n + d.notes.length, 0),
      changes_count: String(latest.diffs.length),
      diff_refs: { base_sha: latest.baseSha, head_sha: latest.headSha, start_sha: latest.startSha },
      references: this.references(project, `!${mr.iid}`),
    };
  }

  version(mr: MergeRequestRecord, version: VersionRecord): Record<string, unknown> {
    return {
      id: version.id,
      head_commit_sha: version.headSha,
      base_commit_sha: version.baseSha,
      start_commit_sha: version.startSha,
      created_at: version.createdAt,
      merge_request_id: mr.id,
      state: 'collected',
      real_size: String(version.diffs.length),
      patch_id_sha: createHash('sha1').update(`patch\0${version.headSha}`).digest('hex'),
    };
  }

  diff(diff: FileDiffRecord): Record<string, unknown> {
    return {
      old_path: diff.oldPath,
      new_path: diff.newPath,
      a_mode: diff.aMode,
      b_mode: diff.bMode,
      diff: diff.diff,
      new_file: diff.newFile,
      renamed_file: diff.renamedFile,
      deleted_file: diff.deletedFile,
      generated_file: diff.generated,
      collapsed: diff.collapsed,
      too_large: diff.tooLarge,
    };
  }

  discussion(noteable: Noteable, discussion: DiscussionRecord): Record<string, unknown> {
    return {
      id: discussion.id,
      individual_note: discussion.individualNote,
      notes: discussion.notes.map((note) => this.note(noteable, note)),
    };
  }

  note(noteable: Noteable, note: NoteRecord): Record<string, unknown> {
    const position = note.position && {
      base_sha: note.position.baseSha,
      start_sha: note.position.startSha,
      head_sha: note.position.headSha,
      old_path: note.position.oldPath,
      new_path: note.position.newPath,
      position_type: 'text',
      old_line: note.position.oldLine ?? null,
      new_line: note.position.newLine ?? null,
      line_range: null,
    };
    return {
      id: note.id,
      type: note.type,
      body: note.body,
      attachment: null,
      author: this.user(note.authorId),
      created_at: note.createdAt,
      updated_at: note.createdAt,
      system: note.system,
      noteable_id: noteable.id,
      noteable_type: noteable.type,
      noteable_iid: noteable.iid,
      project_id: noteable.project.id,
      commit_id: null,
      ...(position && { position }),
      resolvable: note.type === 'DiffNote',
      ...(note.type === 'DiffNote' && { resolved: false, resolved_by: null, resolved_at: null }),
      confidential: false,
      internal: false,
    };
  }

  issue(project: ProjectRecord, issue: IssueRecord): Record<string, unknown> {
    return {
      id: issue.id,
      iid: issue.iid,
      project_id: project.id,
      title: issue.title,
      description: issue.description,
      state: issue.state,
      created_at: issue.createdAt,
      updated_at: issue.createdAt,
      closed_at: null,
      labels: issue.labels,
      author: this.user(issue.authorId),
      assignees: [],
      type: 'ISSUE',
      issue_type: 'issue',
      confidential: false,
      user_notes_count: issue.discussions.reduce((n, d) => n + d.notes.length, 0),
      web_url: `${this.url}/${project.path}/-/issues/${issue.iid}`,
      references: this.references(project, `#${issue.iid}`),
    };
  }

  pipeline(project: ProjectRecord, pipeline: PipelineRecord): Record<string, unknown> {
    return {
      id: pipeline.id,
      iid: pipeline.iid,
      project_id: project.id,
      sha: pipeline.sha,
      ref: pipeline.ref,
      status: pipeline.status,
      source: pipeline.source,
      created_at: pipeline.createdAt,
      updated_at: pipeline.createdAt,
      web_url: `${this.url}/${project.path}/-/pipelines/${pipeline.id}`,
      before_sha: '0'.repeat(40),
      tag: false,
      user: this.user(pipeline.userId),
      detailed_status: {
        icon: `status_${pipeline.status}`,
        text: pipeline.status,
        group: pipeline.status,
      },
    };
  }

  job(project: ProjectRecord, job: JobRecord): Record<string, unknown> {
    const pipeline = project.pipelines.get(job.pipelineId);
    return {
      id: job.id,
      name: job.name,
      stage: job.stage,
      status: job.status,
      ref: pipeline?.ref,
      tag: false,
      allow_failure: job.allowFailure,
      created_at: job.createdAt,
      failure_reason: job.failureReason,
      web_url: `${this.url}/${project.path}/-/jobs/${job.id}`,
      pipeline: pipeline && {
        id: pipeline.id,
        project_id: project.id,
        ref: pipeline.ref,
        sha: pipeline.sha,
        status: pipeline.status,
      },
      user: this.user(pipeline?.userId),
      artifacts: [],
      runner: null,
    };
  }

  branch(project: ProjectRecord, name: string, commit: CommitRecord): Record<string, unknown> {
    return {
      name,
      merged: false,
      protected: name === project.defaultBranch,
      default: name === project.defaultBranch,
      developers_can_push: false,
      developers_can_merge: false,
      can_push: true,
      web_url: `${this.url}/${project.path}/-/tree/${name}`,
      commit: this.commit(project, commit),
    };
  }

  commit(project: ProjectRecord, commit: CommitRecord): Record<string, unknown> {
    return {
      id: commit.sha,
      short_id: commit.sha.slice(0, 8),
      created_at: commit.committedDate,
      parent_ids: commit.parentIds,
      title: commit.title,
      message: commit.message,
      author_name: commit.authorName,
      author_email: commit.authorEmail,
      authored_date: commit.authoredDate,
      committer_name: commit.committerName,
      committer_email: commit.committerEmail,
      committed_date: commit.committedDate,
      trailers: {},
      extended_trailers: {},
      web_url: `${this.url}/${project.path}/-/commit/${commit.sha}`,
    };
  }

  /** `GET …/repository/compare`: commits of `to` not in `from`, and the diff from their merge base. */
  compare(
    project: ProjectRecord,
    compare: { from: string; to: string; commits: CommitRecord[]; diffs: FileDiffRecord[] },
  ): Record<string, unknown> {
    const last = compare.commits.at(-1);
    return {
      commit: last ? this.commit(project, last) : null,
      commits: compare.commits.map((c) => this.commit(project, c)),
      diffs: compare.diffs.map((d) => this.diff(d)),
      compare_timeout: false,
      compare_same_ref: compare.from === compare.to,
      web_url: `${this.url}/${project.path}/-/compare/${compare.from}...${compare.to}`,
    };
  }

  private references(project: ProjectRecord, short: string): Record<string, string> {
    return { short, relative: short, full: `${project.path}${short}` };
  }
}
