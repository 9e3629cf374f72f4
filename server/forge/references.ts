import { FLOW_NAMES, type FlowId, type ReferenceKind } from '../protocol';
import { ForgeError, type ResolvedReference } from './forge';
import type { GitRemote } from './git-remote';

/** A reference as written, before its project is known for certain. */
export interface ParsedReference {
  kind: ReferenceKind;
  /** Host (with port, if any) of a URL reference; absent for short forms. */
  host?: string;
  /** Absent for `!7`, `#12` and bare pipeline numbers: the workspace's git remote supplies it. */
  projectPath?: string;
  id: number;
}

/** What resolution needs besides the reference itself. */
export interface ReferenceContext {
  /** `tandem.gitlab.url`, e.g. `https://gitlab.com` or `https://example.com/gitlab`. */
  gitlabUrl: string;
  /** The workspace's git remote; only consulted for short forms without a project. */
  remote?: GitRemote | null;
}

const NOUN: Record<ReferenceKind, string> = {
  merge_request: 'a merge request',
  issue: 'an issue',
  pipeline: 'a pipeline',
};
const FLOW_FOR_KIND: Record<ReferenceKind, FlowId> = {
  merge_request: 'code_review',
  issue: 'implement_issue',
  pipeline: 'fix_pipeline',
};
const ROUTE_KIND: Record<string, ReferenceKind> = {
  merge_requests: 'merge_request',
  issues: 'issue',
  work_items: 'issue',
  pipelines: 'pipeline',
};
const KIND_ROUTE: Record<ReferenceKind, string> = {
  merge_request: 'merge_requests',
  issue: 'issues',
  pipeline: 'pipelines',
};

// GitLab's namespace/project path rule: letters, digits, `_`, `-`, `.`; not ending in `.`.
const SEGMENT = '(?:[A-Za-z0-9_.][A-Za-z0-9_.-]*[A-Za-z0-9_-]|[A-Za-z0-9_])';
const PATH = `${SEGMENT}(?:/${SEGMENT}){1,19}`;
const ID = '(\\d{1,15})';
const ROUTE = '(merge_requests|issues|work_items|pipelines)';

const URL_PATH = new RegExp(`^/(${PATH})/(?:-/)?${ROUTE}/${ID}(?:/[a-z_]+)?/?$`);
const SHORT_FORMS: { pattern: RegExp; kind: ReferenceKind }[] = [
  { pattern: new RegExp(`^(${PATH})?!${ID}$`), kind: 'merge_request' },
  { pattern: new RegExp(`^(${PATH})?#${ID}$`), kind: 'issue' },
  { pattern: new RegExp(`^(?:(${PATH})\\s+)?pipeline\\s+#?${ID}$`, 'i'), kind: 'pipeline' },
];
const ROUTE_FORM = new RegExp(`^(${PATH})/-/${ROUTE}/${ID}$`);
const PROJECT_PATH = new RegExp(`^${PATH}$`);
const MAX_INPUT = 2048;

/** Whether text is a GitLab project path such as `group/sub/app`. */
export function isProjectPath(text: string): boolean {
  return PROJECT_PATH.test(text);
}

/**
 * Reads a pipeline, issue or merge request reference: a web URL or a short form. Pure: the host
 * and project are checked later by `resolveParsedReference`.
 */
export function parseReference(text: string, kind?: ReferenceKind): ParsedReference {
  const input = unwrap(text);
  const parsed = input.length <= MAX_INPUT ? parseUnwrapped(input, kind) : undefined;
  if (!parsed) throw new ForgeError(unreadableMessage(text, kind));
  if (kind && parsed.kind !== kind) throw new ForgeError(kindMismatchMessage(text, parsed, kind));
  return parsed;
}

/** Checks the host, fills in the project from the git remote when needed, and builds the URL and label. */
export function resolveParsedReference(
  parsed: ParsedReference,
  text: string,
  context: ReferenceContext,
): ResolvedReference {
  const base = new URL(context.gitlabUrl);
  const projectPath = parsed.host
    ? projectOnConfiguredHost(parsed, base)
    : (parsed.projectPath ?? projectFromRemote(text, parsed.kind, base, context.remote));
  return {
    kind: parsed.kind,
    projectPath,
    id: parsed.id,
    url: referenceUrl(context.gitlabUrl, parsed.kind, projectPath, parsed.id),
    label: referenceLabel(parsed.kind, projectPath, parsed.id),
  };
}

/** Canonical web URL of a reference on the configured GitLab. */
export function referenceUrl(
  gitlabUrl: string,
  kind: ReferenceKind,
  projectPath: string,
  id: number,
): string {
  return `${gitlabUrl.replace(/\/+$/, '')}/${projectPath}/-/${KIND_ROUTE[kind]}/${id}`;
}

/** Short form: `group/app!7`, `group/app#12`, `group/app pipeline 123`. */
export function referenceLabel(kind: ReferenceKind, projectPath: string, id: number): string {
  if (kind === 'merge_request') return `${projectPath}!${id}`;
  if (kind === 'issue') return `${projectPath}#${id}`;
  return `${projectPath} pipeline ${id}`;
}

