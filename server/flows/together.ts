/**
 * Awaits independent requests at once. When some fail, the failure of the first in argument
 * order is thrown, the one sequential code would have shown, and no rejection is left unhandled.
 */
export async function together<T extends readonly unknown[]>(promises: {
  readonly [K in keyof T]: Promise<T[K]>;
}): Promise<T> {
  const settled = await Promise.allSettled(promises);
  for (const result of settled) if (result.status === 'rejected') throw result.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/**
 * Work started ahead of the step that needs it (e.g. the sandbox while traces download). The
 * step awaits the promise and sees its failure; if the flow ends before that, the rejection is
 * not reported as unhandled.
 */
export function startEarly<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
