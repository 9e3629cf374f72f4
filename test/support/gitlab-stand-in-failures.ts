import { STATUS_CODES } from 'node:http';
import type { Reply } from './http-wire';

/** Makes the next matching requests fail, e.g. to prove retries and error messages. */
export interface InjectedFailure {
  method?: string;
  /**
   * A string matches the API path exactly, decoded (`/projects/group/app/merge_requests/7`) or
   * raw (`/projects/group%2Fapp/merge_requests/7`); a RegExp is tested against the decoded path.
   */
  path: string | RegExp;
  status: number;
  /** How many requests fail; 1 unless given. */
  times?: number;
  /** Seconds, sent as `Retry-After`. */
  retryAfter?: number;
  message?: string;
  /** The failure is answered only once this settles, e.g. after the server started something. */
  after?: Promise<unknown>;
}

/** The failures a test asked for, and the replies they turn into. */
export class InjectedFailures {
  private readonly failures: (InjectedFailure & { remaining: number })[] = [];

  add(failure: InjectedFailure): void {
    this.failures.push({ ...failure, remaining: failure.times ?? 1 });
  }

  /** Forgets failures that have not fired yet. */
  clear(): void {
    this.failures.length = 0;
  }

  /** The reply of the first failure matching this API request, used up by one. */
  take(method: string, rawPath: string): { reply: Reply; after?: Promise<unknown> } | undefined {
    const decoded = rawPath.split('/').map(safeDecode).join('/');
    const failure = this.failures.find(
      (f) =>
        f.remaining > 0 &&
        (!f.method || f.method.toUpperCase() === method) &&
        (typeof f.path === 'string'
          ? f.path === decoded || f.path === rawPath
          : f.path.test(decoded)),
    );
    if (!failure) return undefined;
    failure.remaining -= 1;
    const headers: Record<string, string> =
      failure.retryAfter === undefined ? {} : { 'retry-after': String(failure.retryAfter) };
    const message =
      failure.message ?? `${failure.status} ${STATUS_CODES[failure.status] ?? 'Error'}`;
    // Rack::Attack, which throttles GitLab, answers 429 in plain text.
    const reply: Reply =
      failure.status === 429
        ? { status: 429, text: 'Retry later\n', headers }
        : { status: failure.status, json: { message }, headers };
    return { reply, after: failure.after };
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
