import { createHash } from 'node:crypto';
import { fileDiffs } from './gitlab-stand-in-diffs';
import type {
  BranchSeed,
  CommitRecord,
  DiscussionRecord,
  Files,
  IssueRecord,
  IssueSeed,
  JobRecord,
  JobSeed,
  MemberSeed,
  MergeRequestRecord,
  MergeRequestSeed,
  NoteRecord,
  PipelineRecord,
  PipelineSeed,
  PositionRecord,
  ProjectRecord,
  ProjectSeed,
  UserRecord,
  UserSeed,
  VersionRecord,
} from './gitlab-stand-in-model';

/** Everything the stand-in GitLab knows. Seeding methods throw plain Errors on test mistakes. */
export class GitLabState {
  readonly users: UserRecord[] = [];
  readonly projects: ProjectRecord[] = [];
  private readonly memberships: MemberSeed[] = [];
  private readonly ids = new Map<string, number>();
  private clock = Date.parse('2024-05-01T10:00:00Z');

  /** A rising timestamp, one minute per event, so answers are deterministic. */
  now(): string {
    this.clock += 60_000;
    return new Date(this.clock).toISOString();
  }

  nextId(sequence: string, start = 1): number {
    const id = this.ids.get(sequence) ?? start;
    this.ids.set(sequence, id + 1);
    return id;
  }

  addUser(seed: UserSeed): UserRecord {
    if (this.users.some((u) => u.username === seed.username)) {
      throw new Error(`user ${seed.username} already exists`);
    }
    const { username } = seed;
    const user = {
      id: this.nextId('user'),
      username,
      name: seed.name ?? username,
      token: seed.token ?? `${username}-token`,
    };
    this.users.push(user);
    return user;
  }

  user(username: string): UserRecord {
    const user = this.users.find((u) => u.username === username);
    if (!user) throw new Error(`unknown user ${username}: add it with addUser first`);
    return user;
  }

  addProject(seed: ProjectSeed): ProjectRecord {
    if (this.findProject(seed.path)) throw new Error(`project ${seed.path} already exists`);
    const project: ProjectRecord = {
      id: this.nextId('project'),
      path: seed.path,
      visibility: seed.visibility ?? 'private',
      defaultBranch: seed.defaultBranch ?? 'main',
      commits: new Map(),
      branches: new Map(),
      mergeRequests: new Map(),
      issues: new Map(),
      pipelines: new Map(),
      jobs: new Map(),
    };
    this.projects.push(project);
    const sha = this.commit(project, seed.files ?? {}, [], 'Initial commit');
    project.branches.set(project.defaultBranch, sha);
    return project;
  }

  project(path: string): ProjectRecord {
    const project = this.findProject(path);
    if (!project) throw new Error(`unknown project ${path}: add it with addProject first`);
    return project;
  }

  /** By numeric id or full path; paths match case-insensitively, as GitLab's routes do. */
  findProject(idOrPath: string): ProjectRecord | undefined {
    if (/^\d+$/.test(idOrPath)) return this.projects.find((p) => p.id === Number(idOrPath));
    return this.projects.find((p) => p.path.toLowerCase() === idOrPath.toLowerCase());
  }

  addMember(seed: MemberSeed): void {
    this.user(seed.username);
    this.memberships.push(seed);
  }

  /** Highest access level from the project's own members and every ancestor group's. */
  accessLevel(project: ProjectRecord, userId: number): number {
    const username = this.users.find((u) => u.id === userId)?.username;
    const path = project.path.toLowerCase();
    const levels = this.memberships
      .filter((m) => m.username === username)
      .filter((m) => path === m.path.toLowerCase() || path.startsWith(`${m.path.toLowerCase()}/`))
      .map((m) => m.level);
    return Math.max(0, ...levels);
  }

  directAccessLevel(project: ProjectRecord, userId: number): number {
    const username = this.users.find((u) => u.id === userId)?.username;
    const direct = this.memberships.filter(
      (m) => m.username === username && m.path.toLowerCase() === project.path.toLowerCase(),
    );
    return Math.max(0, ...direct.map((m) => m.level));
  }

  commit(project: ProjectRecord, files: Files, parentIds: string[], title: string): string {
    const n = this.nextId('commit');
    const sha = createHash('sha1').update(`${project.path}\0${n}\0${title}`).digest('hex');
    const createdAt = this.now();
    project.commits.set(sha, {
      sha,
      title,
      files: new Map(Object.entries(files)),
      parentIds,
      createdAt,
    });
    return sha;
  }

  /** A commit by sha, or the head of a branch. */
  resolveRef(project: ProjectRecord, ref: string): CommitRecord | undefined {
    return project.commits.get(project.branches.get(ref) ?? ref);
  }

  addBranch(seed: BranchSeed): { name: string; sha: string } {
    const project = this.project(seed.project);
    const parent = project.branches.get(project.defaultBranch);
    const sha = this.commit(project, seed.files, parent ? [parent] : [], `Update ${seed.name}`);
    project.branches.set(seed.name, sha);
    return { name: seed.name, sha };
  }

