import { fileDiffs } from './gitlab-stand-in-diffs';
import type {
  Files,
  MergeRequestRecord,
  MergeRequestSeed,
  ProjectRecord,
  VersionRecord,
} from './gitlab-stand-in-model';
import type { RefUpdate } from './gitlab-stand-in-repository';
import type { GitLabState } from './gitlab-stand-in-state';

/** The fields a client chooses when it opens a merge request. */
export type NewMergeRequest = Pick<
  MergeRequestRecord,
  'title' | 'description' | 'authorId' | 'sourceBranch' | 'targetBranch' | 'removeSourceBranch'
>;

/**
 * Merge requests, seeded or opened through the API, and their diff versions. Every version is
 * computed from commits of the project's repository.
 */
export class MergeRequestStore {
  constructor(private readonly state: GitLabState) {}

  /**
   * The target branch gets a merge-base commit with `base` and an empty commit on top (so base
   * and start differ, as when the target moved on); the source branch forks at the merge base.
   */
  seed(seed: MergeRequestSeed): MergeRequestRecord {
    const { state } = this;
    const project = state.project(seed.project);
    const iid = seed.iid ?? state.nextId(`mr:${project.id}`);
    if (project.mergeRequests.has(iid)) throw new Error(`${seed.project}!${iid} already exists`);
    const sourceBranch = seed.sourceBranch ?? `feature-${iid}`;
    const targetBranch = seed.targetBranch ?? project.defaultBranch;
    const { repository } = project;
    const parent =
      repository.branchHead(targetBranch) ?? repository.branchHead(project.defaultBranch);
    const target = `refs/heads/${targetBranch}`;
    const [baseSha, startSha, headSha] = repository.write([
      {
        ref: target,
        files: seed.base,
        message: 'Merge base',
        parents: parent ? [parent] : [],
        time: state.tick(),
      },
      {
        ref: target,
        files: seed.base,
        message: 'Target branch head',
        parents: [0],
        time: state.tick(),
      },
      {
        ref: `refs/heads/${sourceBranch}`,
        files: seed.head,
        message: seed.title,
        parents: [0],
        time: state.tick(),
      },
    ]);
    const { renames, collapsed, tooLarge, generated } = seed;
    const mr = this.record(project, {
      iid,
      title: seed.title,
      description: seed.description ?? '',
      state: seed.state ?? 'opened',
      authorId: state.user(seed.author).id,
      sourceBranch,
      targetBranch,
      removeSourceBranch: false,
      diffOptions: { renames, collapsed, tooLarge, generated },
      seeded: true,
    });
    this.addVersion(project, mr, headSha, { baseSha, startSha });
    return mr;
  }

  /** What `POST /projects/:id/merge_requests` creates once the request is valid. */
  create(project: ProjectRecord, fields: NewMergeRequest): MergeRequestRecord {
    const head = project.repository.branchHead(fields.sourceBranch);
    if (!head) throw new Error(`${project.path} has no branch ${fields.sourceBranch}`);
    const iid = Math.max(0, ...project.mergeRequests.keys()) + 1;
    const mr = this.record(project, {
      ...fields,
      iid,
      state: 'opened',
      diffOptions: {},
      seeded: false,
    });
    this.addVersion(project, mr, head);
    return mr;
  }

  /** A new commit with `head` on the source branch, and the new diff version it makes. */
  pushFiles(project: ProjectRecord, mr: MergeRequestRecord, head: Files): VersionRecord {
    const parent = mr.versions.at(-1)?.headSha;
    const [headSha] = project.repository.write([
      {
        ref: `refs/heads/${mr.sourceBranch}`,
        files: head,
        message: mr.title,
        parents: parent ? [parent] : [],
        time: this.state.tick(),
      },
    ]);
    return this.addVersion(project, mr, headSha);
  }

  /** After a push: every open merge request whose source branch moved gets a new version. */
  pushed(project: ProjectRecord, updates: RefUpdate[]): void {
    for (const { ref, after } of updates) {
      if (after === null || !ref.startsWith('refs/heads/')) continue;
      const branch = ref.slice('refs/heads/'.length);
      for (const mr of project.mergeRequests.values()) {
        if (mr.state === 'opened' && mr.sourceBranch === branch) {
          this.addVersion(project, mr, after);
        }
      }
    }
  }

  /**
   * A diff version at `headSha`. Seeded merge requests keep their seeded base and start; the
   * others compare with the target branch's head from its merge base, as GitLab does.
   */
  private addVersion(
    project: ProjectRecord,
    mr: MergeRequestRecord,
    headSha: string,
    seeded: { baseSha: string; startSha: string } = mr.versions[0],
  ): VersionRecord {
    const { repository } = project;
    let { baseSha, startSha } = seeded ?? { baseSha: headSha, startSha: headSha };
    if (!mr.seeded) {
      startSha = repository.branchHead(mr.targetBranch) ?? headSha;
      baseSha = repository.mergeBase(startSha, headSha) ?? startSha;
    }
    // Seeds say which files are renamed; elsewhere git's rename detection does, like GitLab's.
    const renames = mr.seeded
      ? mr.diffOptions.renames
      : { ...repository.renames(baseSha, headSha), ...mr.diffOptions.renames };
    const version: VersionRecord = {
      id: this.state.nextId('version', 500),
      baseSha,
      startSha,
      headSha,
      createdAt: this.state.now(),
      diffs: fileDiffs(repository.files(baseSha), repository.files(headSha), {
        ...mr.diffOptions,
        renames,
      }),
    };
    mr.versions.push(version);
    // GitLab keeps every merge request's head reachable under this ref.
    repository.updateRefs({ [`refs/merge-requests/${mr.iid}/head`]: headSha });
    return version;
  }

  private record(
    project: ProjectRecord,
    fields: Omit<MergeRequestRecord, 'id' | 'createdAt' | 'versions' | 'discussions'>,
  ): MergeRequestRecord {
    const mr: MergeRequestRecord = {
      ...fields,
      id: this.state.nextId('mr', 1000),
      createdAt: this.state.now(),
      versions: [],
      discussions: [],
    };
    project.mergeRequests.set(mr.iid, mr);
    return mr;
  }
}
