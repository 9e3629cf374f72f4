import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MergeRequestStore } from './gitlab-stand-in-merge-requests';
import { BareRepository, isolatedGitEnv } from './gitlab-stand-in-repository';
import type {
  BranchSeed,
  DiscussionRecord,
  IssueRecord,
  IssueSeed,
  JobRecord,
  JobSeed,
  MemberSeed,
  NoteRecord,
  PipelineRecord,
  PipelineSeed,
  PositionRecord,
  ProjectRecord,
  ProjectSeed,
  UserRecord,
  UserSeed,
} from './gitlab-stand-in-model';

/** Everything the stand-in GitLab knows. Seeding methods throw plain Errors on test mistakes. */
export class GitLabState {
  readonly users: UserRecord[] = [];
  readonly projects: ProjectRecord[] = [];
  private readonly memberships: MemberSeed[] = [];
  private readonly ids = new Map<string, number>();
  /** Where the bare repositories live: `<root>/<project path>.git`, as GIT_PROJECT_ROOT wants. */
  readonly repositoryRoot: string;
  /** The environment every git process of the stand-in runs with. */
  readonly gitEnv: NodeJS.ProcessEnv;
  readonly mergeRequests = new MergeRequestStore(this);
  private readonly tempDir: string;
  private clock = Date.parse('2024-05-01T10:00:00Z');

  constructor() {
    this.tempDir = mkdtempSync(join(tmpdir(), 'tandem-gitlab-'));
    this.repositoryRoot = join(this.tempDir, 'repositories');
    this.gitEnv = isolatedGitEnv(join(this.tempDir, 'home'));
  }

  /** Removes the repositories. */
  dispose(): void {
    rmSync(this.tempDir, { recursive: true, force: true });
  }

  /** A rising timestamp, one minute per event, so answers (and commit shas) are deterministic. */
  now(): string {
    this.clock += 60_000;
    return new Date(this.clock).toISOString();
  }

  /** `now()` in seconds since the epoch, for commits. */
  tick(): number {
    return Date.parse(this.now()) / 1000;
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
    const defaultBranch = seed.defaultBranch ?? 'main';
    const dir = join(this.repositoryRoot, `${seed.path}.git`);
    mkdirSync(dir, { recursive: true });
    const project: ProjectRecord = {
      id: this.nextId('project'),
      path: seed.path,
      visibility: seed.visibility ?? 'private',
      defaultBranch,
      repository: BareRepository.create(dir, defaultBranch, this.gitEnv),
      mergeRequests: new Map(),
      issues: new Map(),
      pipelines: new Map(),
      jobs: new Map(),
    };
    this.projects.push(project);
    project.repository.write([
      {
        ref: `refs/heads/${defaultBranch}`,
        files: seed.files ?? {},
        message: 'Initial commit',
        parents: [],
        time: this.tick(),
      },
    ]);
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

  addBranch(seed: BranchSeed): { name: string; sha: string } {
    const { repository, defaultBranch } = this.project(seed.project);
    const parent = repository.branchHead(defaultBranch);
    const [sha] = repository.write([
      {
        ref: `refs/heads/${seed.name}`,
        files: seed.files,
        message: `Update ${seed.name}`,
        parents: parent ? [parent] : [],
        time: this.tick(),
      },
    ]);
    return { name: seed.name, sha };
  }

  addPipeline(seed: PipelineSeed): PipelineRecord {
    const project = this.project(seed.project);
    const { repository } = project;
    const sha = repository.resolve(seed.sha ?? seed.ref ?? project.defaultBranch);
    if (!sha) {
      throw new Error(
        `${seed.project} has no commit ${seed.sha ?? seed.ref}: seed it first (addBranch, addMergeRequest) or push it`,
      );
    }
    // A pipeline for a commit runs for a branch that has it at its head, as after a push.
    const headOf = [...repository.branches()].find(([, head]) => head === sha)?.[0];
    const ref = seed.ref ?? headOf ?? project.defaultBranch;
    const pipeline: PipelineRecord = {
      id: seed.id ?? this.nextId('pipeline', 9000),
      iid: this.nextId(`pipeline:${project.id}`),
      ref,
      sha,
      status: seed.status ?? pipelineStatus(seed.jobs ?? []),
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

/** The status GitLab gives a pipeline whose jobs all finished. */
function pipelineStatus(jobs: NonNullable<PipelineSeed['jobs']>): string {
  const latest = jobs.filter((j) => !j.retried);
  const failed = latest.some((j) => j.status === 'failed' && !j.allowFailure);
  return failed ? 'failed' : 'success';
}
