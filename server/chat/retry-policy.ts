/** Longest wait between two attempts that we choose ourselves. */
export const MAX_BACKOFF_MS = 30_000;
/** Longest wait we accept from a server's Retry-After; beyond it the person at the keyboard is better off told. */
export const MAX_RETRY_AFTER_MS = 60_000;

/** Rate limits and server-side failures are worth another try; other 4xx answers will not change. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/**
 * Delay before retry number `retry` (1-based): base, 2×base, 4×base … capped at 30 s. Up to a
 * quarter is taken off at random so that many flows hitting the same limit do not retry in step.
 */
export function backoffDelayMs(retry: number, baseMs: number, random = Math.random): number {
  const exponential = Math.max(0, baseMs) * 2 ** Math.max(0, retry - 1);
  const capped = Math.min(MAX_BACKOFF_MS, exponential);
  return Math.round(capped * (1 - random() * 0.25));
}

/**
 * The wait the server asked for: `retry-after-ms` (OpenAI's, more precise) or `Retry-After` in
 * seconds or as an HTTP date. Capped at 60 s; undefined when absent or unreadable.
 */
export function serverRequestedDelayMs(
  headers: Headers | undefined,
  now = Date.now(),
): number | undefined {
  const requested =
    parseMilliseconds(headers?.get('retry-after-ms')) ??
    parseRetryAfter(headers?.get('retry-after'), now);
  return requested === undefined ? undefined : Math.min(MAX_RETRY_AFTER_MS, requested);
}

/** The server's wish when it stated one, our own backoff otherwise. */
export function retryDelayMs(
  retry: number,
  baseMs: number,
  headers?: Headers,
  random = Math.random,
): number {
  return serverRequestedDelayMs(headers) ?? backoffDelayMs(retry, baseMs, random);
}

/** Resolves after `ms`, or as soon as `signal` aborts: the caller checks the signal afterwards. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function parseMilliseconds(value: string | null | undefined): number | undefined {
  if (!value?.trim()) return undefined;
  const ms = Number(value);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value?.trim()) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
