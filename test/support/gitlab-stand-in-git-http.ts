import { spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEVELOPER, GUEST, REPORTER } from './gitlab-stand-in-access';
import type { ProjectRecord, UserRecord } from './gitlab-stand-in-model';
import type { RefUpdate } from './gitlab-stand-in-repository';
import type { GitLabState } from './gitlab-stand-in-state';

/** One `git push` the stand-in accepted: who pushed, and how the refs moved. */
export interface PushRecord {
  project: string;
  username: string;
  updates: RefUpdate[];
}

type GitService = 'git-upload-pack' | 'git-receive-pack';

/** What the stand-in answered, for its request log. */
export interface GitHttpOutcome {
  status: number;
  username?: string;
}

/** `/<project path>.git/info/refs`, `…/git-upload-pack`, `…/git-receive-pack`. */
const GIT_PATH = /^\/(.+?)\.git\/(info\/refs|git-upload-pack|git-receive-pack)$/;

/** GitLab's own words, which git prints as `remote: …`. */
const DENIED = {
  unauthorized:
    'HTTP Basic: Access denied. If a token was provided, it was either incorrect, expired, or improperly scoped.',
  notFound:
    "The project you were looking for could not be found or you don't have permission to view it.",
  download: 'You are not allowed to download code from this project.',
  push: 'You are not allowed to push code to this project.',
};

/**
 * Git's smart HTTP protocol, as GitLab serves it: authentication and permission checks here,
 * the protocol itself by `git http-backend` (CGI) on the project's bare repository.
 */
export class GitHttpService {
  readonly pushes: PushRecord[] = [];

  constructor(
    private readonly state: GitLabState,
    private readonly errors: Error[],
  ) {}

  static matches(pathname: string): boolean {
    return GIT_PATH.test(pathname);
  }

  async serve(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
  ): Promise<GitHttpOutcome> {
    const [, path, endpoint] = GIT_PATH.exec(url.pathname) ?? [];
    const service = endpoint === 'info/refs' ? url.searchParams.get('service') : endpoint;
    if (service !== 'git-upload-pack' && service !== 'git-receive-pack') {
      // GitLab serves only the smart protocol.
      return deny(response, 403, 'Git over dumb HTTP is not supported.');
    }
    const access = this.authorize(request, path, service);
    if ('denied' in access) return deny(response, access.status, access.denied, access.challenge);
    const status = await this.runBackend(request, response, url, { ...access, service, endpoint });
    return { status, username: access.user?.username };
  }

  private authorize(
    request: IncomingMessage,
    path: string,
    service: GitService,
  ):
    | { project: ProjectRecord; user?: UserRecord }
    | { status: number; denied: string; challenge?: boolean } {
    const token = presentedToken(request);
    const user = token === undefined ? undefined : this.state.users.find((u) => u.token === token);
    const unauthorized = { status: 401, denied: DENIED.unauthorized, challenge: true };
    if (token !== undefined && !user) return unauthorized;
    const project = this.state.findProject(path);
    const push = service === 'git-receive-pack';
    // Anonymous clients may clone public projects; anything else first asks who they are.
    if (!user && (!project || project.visibility !== 'public' || push)) return unauthorized;
    if (!project) return { status: 404, denied: DENIED.notFound };
    const level = user ? this.state.accessLevel(project, user.id) : 0;
    if (project.visibility === 'private' && level < GUEST) {
      return { status: 404, denied: DENIED.notFound };
    }
    if (push && level < DEVELOPER) return { status: 403, denied: DENIED.push };
    if (project.visibility === 'private' && level < REPORTER) {
      return { status: 403, denied: DENIED.download };
    }
    return { project, user };
  }

