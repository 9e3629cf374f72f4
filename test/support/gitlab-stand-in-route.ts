import { HttpError, type Params, type Reply } from './http-wire';
import type { GitLabJson } from './gitlab-stand-in-json';
import type { DiscussionRecord, PositionRecord, UserRecord } from './gitlab-stand-in-model';
import type { GitLabState } from './gitlab-stand-in-state';

/* What every REST route of the stand-in is made of. */

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

export const ok = (json: unknown, status = 200): Reply => ({ status, json });

export const get = (pattern: string, handle: Route['handle']): Route => ({
  method: 'GET',
  pattern,
  handle,
});

export const post = (pattern: string, handle: Route['handle']): Route => ({
  method: 'POST',
  pattern,
  handle,
});

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

/** A string parameter, or undefined when absent or not a string. */
export function text(params: Params, key: string): string | undefined {
  const value = params[key];
  return typeof value === 'string' ? value : undefined;
}

/** Grape's answer to missing required parameters: `{"error": "title is missing, …"}`. */
export function requireParams(params: Params, keys: string[]): void {
  const missing = keys.filter((key) => !text(params, key)?.trim());
  if (missing.length > 0) {
    throw new HttpError(400, missing.map((key) => `${key} is missing`).join(', '), 'error');
  }
}
