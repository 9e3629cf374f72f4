import { HttpError, type Reply } from './http-wire';
import { DEVELOPER, ProjectAccess, REPORTER } from './gitlab-stand-in-access';
import type { MergeRequestRecord, ProjectRecord } from './gitlab-stand-in-model';
import {
  get,
  ok,
  post,
  requireParams,
  text,
  type Route,
  type RouteContext,
  type RouteRequest,
} from './gitlab-stand-in-route';

/** `/projects/:id/merge_requests…`: list, open, and read merge requests and their versions. */
export function mergeRequestRoutes(ctx: RouteContext, access: ProjectAccess): Route[] {
  const { json } = ctx;
  return [
    get('/projects/:id/merge_requests', (r) => {
      const project = access.project(r, REPORTER);
      const matches = [...project.mergeRequests.values()]
        .filter((mr) => listed(mr, r))
        .sort((a, b) => (r.query.sort === 'asc' ? a.id - b.id : b.id - a.id));
      return r.page(matches.map((mr) => json.mergeRequest(project, mr)));
    }),
    post('/projects/:id/merge_requests', (r) => open(ctx, access, r)),
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

/** The list filters GitLab's `GET /projects/:id/merge_requests` takes that flows use. */
function listed(mr: MergeRequestRecord, r: RouteRequest): boolean {
  const state = text(r.query, 'state');
  const wanted = (key: string, value: string) => {
    const filter = text(r.query, key);
    return filter === undefined || filter === value;
  };
  return (
    (state === undefined || state === 'all' || state === mr.state) &&
    wanted('source_branch', mr.sourceBranch) &&
    wanted('target_branch', mr.targetBranch)
  );
}

/** `POST /projects/:id/merge_requests`, validated in GitLab's order with GitLab's answers. */
function open({ state, json }: RouteContext, access: ProjectAccess, r: RouteRequest): Reply {
  requireParams(r.body, ['title', 'source_branch', 'target_branch']);
  const project = access.project(r, DEVELOPER);
  const [sourceBranch, targetBranch] = [
    text(r.body, 'source_branch') ?? '',
    text(r.body, 'target_branch') ?? '',
  ];
  if (sourceBranch === targetBranch) {
    return {
      status: 422,
      json: { message: ["You can't use same project/branch for source and target"] },
    };
  }
  refuseMissingBranches(project, { source_branch: sourceBranch, target_branch: targetBranch });
  const conflict = [...project.mergeRequests.values()].find(
    (mr) =>
      mr.state === 'opened' && mr.sourceBranch === sourceBranch && mr.targetBranch === targetBranch,
  );
  if (conflict) {
    const message = `Another open merge request already exists for this source branch: !${conflict.iid}`;
    return { status: 409, json: { message: [message] } };
  }
  const mr = state.mergeRequests.create(project, {
    title: text(r.body, 'title') ?? '',
    description: text(r.body, 'description') ?? '',
    authorId: r.user.id,
    sourceBranch,
    targetBranch,
    removeSourceBranch: text(r.body, 'remove_source_branch') === 'true',
  });
  return ok(json.mergeRequest(project, mr), 201);
}

/**
 * GitLab validates that both branches exist and answers with the model's errors:
 * `400 {"message": {"source_branch": ["does not exist"]}}`.
 */
function refuseMissingBranches(project: ProjectRecord, branches: Record<string, string>): void {
  const errors: Record<string, string[]> = {};
  for (const [field, branch] of Object.entries(branches)) {
    if (!project.repository.branchHead(branch)) errors[field] = ['does not exist'];
  }
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
}

/** Rails validation errors: GitLab renders `errors.messages` under `message`, status 400. */
class ValidationError extends HttpError {
  constructor(private readonly messages: Record<string, string[]>) {
    super(400, JSON.stringify(messages));
  }

  override reply(): Reply {
    return { status: this.status, json: { message: this.messages } };
  }
}
