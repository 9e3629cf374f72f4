import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpError, paginate, queryParams, readBody, send, type Reply } from './http-wire';
import { InjectedFailures, type InjectedFailure } from './gitlab-stand-in-failures';
import { GitHttpService, type PushRecord } from './gitlab-stand-in-git-http';
import { GitLabJson } from './gitlab-stand-in-json';
import type {
  Files,
  IssueSeed,
  JobSeed,
  MemberSeed,
  MergeRequestSeed,
  PipelineSeed,
  ProjectSeed,
  UserRecord,
  UserSeed,
} from './gitlab-stand-in-model';
import {
  createdMergeRequest,
  mergeRequestRefs,
  postedDiscussions,
  postedNotes,
  type CreatedMergeRequest,
  type DiffFileLines,
  type PostedDiscussion,
  type PostedFilter,
  type PostedNote,
  type RecordedRequest,
  type SeededMergeRequest,
} from './gitlab-stand-in-readback';
import { matchRoute, type PostedEvent, type Route } from './gitlab-stand-in-route';
import { gitlabRoutes } from './gitlab-stand-in-routes';
import { GitLabState } from './gitlab-stand-in-state';

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
export type { InjectedFailure } from './gitlab-stand-in-failures';
export type { PushRecord } from './gitlab-stand-in-git-http';
export type { RefUpdate } from './gitlab-stand-in-repository';
export type {
  CreatedMergeRequest,
  DiffFileLines,
  PostedDiscussion,
  PostedNote,
  RecordedRequest,
  SeededMergeRequest,
} from './gitlab-stand-in-readback';

export interface StandInOptions {
  /** Page size when a request gives no `per_page`; GitLab's is 20. */
  defaultPerPage?: number;
  /** Largest `per_page` honoured; GitLab's is 100. Lower it to force pagination with little data. */
  maxPerPage?: number;
}

/**
 * A GitLab on 127.0.0.1 for tests: REST v4 with real pagination headers and GitLab's own
 * validation of comment positions, and git over smart HTTP. Every project has a real bare
 * repository; branches, commits and diffs come from it, and pushes show up in the API.
 */
export class GitLabStandIn {
  readonly requests: RecordedRequest[] = [];
  /**
   * Runs after an API request took effect and before its answer is sent (fault tests kill the
   * server here: the merge request exists, the server never learnt it).
   */
  beforeReply?: (request: RecordedRequest) => Promise<void> | void;
  /** Exceptions raised while answering: a mistake in a test's seeding or in the stand-in. */
  readonly errors: Error[] = [];
  private readonly state = new GitLabState();
  private readonly json: GitLabJson;
  private readonly routes: Route[];
  private readonly failures = new InjectedFailures();
  private readonly posted: PostedEvent[] = [];
  private readonly git: GitHttpService;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly options: Required<StandInOptions>,
  ) {
    this.json = new GitLabJson(url, this.state);
    this.git = new GitHttpService(this.state, this.errors);
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
      void standIn.answer(request, response);
    });
    return standIn;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.state.dispose();
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

  /** A branch off the default branch whose one commit has exactly `files`. */
  addBranch(seed: { project: string; name: string; files: Files }): { name: string; sha: string } {
    return this.state.addBranch(seed);
  }

  addMergeRequest(seed: MergeRequestSeed): SeededMergeRequest {
    const mr = this.state.mergeRequests.seed(seed);
    return mergeRequestRefs(this.url, this.state.project(seed.project), mr);
  }

  /** A new push to the merge request's source branch, making a new latest diff version. */
  pushToMergeRequest(project: string, iid: number, head: Files): SeededMergeRequest {
    const record = this.state.project(project);
    const mr = this.mergeRequest(project, iid);
    this.state.mergeRequests.pushFiles(record, mr, head);
    return mergeRequestRefs(this.url, record, mr);
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
    this.failures.add(failure);
  }

  /** Forgets injected failures that have not fired yet. */
  clearFailures(): void {
    this.failures.clear();
  }

  /** What `git clone` takes: `http://127.0.0.1:<port>/<project>.git`. */
  gitUrl(project: string): string {
    return `${this.url}/${this.state.project(project).path}.git`;
  }

  /** Pushes the stand-in accepted over git HTTP, oldest first. */
  get pushes(): readonly PushRecord[] {
    return this.git.pushes;
  }

  /** The branch's head commit in the project's repository, or undefined when there is none. */
  branchHead(project: string, branch: string): string | undefined {
    return this.state.project(project).repository.branchHead(branch);
  }

  /** The project's branches, by name. */
  branches(project: string): string[] {
    return [...this.state.project(project).repository.branches().keys()].sort();
  }

  /** What the commit changed against its first parent, as `git show` prints the patch. */
  commitDiff(project: string, sha: string): string {
    return this.state.project(project).repository.patch(sha);
  }

  /** A file's content at a revision (branch, sha), or undefined when it has no such file. */
  fileAt(project: string, revision: string, path: string): string | undefined {
    const { repository } = this.state.project(project);
    const sha = repository.resolve(revision);
    return sha === undefined ? undefined : repository.files(sha).get(path);
  }

  /** Merge requests opened through the API (not seeded), oldest first. */
  createdMergeRequests(filter: { project?: string } = {}): CreatedMergeRequest[] {
    const projects = this.state.projects.filter(
      (p) => filter.project === undefined || p.path === filter.project,
    );
    return projects
      .flatMap((project) => [...project.mergeRequests.values()].map((mr) => ({ project, mr })))
      .filter(({ mr }) => !mr.seeded)
      .sort((a, b) => a.mr.id - b.mr.id)
      .map(({ project, mr }) => createdMergeRequest(this.url, project, mr, this.state.users));
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
  discussions(filter: PostedFilter = {}): PostedDiscussion[] {
    return postedDiscussions(this.posted, this.state.users, filter);
  }

  /** Lone notes (not discussions) created through the API on merge requests and issues, oldest first. */
  notes(filter: PostedFilter & { noteable?: PostedNote['noteable'] } = {}): PostedNote[] {
    return postedNotes(this.posted, this.state.users, filter);
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const method = request.method ?? 'GET';
    const entry: RecordedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
    };
    this.requests.push(entry);
    if (GitHttpService.matches(url.pathname)) {
      try {
        Object.assign(entry, await this.git.serve(request, response, url));
      } catch (error) {
        entry.status = this.internalError(error).status;
        if (!response.headersSent) response.writeHead(entry.status);
        response.end();
      }
      return;
    }
    const reply = await this.answerApi(request, method, url, entry);
    // What the request did has happened; the caller has not heard so yet.
    await this.beforeReply?.(entry);
    send(response, reply);
  }

  private async answerApi(
    request: IncomingMessage,
    method: string,
    url: URL,
    entry: RecordedRequest,
  ): Promise<Reply> {
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
    const failure = rawPath !== undefined && this.failures.take(method, rawPath);
    if (failure) {
      await failure.after?.catch(() => undefined);
      return failure.reply;
    }
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

  private internalError(error: unknown): Reply {
    this.errors.push(error instanceof Error ? error : new Error(String(error)));
    return { status: 500, json: { message: '500 Internal Server Error' } };
  }

  private mergeRequest(project: string, iid: number) {
    const mr = this.state.project(project).mergeRequests.get(iid);
    if (!mr) throw new Error(`unknown merge request ${project}!${iid}`);
    return mr;
  }
}
