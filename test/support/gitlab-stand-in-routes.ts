import { createHash } from 'node:crypto';
import { HttpError, type Params, type Reply } from './http-wire';
import type { GitLabJson, Noteable } from './gitlab-stand-in-json';
import { resolvePosition } from './gitlab-stand-in-diffs';
import type {
  DiscussionRecord,
  MergeRequestRecord,
  PositionRecord,
  ProjectRecord,
  UserRecord,
} from './gitlab-stand-in-model';
import type { GitLabState } from './gitlab-stand-in-state';

export interface RouteRequest {
  /** Path parameters, URL-decoded (`:id` may be `group/app`). */
  params: Record<string, string>;
  query: Params;
  body: Params;
  user: UserRecord;
  /** Answers with one page of the list, as the request's page and per_page ask. */
  page: (items: unknown[]) => Reply;
}

/** Something a client created, kept for assertions. */
export interface PostedEvent {
  kind: 'discussion' | 'note';
  noteable: 'merge_request' | 'issue';
  project: string;
  iid: number;
  discussion: DiscussionRecord;
  position?: PositionRecord;
}

export interface RouteContext {
  state: GitLabState;
  json: GitLabJson;
  posted: (event: PostedEvent) => void;
}

export interface Route {
  method: 'GET' | 'POST';
  pattern: string;
  handle: (request: RouteRequest) => Reply;
}

/** GitLab's answer to a position that is not a line of the latest diff. */
const INVALID_POSITION =
  '400 Bad request - Note {:line_code=>["can\'t be blank", "must be a valid line code"]}';

const ok = (json: unknown, status = 200): Reply => ({ status, json });

export function matchRoute(
  routes: Route[],
  method: string,
  rawPath: string,
): { route: Route; params: Record<string, string> } | undefined {
  const segments = rawPath.split('/');
  for (const route of routes) {
    const pattern = route.pattern.split('/');
    if (route.method !== method || pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = pattern.every((part, i) => {
      if (part.startsWith(':')) return (params[part.slice(1)] = decode(segments[i])) !== '';
      return part === segments[i];
    });
    if (matches) return { route, params };
  }
  return undefined;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return '';
  }
}

/** GitLab's access levels that gate reading a private project: guests see it, reporters read code. */
const GUEST = 10;
const REPORTER = 20;

const get = (pattern: string, handle: Route['handle']): Route => ({
  method: 'GET',
  pattern,
  handle,
});
const post = (pattern: string, handle: Route['handle']): Route => ({
  method: 'POST',
  pattern,
  handle,
});

export function gitlabRoutes(ctx: RouteContext): Route[] {
  const access = new ProjectAccess(ctx.state);
  return [
    get('/user', (r) => ok(ctx.json.currentUser(r.user))),
    get('/projects/:id', (r) => ok(ctx.json.project(access.project(r)))),
    get('/projects/:id/members/all/:user_id', (r) => member(r, access, ctx.json, 'all')),
    get('/projects/:id/members/:user_id', (r) => member(r, access, ctx.json, 'direct')),
    ...mergeRequestRoutes(ctx, access),
    ...discussionRoutes(ctx, access),
    ...repositoryRoutes(ctx, access),
    ...pipelineRoutes(ctx, access),
    ...issueRoutes(ctx, access),
  ];
}

function mergeRequestRoutes({ json }: RouteContext, access: ProjectAccess): Route[] {
  return [
    get('/projects/:id/merge_requests/:iid', (r) => {
      const { project, mr } = access.mergeRequest(r);
      return ok(json.mergeRequest(project, mr));
    }),
    get('/projects/:id/merge_requests/:iid/versions', (r) => {
      const { mr } = access.mergeRequest(r);
      return r.page([...mr.versions].reverse().map((v) => json.version(mr, v)));
    }),
    get('/projects/:id/merge_requests/:iid/versions/:version_id', (r) => {
      const { mr } = access.mergeRequest(r);
      const version = mr.versions.find((v) => String(v.id) === r.params.version_id);
      if (!version) throw new HttpError(404, '404 Not found');
      return ok({ ...json.version(mr, version), diffs: version.diffs.map((d) => json.diff(d)) });
    }),
    get('/projects/:id/merge_requests/:iid/diffs', (r) => {
      const { mr } = access.mergeRequest(r);
      return r.page(mr.versions[mr.versions.length - 1].diffs.map((d) => json.diff(d)));
    }),
  ];
}

