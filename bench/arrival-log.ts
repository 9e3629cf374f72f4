import { performance } from 'node:perf_hooks';
import type { MessageConnection } from 'vscode-jsonrpc/node';

export interface Arrival<T = unknown> {
  /** `performance.now()` when the notification reached the client's handler. */
  at: number;
  params: T;
}

/** Names the arrivals a notification stands for, e.g. `resolved:<approvalId>`. */
export type Keyer = (params: never) => string[];

/**
 * Timestamps notifications as the client receives them, under keys, keeping the first arrival of
 * each key. A waiter gets the timestamp of the arrival itself, so how late it started waiting
 * never shows in a latency; lookups are by key, so thousands of notifications cost nothing.
 */
export class ArrivalLog {
  private readonly arrivals = new Map<string, Arrival>();
  private readonly waiters = new Map<string, ((arrival: Arrival) => void)[]>();

  constructor(connection: MessageConnection, keyers: Record<string, Keyer>) {
    for (const [method, keyer] of Object.entries(keyers)) {
      connection.onNotification(method, (params: unknown) =>
        this.record(keyer(params as never), params),
      );
    }
  }

  wait<T>(key: string, timeoutMs = 15_000): Promise<Arrival<T>> {
    const known = this.arrivals.get(key);
    if (known) return Promise.resolve(known as Arrival<T>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${key}.`)),
        timeoutMs,
      );
      const list = this.waiters.get(key) ?? [];
      list.push((arrival) => {
        clearTimeout(timer);
        resolve(arrival as Arrival<T>);
      });
      this.waiters.set(key, list);
    });
  }

  private record(keys: string[], params: unknown): void {
    const at = performance.now();
    for (const key of keys) {
      if (this.arrivals.has(key)) continue;
      const arrival = { at, params };
      this.arrivals.set(key, arrival);
      for (const resolve of this.waiters.get(key) ?? []) resolve(arrival);
      this.waiters.delete(key);
    }
  }
}
