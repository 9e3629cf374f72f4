import type {
  MergeRequestRecord,
  PositionRecord,
  ProjectRecord,
  UserRecord,
} from './gitlab-stand-in-model';
import type { PostedEvent } from './gitlab-stand-in-route';
import type { DiffLine } from './unified-diff';

/* What tests read back from the stand-in: requests, what clients created, repository state. */

export interface RecordedRequest {
  method: string;
  /** Raw path as sent, e.g. `/api/v4/projects/group%2Fapp/merge_requests/7`. */
  path: string;
  query: Record<string, string>;
  status: number;
  /** The authenticated user, when the token was valid. */
  username?: string;
}

export interface PostedDiscussion {
  project: string;
  iid: number;
  discussionId: string;
  noteId: number;
  body: string;
  author: string;
  /** Where GitLab placed the comment, including the diff line it resolved to. */
  position?: PositionRecord;
}

export interface PostedNote {
  noteable: 'merge_request' | 'issue';
  project: string;
  iid: number;
  noteId: number;
  body: string;
  author: string;
}

export interface SeededMergeRequest {
  iid: number;
  webUrl: string;
  baseSha: string;
  startSha: string;
  headSha: string;
}

/** A merge request a client opened through the API, with its latest diff version. */
export interface CreatedMergeRequest extends SeededMergeRequest {
  project: string;
  title: string;
  description: string;
  sourceBranch: string;
  targetBranch: string;
  removeSourceBranch: boolean;
  state: string;
  author: string;
  /** New path of every file the latest version changes, sorted. */
  changedPaths: string[];
}

/** One file of a merge request's latest diff, line by line, for choosing comment positions. */
export interface DiffFileLines {
  oldPath: string;
  newPath: string;
  lines: DiffLine[];
}

export interface PostedFilter {
  project?: string;
  iid?: number;
}

export function postedDiscussions(
  events: PostedEvent[],
  users: UserRecord[],
  filter: PostedFilter,
): PostedDiscussion[] {
  return matching(events, 'discussion', filter).map((event) => {
    const note = event.discussion.notes[0];
    return {
      project: event.project,
      iid: event.iid,
      discussionId: event.discussion.id,
      noteId: note.id,
      body: note.body,
      author: username(users, note.authorId),
      position: event.position,
    };
  });
}

export function postedNotes(
  events: PostedEvent[],
  users: UserRecord[],
  filter: PostedFilter & { noteable?: PostedNote['noteable'] },
): PostedNote[] {
  return matching(events, 'note', filter)
    .filter((event) => !filter.noteable || event.noteable === filter.noteable)
    .map((event) => {
      const note = event.discussion.notes[0];
      const { noteable, project, iid } = event;
      return {
        noteable,
        project,
        iid,
        noteId: note.id,
        body: note.body,
        author: username(users, note.authorId),
      };
    });
}

export function mergeRequestRefs(
  url: string,
  project: ProjectRecord,
  mr: MergeRequestRecord,
): SeededMergeRequest {
  const latest = mr.versions.at(-1);
  if (!latest) throw new Error(`${project.path}!${mr.iid} has no diff version`);
  const { baseSha, startSha, headSha } = latest;
  const webUrl = `${url}/${project.path}/-/merge_requests/${mr.iid}`;
  return { iid: mr.iid, webUrl, baseSha, startSha, headSha };
}

export function createdMergeRequest(
  url: string,
  project: ProjectRecord,
  mr: MergeRequestRecord,
  users: UserRecord[],
): CreatedMergeRequest {
  const { title, description, sourceBranch, targetBranch, removeSourceBranch, state } = mr;
  return {
    ...mergeRequestRefs(url, project, mr),
    project: project.path,
    title,
    description,
    sourceBranch,
    targetBranch,
    removeSourceBranch,
    state,
    author: username(users, mr.authorId),
    changedPaths: (mr.versions.at(-1)?.diffs ?? []).map((d) => d.newPath).sort(),
  };
}

function matching(events: PostedEvent[], kind: PostedEvent['kind'], filter: PostedFilter) {
  return events.filter(
    (e) =>
      e.kind === kind &&
      (filter.project === undefined || e.project === filter.project) &&
      (filter.iid === undefined || e.iid === filter.iid),
  );
}

function username(users: UserRecord[], id: number): string {
  return users.find((u) => u.id === id)?.username ?? '';
}