function parseUnwrapped(input: string, kind?: ReferenceKind): ParsedReference | undefined {
  if (/^https?:\/\//i.test(input)) return parseUrl(input);
  const route = ROUTE_FORM.exec(input);
  if (route) return reference(ROUTE_KIND[route[2]], route[1], route[3]);
  for (const form of SHORT_FORMS) {
    const match = form.pattern.exec(input);
    if (match) return reference(form.kind, match[1], match[2]);
  }
  if (kind === 'pipeline' && /^\d{1,15}$/.test(input))
    return reference('pipeline', undefined, input);
  return undefined;
}

function parseUrl(input: string): ParsedReference | undefined {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return undefined;
  }
  const match = URL_PATH.exec(url.pathname);
  if (!match || !url.host) return undefined;
  const parsed = reference(ROUTE_KIND[match[2]], match[1], match[3]);
  return parsed && { ...parsed, host: url.host };
}

function reference(
  kind: ReferenceKind,
  projectPath: string | undefined,
  id: string,
): ParsedReference | undefined {
  const number = Number(id);
  if (!Number.isSafeInteger(number) || number < 1) return undefined;
  return projectPath ? { kind, projectPath, id: number } : { kind, id: number };
}

const CLOSING_QUOTE: Record<string, string> = { '<': '>', '`': '`', '"': '"', "'": "'" };

/** Drops whitespace, one layer of quoting (`<…>`, backticks, quotes) and trailing punctuation from chat text. */
function unwrap(text: string): string {
  let input = text.trim();
  if (input.length > 1 && CLOSING_QUOTE[input[0]] === input[input.length - 1]) {
    input = input.slice(1, -1).trim();
  }
  return input.replace(/[.,;:)]+$/, '');
}

function projectOnConfiguredHost(parsed: ParsedReference, base: URL): string {
  if (parsed.host !== base.host) {
    throw new ForgeError(
      `Refusing a reference on ${parsed.host}: tandem.gitlab.url is ${base.origin}${basePath(base)}, ` +
        `and the GitLab token is only ever sent there. Use a reference on ${base.host}, or change tandem.gitlab.url.`,
    );
  }
  const projectPath = withoutBasePath(parsed.projectPath ?? '', base);
  if (!projectPath) {
    throw new ForgeError(
      `The ${parsed.kind.replace('_', ' ')} URL is not under tandem.gitlab.url (${base.origin}${basePath(base)}): ` +
        `copy the URL from that GitLab, or use the short form, e.g. ${example(parsed.kind)}.`,
    );
  }
  return projectPath;
}

function projectFromRemote(
  text: string,
  kind: ReferenceKind,
  base: URL,
  remote: GitRemote | null | undefined,
): string {
  const shown = quote(text);
  if (!remote) {
    throw new ForgeError(
      `${shown} does not name a project, and the workspace has no git remote to take it from: ` +
        `use the full form, e.g. ${example(kind)}.`,
    );
  }
  const expected = remote.transport === 'ssh' ? base.hostname : base.host;
  const projectPath =
    remote.transport === 'ssh' ? remote.projectPath : withoutBasePath(remote.projectPath, base);
  if (remote.host !== expected || !projectPath) {
    throw new ForgeError(
      `${shown} does not name a project, and the workspace's git remote points at ${remote.host}, ` +
        `not at tandem.gitlab.url (${base.host}): use the full form, e.g. ${example(kind)}.`,
    );
  }
  return projectPath;
}

/**
 * A GitLab installed under a relative URL root (`https://example.com/gitlab`) prefixes every web
 * and HTTP clone path with it; undefined when the path is not under that root.
 */
function withoutBasePath(path: string, base: URL): string | undefined {
  const prefix = basePath(base).slice(1);
  if (!prefix) return path;
  const stripped = path.startsWith(`${prefix}/`) ? path.slice(prefix.length + 1) : '';
  return isProjectPath(stripped) ? stripped : undefined;
}

function basePath(base: URL): string {
  return base.pathname.replace(/\/+$/, '');
}

function unreadableMessage(text: string, kind?: ReferenceKind): string {
  if (!kind) {
    return (
      `Cannot read ${quote(text)} as a GitLab reference: use a merge request, issue or pipeline URL ` +
      `such as https://gitlab.com/group/app/-/merge_requests/7, or a short form such as group/app!7 or group/app#12.`
    );
  }
  return (
    `Cannot read ${quote(text)} as ${NOUN[kind]} reference: use a URL such as ` +
    `https://gitlab.com/group/app/-/${KIND_ROUTE[kind]}/${exampleId(kind)} or ${example(kind)}.`
  );
}

function kindMismatchMessage(text: string, parsed: ParsedReference, kind: ReferenceKind): string {
  return (
    `${quote(text)} is ${NOUN[parsed.kind]}, but ${FLOW_NAMES[FLOW_FOR_KIND[kind]]} needs ` +
    `${NOUN[kind]}: give ${NOUN[kind]} reference such as ${example(kind)}.`
  );
}

function exampleId(kind: ReferenceKind): number {
  return kind === 'merge_request' ? 7 : kind === 'issue' ? 12 : 123;
}

function example(kind: ReferenceKind): string {
  return referenceLabel(kind, 'group/app', exampleId(kind));
}

/** Quotes user text for a message: one line, bounded, and without any credentials in a URL. */
function quote(text: string): string {
  const clean = text
    .trim()
    .replace(/\/\/[^/@\s]*@/g, '//')
    .replace(/\s+/g, ' ');
  return JSON.stringify(clean.length > 80 ? `${clean.slice(0, 77)}...` : clean);
}
