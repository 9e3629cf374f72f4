import { createHash } from 'node:crypto';
import { HttpError } from './http-wire';
import { ProjectAccess, REPORTER } from './gitlab-stand-in-access';
import { treeDiffs } from './gitlab-stand-in-diffs';
import type { ProjectRecord } from './gitlab-stand-in-model';
import {
  get,
  ok,
  text,
  type Route,
  type RouteContext,
  type RouteRequest,
} from './gitlab-stand-in-route';

/** `/projects/:id/repository/…`: files, branches, commits and compare, read from the repository. */
export function repositoryRoutes({ json }: RouteContext, access: ProjectAccess): Route[] {
  const code = (r: RouteRequest) => access.project(r, REPORTER);
  return [
    get('/projects/:id/repository/files/:file_path/raw', (r) => {
      const { content } = file(code(r), r);
      return { status: 200, text: content, headers: { 'x-gitlab-file-path': r.params.file_path } };
    }),
    get('/projects/:id/repository/files/:file_path', (r) => ok(fileJson(code(r), r))),
    get('/projects/:id/repository/branches', (r) => {
      const project = code(r);
      const search = text(r.query, 'search')?.toLowerCase() ?? '';
      const branches = [...project.repository.branches()]
        .filter(([name]) => name.toLowerCase().includes(search))
        .sort(([a], [b]) => a.localeCompare(b));
      return r.page(
        branches.map(([name, sha]) => json.branch(project, name, project.repository.commit(sha))),
      );
    }),
    get('/projects/:id/repository/branches/:branch', (r) => {
      const project = code(r);
      const sha = project.repository.branchHead(r.params.branch);
      if (!sha) throw new HttpError(404, '404 Branch Not Found');
      return ok(json.branch(project, r.params.branch, project.repository.commit(sha)));
    }),
    get('/projects/:id/repository/commits/:sha', (r) => {
      const project = code(r);
      return ok(json.commit(project, commit(project, r.params.sha)));
    }),
    get('/projects/:id/repository/commits/:sha/diff', (r) => {
      const project = code(r);
      const { sha, parentIds } = commit(project, r.params.sha);
      return r.page(treeDiffs(project.repository, parentIds[0], sha).map((d) => json.diff(d)));
    }),
    get('/projects/:id/repository/compare', (r) => {
      const project = code(r);
      const [from, to] = [text(r.query, 'from') ?? '', text(r.query, 'to') ?? ''];
      const [fromSha, toSha] = [commit(project, from).sha, commit(project, to).sha];
      const { repository } = project;
      // GitLab compares from the merge base unless asked for a straight diff.
      const straight = text(r.query, 'straight') === 'true';
      const base = straight ? fromSha : (repository.mergeBase(fromSha, toSha) ?? fromSha);
      const commits = repository.commitsBetween(fromSha, toSha).map((c) => repository.commit(c));
      const diffs = treeDiffs(repository, base, toSha);
      return ok(json.compare(project, { from, to, commits, diffs }));
    }),
  ];
}

function commit(project: ProjectRecord, ref: string) {
  const sha = project.repository.resolve(ref);
  if (!sha) throw new HttpError(404, '404 Commit Not Found');
  return project.repository.commit(sha);
}

function file(project: ProjectRecord, r: RouteRequest) {
  const ref = text(r.query, 'ref') || project.defaultBranch;
  const sha = project.repository.resolve(ref);
  if (!sha) throw new HttpError(404, '404 Commit Not Found');
  const content = project.repository.files(sha).get(r.params.file_path);
  if (content === undefined) throw new HttpError(404, '404 File Not Found');
  return { ref, sha, content };
}

function fileJson(project: ProjectRecord, r: RouteRequest) {
  const { ref, sha, content } = file(project, r);
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
    commit_id: sha,
    last_commit_id: sha,
    content: Buffer.from(content).toString('base64'),
  };
}
