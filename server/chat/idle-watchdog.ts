/**
 * An abort signal that fires when nothing has arrived for `idleMs`, or when the caller's own
 * signal aborts. A total deadline would cut off long but healthy answers; an idle deadline
 * catches both slow response headers and a stream that stalls halfway.
 */
export class IdleWatchdog {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private expired = false;

  constructor(
    private readonly idleMs: number,
    private readonly outer?: AbortSignal,
  ) {
    if (outer?.aborted) this.controller.abort(outer.reason);
    outer?.addEventListener('abort', this.forwardAbort, { once: true });
    this.reset();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True when this watchdog, not the caller, aborted. */
  get timedOut(): boolean {
    return this.expired;
  }

  /** Something arrived: start the idle period again. */
  reset(): void {
    clearTimeout(this.timer);
    if (!this.controller.signal.aborted) this.timer = setTimeout(this.expire, this.idleMs);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener('abort', this.forwardAbort);
  }

  private readonly forwardAbort = (): void => this.controller.abort(this.outer?.reason);

  private readonly expire = (): void => {
    this.expired = true;
    this.controller.abort();
  };
}
