/** What the bench started, stopped in reverse order whatever happens (errors, the watchdog). */
export class Scope {
  private readonly cleanups: (() => unknown)[] = [];

  defer(cleanup: () => unknown): void {
    this.cleanups.push(cleanup);
  }

  async close(): Promise<void> {
    while (this.cleanups.length > 0) {
      const cleanup = this.cleanups.pop() as () => unknown;
      try {
        await cleanup();
      } catch (error) {
        console.error(`[bench] cleanup failed: ${(error as Error).message}`);
      }
    }
  }
}

/** Runs `work` in its own scope and closes it after. */
export async function scoped<T>(parent: Scope, work: (scope: Scope) => Promise<T>): Promise<T> {
  const scope = new Scope();
  parent.defer(() => scope.close());
  try {
    return await work(scope);
  } finally {
    await scope.close();
  }
}
