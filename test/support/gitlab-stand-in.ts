import { createServer, STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpError, paginate, queryParams, readBody, send, type Reply } from './http-wire';
import { GitLabJson } from './gitlab-stand-in-json';
import { gitlabRoutes, matchRoute, type PostedEvent, type Route } from './gitlab-stand-in-routes';
import type {
  Files,
  IssueSeed,
  JobSeed,
  MemberSeed,
  MergeRequestSeed,
  PipelineSeed,
  PositionRecord,
  ProjectSeed,
  UserRecord,
  UserSeed,
} from './gitlab-stand-in-model';
import { GitLabState } from './gitlab-stand-in-state';
import type { DiffLine } from './unified-diff';

export type {
  Files,
  IssueSeed,
  JobSeed,
  MemberSeed,
  MergeRequestSeed,
  PipelineSeed,
  ProjectSeed,
  UserSeed,
} from './gitlab-stand-in-model';

export interface StandInOptions {
  /** Page size when a request gives no `per_page`; GitLab's is 20. */
  defaultPerPage?: number;
  /** Largest `per_page` honoured; GitLab's is 100. Lower it to force pagination with little data. */
  maxPerPage?: number;
}

/** Makes the next matching requests fail, e.g. to prove retries and error messages. */
export interface InjectedFailure {
  method?: string;
  /**
   * A string matches the API path exactly, decoded (`/projects/group/app/merge_requests/7`) or
   * raw (`/projects/group%2Fapp/merge_requests/7`); a RegExp is tested against the decoded path.
   */
  path: string | RegExp;
  status: number;
  /** How many requests fail; 1 unless given. */
  times?: number;
  /** Seconds, sent as `Retry-After`. */
  retryAfter?: number;
  message?: string;
}

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

/** One file of a merge request's latest diff, line by line, for choosing comment positions. */
export interface DiffFileLines {
  oldPath: string;
  newPath: string;
  lines: DiffLine[];
}

/**
 * A GitLab REST v4 server on 127.0.0.1 for tests: real HTTP, real pagination headers, real
 * diffs computed from seeded file contents, and GitLab's own validation of comment positions.
 */
export class GitLabStandIn {
  readonly requests: RecordedRequest[] = [];
  /** Exceptions raised while answering: a mistake in a test's seeding or in the stand-in. */
  readonly errors: Error[] = [];
  private readonly state = new GitLabState();
  private readonly json: GitLabJson;
  private readonly routes: Route[];
  private readonly failures: (InjectedFailure & { remaining: number })[] = [];
  private readonly posted: PostedEvent[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly options: Required<StandInOptions>,
  ) {
    this.json = new GitLabJson(url, this.state);
    this.routes = gitlabRoutes({
      state: this.state,
      json: this.json,
      posted: (event) => this.posted.push(event),
    });
  }

  static async start(options: StandInOptions = {}): Promise<GitLabStandIn> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    const standIn = new GitLabStandIn(server, `http://127.0.0.1:${port}`, {
      defaultPerPage: options.defaultPerPage ?? 20,
      maxPerPage: options.maxPerPage ?? 100,
    });
    server.on('request', (request, response) => {
      void standIn.answer(request).then((reply) => send(response, reply));
    });
    return standIn;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  addUser(seed: UserSeed): { id: number; username: string; token: string } {
    const { id, username, token } = this.state.addUser(seed);
    return { id, username, token };
  }

  addProject(seed: ProjectSeed): { id: number; path: string; webUrl: string } {
    const { id, path } = this.state.addProject(seed);
    return { id, path, webUrl: `${this.url}/${path}` };
  }

  addMember(seed: MemberSeed): void {
    this.state.addMember(seed);
  }

  addBranch(seed: { project: string; name: string; files: Files }): { name: string; sha: string } {
    return this.state.addBranch(seed);
  }

  addMergeRequest(seed: MergeRequestSeed): SeededMergeRequest {
    const mr = this.state.addMergeRequest(seed);
    return this.mergeRequestRefs(seed.project, mr.iid);
  }

  /** A new push to the merge request's source branch, making a new latest diff version. */
  pushToMergeRequest(project: string, iid: number, head: Files): SeededMergeRequest {
    const record = this.state.project(project);
    this.state.pushVersion(record, this.mergeRequest(project, iid), head);
    return this.mergeRequestRefs(project, iid);
  }

  addPipeline(seed: PipelineSeed): { id: number; webUrl: string; jobIds: number[] } {
    const project = this.state.project(seed.project);
    const pipeline = this.state.addPipeline(seed);
    const jobIds = [...project.jobs.values()]
      .filter((j) => j.pipelineId === pipeline.id)
      .map((j) => j.id);
    return {
      id: pipeline.id,
      webUrl: `${this.url}/${seed.project}/-/pipelines/${pipeline.id}`,
      jobIds,
    };
  }

  addJob(seed: JobSeed): { id: number; webUrl: string } {
    const { id } = this.state.addJob(seed);
    return { id, webUrl: `${this.url}/${seed.project}/-/jobs/${id}` };
  }

  addIssue(seed: IssueSeed): { iid: number; webUrl: string } {
    const { iid } = this.state.addIssue(seed);
    return { iid, webUrl: `${this.url}/${seed.project}/-/issues/${iid}` };
  }

  failNext(failure: InjectedFailure): void {
    this.failures.push({ ...failure, remaining: failure.times ?? 1 });
  }