function discussionRoutes(ctx: RouteContext, access: ProjectAccess): Route[] {
  const { state, json } = ctx;
  return [
    get('/projects/:id/merge_requests/:iid/discussions', (r) => {
      const { project, mr } = access.mergeRequest(r);
      return r.page(mr.discussions.map((d) => json.discussion(mrNoteable(project, mr), d)));
    }),
    post('/projects/:id/merge_requests/:iid/discussions', (r) => {
      const { project, mr } = access.mergeRequest(r);
      const text = body(r);
      const position = diffPosition(mr, r.body);
      const discussion = state.addNote(mr, r.user.id, text, { kind: 'discussion', position });
      const { path } = project;
      ctx.posted({
        kind: 'discussion',
        noteable: 'merge_request',
        project: path,
        iid: mr.iid,
        discussion,
        position,
      });
      return ok(json.discussion(mrNoteable(project, mr), discussion), 201);
    }),
    get('/projects/:id/merge_requests/:iid/notes', (r) => {
      const { project, mr } = access.mergeRequest(r);
      const notes = sortedNotes(mr.discussions, r.query);
      return r.page(notes.map((n) => json.note(mrNoteable(project, mr), n)));
    }),
    post('/projects/:id/merge_requests/:iid/notes', (r) => {
      const { project, mr } = access.mergeRequest(r);
      const discussion = state.addNote(mr, r.user.id, body(r));
      ctx.posted({
        kind: 'note',
        noteable: 'merge_request',
        project: project.path,
        iid: mr.iid,
        discussion,
      });
      return ok(json.note(mrNoteable(project, mr), discussion.notes[0]), 201);
    }),
  ];
}

function repositoryRoutes({ state, json }: RouteContext, access: ProjectAccess): Route[] {
  return [
    get('/projects/:id/repository/files/:file_path/raw', (r) => {
      const { content } = file(r, access);
      return { status: 200, text: content, headers: { 'x-gitlab-file-path': r.params.file_path } };
    }),
    get('/projects/:id/repository/files/:file_path', (r) => ok(fileJson(r, access))),
    get('/projects/:id/repository/branches/:branch', (r) => {
      const project = access.project(r, REPORTER);
      const { branch } = r.params;
      const commit = project.branches.has(branch) && state.resolveRef(project, branch);
      if (!commit) throw new HttpError(404, '404 Branch Not Found');
      return ok(json.branch(project, branch, commit));
    }),
  ];
}

function pipelineRoutes({ json }: RouteContext, access: ProjectAccess): Route[] {
  return [
    get('/projects/:id/pipelines', (r) => {
      const project = access.project(r, REPORTER);
      const wanted = (key: string, value: string) => !r.query[key] || r.query[key] === value;
      const matches = [...project.pipelines.values()]
        .filter((p) => wanted('ref', p.ref) && wanted('status', p.status) && wanted('sha', p.sha))
        .sort((a, b) => b.id - a.id);
      return r.page(matches.map((p) => json.pipeline(project, p)));
    }),
    get('/projects/:id/pipelines/:pipeline_id', (r) => {
      const project = access.project(r, REPORTER);
      return ok(json.pipeline(project, access.pipeline(project, r)));
    }),
    get('/projects/:id/pipelines/:pipeline_id/jobs', (r) => {
      const project = access.project(r, REPORTER);
      const pipeline = access.pipeline(project, r);
      const scopes = [r.query.scope ?? []].flat().map(String);
      const jobs = [...project.jobs.values()]
        .filter((j) => j.pipelineId === pipeline.id)
        .filter((j) => r.query.include_retried === 'true' || !j.retried)
        .filter((j) => scopes.length === 0 || scopes.includes(j.status));
      return r.page(jobs.map((j) => json.job(project, j)));
    }),
    get('/projects/:id/jobs/:job_id', (r) => {
      const project = access.project(r, REPORTER);
      return ok(json.job(project, access.job(project, r)));
    }),
    get('/projects/:id/jobs/:job_id/trace', (r) => {
      const project = access.project(r, REPORTER);
      return { status: 200, text: access.job(project, r).trace };
    }),
  ];
}

function issueRoutes(ctx: RouteContext, access: ProjectAccess): Route[] {
  const { state, json } = ctx;
  return [
    get('/projects/:id/issues/:iid', (r) => {
      const { project, issue } = access.issue(r);
      return ok(json.issue(project, issue));
    }),
    get('/projects/:id/issues/:iid/notes', (r) => {
      const { project, issue } = access.issue(r);
      const noteable: Noteable = { project, type: 'Issue', id: issue.id, iid: issue.iid };
      return r.page(sortedNotes(issue.discussions, r.query).map((n) => json.note(noteable, n)));
    }),
    post('/projects/:id/issues/:iid/notes', (r) => {
      const { project, issue } = access.issue(r);
      const discussion = state.addNote(issue, r.user.id, body(r));
      ctx.posted({
        kind: 'note',
        noteable: 'issue',
        project: project.path,
        iid: issue.iid,
        discussion,
      });
      const noteable: Noteable = { project, type: 'Issue', id: issue.id, iid: issue.iid };
      return ok(json.note(noteable, discussion.notes[0]), 201);
    }),
  ];
}