  /** Runs `git http-backend`, streaming the request in and its CGI response out. */
  private runBackend(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    call: { project: ProjectRecord; user?: UserRecord; service: GitService; endpoint: string },
  ): Promise<number> {
    const { project, user, service } = call;
    const push = service === 'git-receive-pack' && request.method === 'POST';
    const before = push ? project.repository.refs() : undefined;
    const child = spawn('git', ['http-backend'], {
      env: this.cgiEnv(request, url, call),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // A client that hangs up must not take the stand-in down with an unhandled EPIPE.
    child.stdin.on('error', () => undefined);
    request.pipe(child.stdin);
    const stderr: Buffer[] = [];
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const cgi = new CgiResponse(response);
    child.stdout.on('data', (chunk: Buffer) => cgi.write(chunk));
    return new Promise((resolve) => {
      child.on('error', (error) => this.errors.push(error));
      child.on('close', (code) => {
        if (!cgi.started) {
          const detail = Buffer.concat(stderr).toString('utf8').trim();
          this.errors.push(new Error(`git http-backend exited with ${code}: ${detail}`));
          resolve(deny(response, 500, 'git http-backend failed').status);
          return;
        }
        if (before) this.recordPush(project, user, before);
        // Only now: whoever waits for the push to finish sees its effects already recorded.
        response.end();
        resolve(cgi.status);
      });
    });
  }

  private cgiEnv(
    request: IncomingMessage,
    url: URL,
    call: { project: ProjectRecord; user?: UserRecord; endpoint: string },
  ): NodeJS.ProcessEnv {
    const header = (name: string) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const optional = (name: string, value: string | undefined) =>
      value === undefined ? {} : { [name]: value };
    return {
      ...this.state.gitEnv,
      GIT_PROJECT_ROOT: this.state.repositoryRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      // The canonical path: GitLab's paths are case-insensitive, the file system's may not be.
      PATH_INFO: `/${call.project.path}.git/${call.endpoint}`,
      REQUEST_METHOD: request.method ?? 'GET',
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: header('content-type') ?? '',
      REMOTE_ADDR: '127.0.0.1',
      // http-backend enables receive-pack only for an authenticated REMOTE_USER.
      ...optional('REMOTE_USER', call.user?.username),
      ...optional('CONTENT_LENGTH', header('content-length')),
      // git gzips large fetch negotiations; http-backend inflates them when told.
      ...optional('HTTP_CONTENT_ENCODING', header('content-encoding')),
      ...optional('HTTP_GIT_PROTOCOL', header('git-protocol')),
    };
  }

  private recordPush(
    project: ProjectRecord,
    user: UserRecord | undefined,
    before: Map<string, string>,
  ): void {
    const after = project.repository.refs();
    const updates: RefUpdate[] = [...new Set([...before.keys(), ...after.keys()])]
      .filter((ref) => ref.startsWith('refs/heads/') || ref.startsWith('refs/tags/'))
      .filter((ref) => before.get(ref) !== after.get(ref))
      .sort()
      .map((ref) => ({ ref, before: before.get(ref) ?? null, after: after.get(ref) ?? null }));
    if (updates.length === 0) return;
    this.pushes.push({ project: project.path, username: user?.username ?? '', updates });
    this.state.mergeRequests.pushed(project, updates);
  }
}

/** The token a git client presented: HTTP Basic password (any username), PRIVATE-TOKEN, or Bearer. */
function presentedToken(request: IncomingMessage): string | undefined {
  const privateToken = request.headers['private-token'];
  if (privateToken) return Array.isArray(privateToken) ? privateToken[0] : privateToken;
  const authorization = request.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
  if (bearer) return bearer;
  const basic = /^Basic\s+(\S+)$/i.exec(authorization)?.[1];
  if (basic === undefined) return authorization ? '' : undefined;
  const decoded = Buffer.from(basic, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? '' : decoded.slice(colon + 1);
}

function deny(
  response: ServerResponse,
  status: number,
  message: string,
  challenge = false,
): GitHttpOutcome {
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  if (challenge) headers['www-authenticate'] = 'Basic realm="GitLab"';
  response.writeHead(status, headers);
  response.end(`${message}\n`);
  return { status };
}

/** Turns CGI output (`Status:` and other header lines, a blank line, the body) into HTTP. */
class CgiResponse {
  status = 200;
  started = false;
  private pending = Buffer.alloc(0);

  constructor(private readonly response: ServerResponse) {}

  write(chunk: Buffer): void {
    if (this.started) {
      this.response.write(chunk);
      return;
    }
    this.pending = Buffer.concat([this.pending, chunk]);
    const text = this.pending.toString('latin1');
    const match = /\r?\n\r?\n/.exec(text);
    if (!match) return;
    const headers: Record<string, string> = {};
    for (const line of text.slice(0, match.index).split(/\r?\n/)) {
      const colon = line.indexOf(':');
      const [name, value] = [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
      if (name.toLowerCase() === 'status') this.status = Number.parseInt(value, 10);
      else if (name) headers[name] = value;
    }
    this.started = true;
    this.response.writeHead(this.status, headers);
    this.response.write(this.pending.subarray(match.index + match[0].length));
  }
}
