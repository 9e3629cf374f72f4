import type { IncomingMessage, ServerResponse } from 'node:http';

/** Parameters as Rails/Grape see them: `position[new_line]` nests, `scope[]` collects. */
export type Params = { [key: string]: string | string[] | Params };

/** What a route answers; written to the wire by `send`. */
export interface Reply {
  status: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

/** A failure a handler throws to answer with GitLab's `{"message": "…"}` body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly key: 'message' | 'error' = 'message',
  ) {
    super(message);
  }

  reply(): Reply {
    return { status: this.status, json: { [this.key]: this.message } };
  }
}

/** Reads a JSON, URL-encoded or multipart body, the three encodings GitLab's API accepts. */
export async function readBody(request: IncomingMessage): Promise<Params> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const type = request.headers['content-type'] ?? '';
  if (raw.length === 0) return {};
  if (type.startsWith('application/json')) return jsonParams(raw.toString('utf8'));
  if (
    type.startsWith('multipart/form-data') ||
    type.startsWith('application/x-www-form-urlencoded')
  ) {
    return formParams(raw, type);
  }
  throw new HttpError(415, '415 Unsupported Media Type');
}

/** The platform's own form parser, so the bytes are read as any server would read them. */
async function formParams(raw: Buffer, type: string): Promise<Params> {
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(raw), {
      headers: { 'content-type': type },
    }).formData();
  } catch {
    throw new HttpError(400, '400 Bad request - the form data cannot be parsed', 'error');
  }
  return nestParams([...form.entries()].map(([k, v]) => [k, String(v)]));
}

export function queryParams(url: URL): Params {
  return nestParams([...url.searchParams.entries()]);
}

/** Folds `a[b][c]=v` and `a[]=v` keys into nested objects and arrays. */
export function nestParams(entries: [string, string][]): Params {
  const root: Params = {};
  for (const [key, value] of entries) {
    const parts = key.replace(/\]/g, '').split('[');
    const isList = parts.length > 1 && parts[parts.length - 1] === '';
    if (isList) parts.pop();
    const last = parts.pop() ?? '';
    let target = root;
    for (const part of parts) {
      const next = target[part];
      target = target[part] = typeof next === 'object' && !Array.isArray(next) ? next : {};
    }
    const list = target[last];
    target[last] = isList ? [...(Array.isArray(list) ? list : []), value] : value;
  }
  return root;
}

function jsonParams(text: string): Params {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, '400 Bad request - body is not valid JSON', 'error');
  }
  const params = toParam(value);
  return typeof params === 'object' && !Array.isArray(params) ? params : {};
}

function toParam(value: unknown): string | string[] | Params {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== 'object' || value === null) return String(value);
  const present = Object.entries(value).filter(([, v]) => v !== null && v !== undefined);
  return Object.fromEntries(present.map(([k, v]) => [k, toParam(v)]));
}

export function send(response: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { ...reply.headers };
  let body = '';
  if (reply.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(reply.json);
  } else if (reply.text !== undefined) {
    headers['content-type'] ??= 'text/plain; charset=utf-8';
    body = reply.text;
  }
  headers['content-length'] = String(Buffer.byteLength(body));
  response.writeHead(reply.status, headers);
  response.end(body);
}

export interface PageOptions {
  defaultPerPage: number;
  maxPerPage: number;
  /** The request's own URL; the Link header repeats it with another page. */
  requestUrl: URL;
}

/** One page of a list, with GitLab's offset-pagination headers. */
export function paginate<T>(items: T[], options: PageOptions): Reply {
  const query = options.requestUrl.searchParams;
  const perPage = clamp(
    Number(query.get('per_page')) || options.defaultPerPage,
    options.maxPerPage,
  );
  const totalPages = Math.max(1, Math.ceil(items.length / perPage));
  const page = Math.max(1, Math.floor(Number(query.get('page')) || 1));
  const link = (p: number) => {
    const url = new URL(options.requestUrl);
    url.searchParams.set('page', String(p));
    url.searchParams.set('per_page', String(perPage));
    return url.toString();
  };
  const rels: string[] = [];
  if (page > 1) rels.push(`<${link(Math.min(page - 1, totalPages))}>; rel="prev"`);
  if (page < totalPages) rels.push(`<${link(page + 1)}>; rel="next"`);
  rels.push(`<${link(1)}>; rel="first"`, `<${link(totalPages)}>; rel="last"`);
  const headers = {
    'x-page': String(page),
    'x-per-page': String(perPage),
    'x-next-page': page < totalPages ? String(page + 1) : '',
    'x-prev-page': page > 1 ? String(page - 1) : '',
    'x-total': String(items.length),
    'x-total-pages': String(totalPages),
    link: rels.join(', '),
  };
  return { status: 200, json: items.slice((page - 1) * perPage, page * perPage), headers };
}

function clamp(perPage: number, max: number): number {
  return Math.min(Math.max(1, Math.floor(perPage)), max);
}