/** Finds projects and their contents the way GitLab's permission checks would let this user. */
class ProjectAccess {
  constructor(readonly state: GitLabState) {}

  /**
   * The project, if the user may see it (else 404, as GitLab hides private projects), and may
   * read what the route serves on a private project (`level`, else 403).
   */
  project(r: RouteRequest, level = GUEST): ProjectRecord {
    const project = this.state.findProject(r.params.id);
    const userLevel = project ? this.state.accessLevel(project, r.user.id) : 0;
    if (!project || (project.visibility === 'private' && userLevel < GUEST)) {
      throw new HttpError(404, '404 Project Not Found');
    }
    if (project.visibility === 'private' && userLevel < level)
      throw new HttpError(403, '403 Forbidden');
    return project;
  }

  mergeRequest(r: RouteRequest): { project: ProjectRecord; mr: MergeRequestRecord } {
    const project = this.project(r, REPORTER);
    const mr = project.mergeRequests.get(Number(r.params.iid));
    if (!mr) throw new HttpError(404, '404 Not found');
    return { project, mr };
  }

  issue(r: RouteRequest) {
    const project = this.project(r, GUEST);
    const issue = project.issues.get(Number(r.params.iid));
    if (!issue) throw new HttpError(404, '404 Not found');
    return { project, issue };
  }

  pipeline(project: ProjectRecord, r: RouteRequest) {
    const pipeline = project.pipelines.get(Number(r.params.pipeline_id));
    if (!pipeline) throw new HttpError(404, '404 Not found');
    return pipeline;
  }

  job(project: ProjectRecord, r: RouteRequest) {
    const job = project.jobs.get(Number(r.params.job_id));
    if (!job) throw new HttpError(404, '404 Not found');
    return job;
  }
}

function member(r: RouteRequest, access: ProjectAccess, json: GitLabJson, scope: 'all' | 'direct') {
  const project = access.project(r);
  const { state } = access;
  const user = state.users.find((u) => String(u.id) === r.params.user_id);
  const level = !user
    ? 0
    : scope === 'all'
      ? state.accessLevel(project, user.id)
      : state.directAccessLevel(project, user.id);
  if (!user || level === 0) throw new HttpError(404, '404 Not found');
  return ok(json.member(user, level));
}

function mrNoteable(project: ProjectRecord, mr: MergeRequestRecord): Noteable {
  return { project, type: 'MergeRequest', id: mr.id, iid: mr.iid };
}

function body(r: RouteRequest): string {
  const text = r.body.body;
  if (typeof text !== 'string' || text.trim() === '')
    throw new HttpError(400, 'body is missing', 'error');
  return text;
}

function diffPosition(mr: MergeRequestRecord, params: Params): PositionRecord | undefined {
  const position = params.position;
  if (position === undefined) return undefined;
  const resolved =
    typeof position === 'object' && !Array.isArray(position) && resolvePosition(mr, position);
  if (!resolved) throw new HttpError(400, INVALID_POSITION);
  return resolved;
}

/** GitLab lists notes newest first unless asked otherwise. */
function sortedNotes(discussions: DiscussionRecord[], query: Params) {
  const notes = discussions.flatMap((d) => d.notes).sort((a, b) => a.id - b.id);
  return query.sort === 'asc' ? notes : notes.reverse();
}

function file(r: RouteRequest, access: ProjectAccess) {
  const project = access.project(r, REPORTER);
  const { state } = access;
  const ref = typeof r.query.ref === 'string' && r.query.ref ? r.query.ref : project.defaultBranch;
  const commit = state.resolveRef(project, ref);
  if (!commit) throw new HttpError(404, '404 Commit Not Found');
  const content = commit.files.get(r.params.file_path);
  if (content === undefined) throw new HttpError(404, '404 File Not Found');
  return { project, ref, commit, content };
}

function fileJson(r: RouteRequest, access: ProjectAccess) {
  const { ref, commit, content } = file(r, access);
  const path = r.params.file_path;
  return {
    file_name: path.split('/').pop(),
    file_path: path,
    size: Buffer.byteLength(content),
    encoding: 'base64',
    content_sha256: createHash('sha256').update(content).digest('hex'),
    ref,
    blob_id: createHash('sha1')
      .update(`blob ${Buffer.byteLength(content)}\0${content}`)
      .digest('hex'),
    commit_id: commit.sha,
    last_commit_id: commit.sha,
    content: Buffer.from(content).toString('base64'),
  };
}
