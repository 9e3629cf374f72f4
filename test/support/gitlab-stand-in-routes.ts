import { HttpError, type Params } from './http-wire';
import { ProjectAccess, REPORTER } from './gitlab-stand-in-access';
import type { GitLabJson, Noteable } from './gitlab-stand-in-json';
import { resolvePosition } from './gitlab-stand-in-diffs';
import { mergeRequestRoutes } from './gitlab-stand-in-merge-request-routes';
import { repositoryRoutes } from './gitlab-stand-in-repository-routes';
import {
  get,
  ok,
  post,
  type Route,
  type RouteContext,
  type RouteRequest,
} from './gitlab-stand-in-route';
import type {
  DiscussionRecord,
  MergeRequestRecord,
  PositionRecord,
  ProjectRecord,
} from './gitlab-stand-in-model';

/** GitLab's answer to a position that is not a line of the latest diff. */
const INVALID_POSITION =
  '400 Bad request - Note {:line_code=>["can\'t be blank", "must be a valid line code"]}';

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
