import { GitbeakerRequestError, GitbeakerRetryError, GitbeakerTimeoutError } from '@gitbeaker/rest';
import { ForgeError } from './forge';

/**
 * Turns whatever a GitLab call threw into a ForgeError saying what went wrong and what the person
 * can do about it. `action` completes "while …", e.g. "reading merge request group/app!7".
 */
export function toForgeError(error: unknown, action: string, gitlabUrl: string): ForgeError {
  if (error instanceof ForgeError) return error;
  if (error instanceof GitbeakerRequestError) {
    const status = error.cause?.response?.status ?? 0;
    return fromStatus(status, error.cause?.description ?? error.message, action);
  }
  if (error instanceof GitbeakerRetryError) return fromRetriesExhausted(error, action);
  if (error instanceof GitbeakerTimeoutError) {
    return new ForgeError(
      `GitLab at ${gitlabUrl} did not answer in time while ${action}: check your network connection, then try again.`,
    );
  }
  const network = networkProblem(error);
  if (network) {
    return new ForgeError(
      `Cannot reach GitLab at ${gitlabUrl}: ${network}. Check tandem.gitlab.url and your network connection.`,
    );
  }
  return new ForgeError(`Unexpected error while ${action}: ${messageOf(error)}`);
}

/** GitLab's message for a 404 ("404 File Not Found", "404 Project Not Found"), or undefined for anything else. */
export function notFoundMessage(error: unknown): string | undefined {
  if (!(error instanceof GitbeakerRequestError) || error.cause?.response?.status !== 404) {
    return undefined;
  }
  return error.cause.description;
}

/**
 * GitLab's refusals to open a merge request, saying what to do about each; undefined for any
 * other failure (toForgeError words those).
 */
export function mergeRequestRefusal(
  error: unknown,
  projectPath: string,
  branches: { sourceBranch: string; targetBranch: string },
): ForgeError | undefined {
  if (!(error instanceof GitbeakerRequestError)) return undefined;
  const status = error.cause?.response?.status ?? 0;
  const description = error.cause?.description ?? '';
  const { sourceBranch, targetBranch } = branches;
  const existing = /already exists for this source branch: !(\d+)/.exec(description)?.[1];
  if (status === 409 && existing) {
    return new ForgeError(
      `Merge request !${existing} from ${sourceBranch} into ${targetBranch} is already open in ${projectPath}: ` +
        `push to ${sourceBranch} to update it, or close it before opening another.`,
      409,
    );
  }
  // GitLab has worded these as `{"source_branch": ["does not exist"]}` and as sentences.
  const missing = /does not exist/i.test(description);
  if (missing && /source[ _]branch/i.test(description)) {
    return new ForgeError(
      `GitLab has no branch ${sourceBranch} in ${projectPath}: push it first, then open the merge request.`,
      status,
    );
  }
  if (missing && /target[ _]branch/i.test(description)) {
    return new ForgeError(
      `${projectPath} has no branch ${targetBranch} to merge into: choose an existing target branch, such as the default branch.`,
      status,
    );
  }
  if (/same project\/branch/i.test(description)) {
    return new ForgeError(
      `Cannot open a merge request from ${sourceBranch} into itself: push the changes to a branch of their own first.`,
      status,
    );
  }
  return undefined;
}

function fromStatus(status: number, description: string, action: string): ForgeError {
  if (status === 401) {
    return new ForgeError(
      'GitLab rejected the token (401): set tandem.gitlab.token or GITLAB_TOKEN to a personal access token with the api scope.',
      status,
    );
  }
  if (status === 403) return new ForgeError(forbidden(description, action), status);
  if (status === 404) {
    return new ForgeError(
      `GitLab found nothing while ${action} (404): it was not found, or your account has no access to it. ` +
        'Check the reference, and that you are a member of the project.',
      status,
    );
  }
  if (status === 429) return new ForgeError(rateLimited(action), status);
  if (status >= 500) {
    return new ForgeError(
      `GitLab failed while ${action} (${status}${detail(description)}): the problem is on GitLab's side; try again in a moment.`,
      status,
    );
  }
  return new ForgeError(rejected(status, description, action), status);
}

function forbidden(description: string, action: string): string {
  const scope = /insufficient_scope/i.test(description)
    ? 'the token lacks the api scope: create a personal access token with the api scope'
    : 'your account lacks the permission: ask a maintainer of the project for access';
  return `GitLab refused access while ${action} (403 Forbidden${detail(description)}): ${scope}.`;
}

function rejected(status: number, description: string, action: string): string {
  const hint = /line_code/.test(description)
    ? ": the position is not a line of the merge request's latest diff. Comment on an added line (new line only), " +
      'a removed line (old line only) or an unchanged line (both), using the latest diff refs.'
    : '.';
  return `GitLab rejected the request while ${action} (${status}${detail(description)})${hint}`;
}

function rateLimited(action: string): string {
  return `GitLab is rate limiting requests (429) while ${action}: wait a minute, then try again.`;
}

function fromRetriesExhausted(error: GitbeakerRetryError, action: string): ForgeError {
  const status = Number(/last status code: (\d+)/.exec(error.message)?.[1] ?? 0);
  if (status === 429) return new ForgeError(rateLimited(action), status);
  return new ForgeError(
    `GitLab kept failing while ${action} (${status || 'no answer'}): it may be restarting or overloaded; try again in a moment.`,
    status || undefined,
  );
}

/** GitLab's own text, unless it only repeats the status line. */
function detail(description: string): string {
  const text = description.replace(/^\d{3}\s*/, '').trim();
  if (!text || /^(forbidden|not found|bad request|internal server error)$/i.test(text)) return '';
  return `: ${text.length > 300 ? `${text.slice(0, 297)}...` : text}`;
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  ECONNRESET: 'connection reset',
  UND_ERR_SOCKET: 'connection closed unexpectedly',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/** fetch() reports network failures as `TypeError: fetch failed` with the system error as its cause. */
function networkProblem(error: unknown): string | undefined {
  if (!(error instanceof TypeError)) return undefined;
  const cause = firstCause(error.cause);
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  if (code && NETWORK_CODES[code]) return `${NETWORK_CODES[code]} (${code})`;
  if (code && /CERT|SSL|TLS|SELF_SIGNED/i.test(code)) {
    return `TLS certificate problem (${code}); if GitLab uses a private certificate authority, point NODE_EXTRA_CA_CERTS at its certificate`;
  }
  return cause ? `${messageOf(cause)}${code ? ` (${code})` : ''}` : messageOf(error);
}

function firstCause(cause: unknown): { code?: unknown; message?: unknown } | undefined {
  if (cause instanceof AggregateError) return firstCause(cause.errors[0]);
  return typeof cause === 'object' && cause !== null ? cause : undefined;
}

function messageOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error) {
    return String(error.message);
  }
  return String(error);
}