  /** Forgets injected failures that have not fired yet. */
  clearFailures(): void {
    this.failures.length = 0;
  }

  /** The latest version's diff, line by line. */
  diffLines(project: string, iid: number): DiffFileLines[] {
    const latest = this.mergeRequest(project, iid).versions.at(-1);
    return (latest?.diffs ?? []).map((d) => ({
      oldPath: d.oldPath,
      newPath: d.newPath,
      lines: d.hunks.flatMap((h) => h.lines),
    }));
  }

  /** Discussions created through the API, oldest first. */
  discussions(filter: { project?: string; iid?: number } = {}): PostedDiscussion[] {
    return this.postedOf('discussion', filter).map((event) => {
      const note = event.discussion.notes[0];
      return {
        project: event.project,
        iid: event.iid,
        discussionId: event.discussion.id,
        noteId: note.id,
        body: note.body,
        author: this.username(note.authorId),
        position: event.position,
      };
    });
  }

  /** Lone notes (not discussions) created through the API on merge requests and issues, oldest first. */
  notes(
    filter: { project?: string; iid?: number; noteable?: PostedNote['noteable'] } = {},
  ): PostedNote[] {
    return this.postedOf('note', filter)
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
          author: this.username(note.authorId),
        };
      });
  }

  private async answer(request: IncomingMessage): Promise<Reply> {
    const url = new URL(request.url ?? '/', this.url);
    const method = request.method ?? 'GET';
    const entry: RecordedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
    };
    this.requests.push(entry);
    let reply: Reply;
    try {
      reply = await this.route(request, method, url, entry);
    } catch (error) {
      reply = error instanceof HttpError ? error.reply() : this.internalError(error);
    }
    entry.status = reply.status;
    return reply;
  }

  private async route(
    request: IncomingMessage,
    method: string,
    url: URL,
    entry: RecordedRequest,
  ): Promise<Reply> {
    const rawPath = url.pathname.startsWith('/api/v4/')
      ? url.pathname.slice('/api/v4'.length)
      : undefined;
    const failure = rawPath !== undefined && this.takeFailure(method, rawPath);
    if (failure) return failure;
    if (rawPath === undefined) throw new HttpError(404, '404 Not Found', 'error');
    const user = this.authenticate(request);
    entry.username = user.username;
    const match = matchRoute(this.routes, method, rawPath);
    if (!match) throw new HttpError(404, '404 Not Found', 'error');
    const body = method === 'GET' ? {} : await readBody(request);
    const { defaultPerPage, maxPerPage } = this.options;
    const page = (items: unknown[]) =>
      paginate(items, { defaultPerPage, maxPerPage, requestUrl: url });
    return match.route.handle({ params: match.params, query: queryParams(url), body, user, page });
  }

  /** `PRIVATE-TOKEN` or `Authorization: Bearer`, as GitLab accepts personal access tokens. */
  private authenticate(request: IncomingMessage): UserRecord {
    const header = request.headers['private-token'];
    const privateToken = Array.isArray(header) ? header[0] : header;
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const token = privateToken ?? bearer;
    const user = token ? this.state.users.find((u) => u.token === token) : undefined;
    if (!user) throw new HttpError(401, '401 Unauthorized');
    return user;
  }

  private takeFailure(method: string, rawPath: string): Reply | undefined {
    const decoded = rawPath.split('/').map(safeDecode).join('/');
    const failure = this.failures.find(
      (f) =>
        f.remaining > 0 &&
        (!f.method || f.method.toUpperCase() === method) &&
        (typeof f.path === 'string'
          ? f.path === decoded || f.path === rawPath
          : f.path.test(decoded)),
    );
    if (!failure) return undefined;
    failure.remaining -= 1;
    const headers: Record<string, string> =
      failure.retryAfter === undefined ? {} : { 'retry-after': String(failure.retryAfter) };
    const message =
      failure.message ?? `${failure.status} ${STATUS_CODES[failure.status] ?? 'Error'}`;
    // Rack::Attack, which throttles GitLab, answers 429 in plain text.
    if (failure.status === 429) return { status: 429, text: 'Retry later\n', headers };
    return { status: failure.status, json: { message }, headers };
  }

  private internalError(error: unknown): Reply {
    this.errors.push(error instanceof Error ? error : new Error(String(error)));
    return { status: 500, json: { message: '500 Internal Server Error' } };
  }

  private mergeRequest(project: string, iid: number) {
    const mr = this.state.project(project).mergeRequests.get(iid);
    if (!mr) throw new Error(`unknown merge request ${project}!${iid}`);
    return mr;
  }

  private mergeRequestRefs(project: string, iid: number): SeededMergeRequest {
    const latest = this.mergeRequest(project, iid).versions.at(-1);
    if (!latest) throw new Error(`${project}!${iid} has no diff version`);
    const { baseSha, startSha, headSha } = latest;
    return {
      iid,
      webUrl: `${this.url}/${project}/-/merge_requests/${iid}`,
      baseSha,
      startSha,
      headSha,
    };
  }

  private postedOf(kind: PostedEvent['kind'], filter: { project?: string; iid?: number }) {
    return this.posted.filter(
      (e) =>
        e.kind === kind &&
        (filter.project === undefined || e.project === filter.project) &&
        (filter.iid === undefined || e.iid === filter.iid),
    );
  }

  private username(id: number): string {
    return this.state.users.find((u) => u.id === id)?.username ?? '';
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