  addMergeRequest(seed: MergeRequestSeed): MergeRequestRecord {
    const project = this.project(seed.project);
    const iid = seed.iid ?? this.nextId(`mr:${project.id}`);
    if (project.mergeRequests.has(iid)) throw new Error(`${seed.project}!${iid} already exists`);
    const baseSha = this.commit(project, seed.base, [], 'Merge base');
    const startSha = this.commit(project, seed.base, [baseSha], 'Target branch head');
    const sourceBranch = seed.sourceBranch ?? `feature-${iid}`;
    const targetBranch = seed.targetBranch ?? project.defaultBranch;
    const mr: MergeRequestRecord = {
      id: this.nextId('mr', 1000),
      iid,
      title: seed.title,
      description: seed.description ?? '',
      state: seed.state ?? 'opened',
      authorId: this.user(seed.author).id,
      sourceBranch,
      targetBranch,
      createdAt: this.now(),
      versions: [],
      discussions: [],
      seed,
    };
    project.mergeRequests.set(iid, mr);
    project.branches.set(targetBranch, startSha);
    this.pushVersion(project, mr, seed.head, baseSha, startSha);
    return mr;
  }

  /** A new push to the source branch: a new head commit and a new diff version. */
  pushVersion(
    project: ProjectRecord,
    mr: MergeRequestRecord,
    head: Files,
    baseSha = mr.versions[0].baseSha,
    startSha = mr.versions[0].startSha,
  ): VersionRecord {
    const parent = mr.versions[mr.versions.length - 1]?.headSha ?? startSha;
    const headSha = this.commit(project, head, [parent], mr.title);
    const base = project.commits.get(baseSha)?.files ?? new Map<string, string>();
    const version: VersionRecord = {
      id: this.nextId('version', 500),
      baseSha,
      startSha,
      headSha,
      createdAt: this.now(),
      diffs: fileDiffs(base, new Map(Object.entries(head)), mr.seed),
    };
    mr.versions.push(version);
    project.branches.set(mr.sourceBranch, headSha);
    return version;
  }

  addPipeline(seed: PipelineSeed): PipelineRecord {
    const project = this.project(seed.project);
    const ref = seed.ref ?? project.defaultBranch;
    const pipeline: PipelineRecord = {
      id: seed.id ?? this.nextId('pipeline', 9000),
      iid: this.nextId(`pipeline:${project.id}`),
      ref,
      sha: seed.sha ?? project.branches.get(ref) ?? '0'.repeat(40),
      status: seed.status,
      source: seed.source ?? 'push',
      userId: seed.user ? this.user(seed.user).id : undefined,
      createdAt: this.now(),
    };
    project.pipelines.set(pipeline.id, pipeline);
    for (const job of seed.jobs ?? [])
      this.addJob({ ...job, project: seed.project, pipeline: pipeline.id });
    return pipeline;
  }

  addJob(seed: JobSeed): JobRecord {
    const project = this.project(seed.project);
    if (!project.pipelines.has(seed.pipeline)) throw new Error(`unknown pipeline ${seed.pipeline}`);
    const job: JobRecord = {
      id: this.nextId('job', 70000),
      pipelineId: seed.pipeline,
      name: seed.name,
      stage: seed.stage ?? 'test',
      status: seed.status,
      trace: seed.trace ?? '',
      failureReason:
        seed.failureReason ?? (seed.status === 'failed' ? 'script_failure' : undefined),
      allowFailure: seed.allowFailure ?? false,
      retried: seed.retried ?? false,
      createdAt: this.now(),
    };
    project.jobs.set(job.id, job);
    return job;
  }

  addIssue(seed: IssueSeed): IssueRecord {
    const project = this.project(seed.project);
    const iid = seed.iid ?? this.nextId(`issue:${project.id}`);
    if (project.issues.has(iid)) throw new Error(`${seed.project}#${iid} already exists`);
    const issue: IssueRecord = {
      id: this.nextId('issue', 3000),
      iid,
      title: seed.title,
      description: seed.description ?? '',
      state: seed.state ?? 'opened',
      labels: seed.labels ?? [],
      authorId: this.user(seed.author).id,
      createdAt: this.now(),
      discussions: [],
    };
    project.issues.set(iid, issue);
    for (const note of seed.notes ?? []) {
      this.addNote(issue, this.user(note.author).id, note.body, { system: note.system });
    }
    return issue;
  }

  /** `note`: a lone comment (POST …/notes); `discussion`: the first note of a thread (POST …/discussions). */
  addNote(
    noteable: { discussions: DiscussionRecord[] },
    authorId: number,
    body: string,
    options: { kind?: 'note' | 'discussion'; system?: boolean; position?: PositionRecord } = {},
  ): DiscussionRecord {
    const kind = options.kind ?? 'note';
    const note: NoteRecord = {
      id: this.nextId('note', 5000),
      body,
      authorId,
      createdAt: this.now(),
      system: options.system ?? false,
      type: options.position ? 'DiffNote' : kind === 'discussion' ? 'DiscussionNote' : null,
      position: options.position,
    };
    const id = createHash('sha1').update(`discussion\0${note.id}`).digest('hex');
    const discussion = { id, individualNote: kind === 'note', notes: [note] };
    noteable.discussions.push(discussion);
    return discussion;
  }
}
