import { HttpError } from './http-wire';
import type { MergeRequestRecord, ProjectRecord } from './gitlab-stand-in-model';
import type { RouteRequest } from './gitlab-stand-in-route';
import type { GitLabState } from './gitlab-stand-in-state';

/**
 * GitLab's access levels that gate a private project: guests see it, reporters read code,
 * developers push and open merge requests.
 */
export const GUEST = 10;
export const REPORTER = 20;
export const DEVELOPER = 30;

/** Finds projects and their contents the way GitLab's permission checks would let this user. */
export class ProjectAccess {
  constructor(readonly state: GitLabState) {}

  /**
   * The project, if the user may see it (else 404, as GitLab hides private projects), and may
   * do what the route does (`level`, else 403). On public projects anyone reads; writing always
   * needs the level.
   */
  project(r: RouteRequest, level = GUEST): ProjectRecord {
    const project = this.state.findProject(r.params.id);
    const userLevel = project ? this.state.accessLevel(project, r.user.id) : 0;
    if (!project || (project.visibility === 'private' && userLevel < GUEST)) {
      throw new HttpError(404, '404 Project Not Found');
    }
    const reading = level <= REPORTER;
    if ((project.visibility === 'private' || !reading) && userLevel < level) {
      throw new HttpError(403, '403 Forbidden');
    }
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
