// `npm run bench`: performance figures of the built server, printed as a table and written to
// bench/results/latest.json. Not a test: it measures and reports; nothing fails on a missed
// target. Everything runs on 127.0.0.1 and stops by itself.
import { measureApprovals } from './approval-latency';
import { measureChat } from './chat-latency';
import { measureStartup } from './cold-start';
import { approvalFigures, chatFigures, sessionFigures, startupFigures } from './figures';
import { endProgress, type Figure, formatTable, writeResults } from './report';
import { Scope, scoped } from './scope';
import { measureSessionLoad } from './session-load';

const PLAN = {
  startup: { pairs: 20, warmup: 2 },
  chat: { sends: 60, warmup: 5 },
  approvals: { denies: 100, approves: 30 },
  sessions: { count: 200, maxConcurrent: [4, 32] },
};

/** The whole bench must end well within this; past it, everything started is stopped. */
const WATCHDOG_MS = 4 * 60_000;

async function main(scope: Scope): Promise<void> {
  const figures: Figure[] = [];
  const raw: Record<string, unknown> = { plan: PLAN };
  const section = async <T>(name: string, run: () => Promise<T>, toFigures: (r: T) => Figure[]) => {
    const result = await run();
    endProgress();
    raw[name] = result;
    figures.push(...toFigures(result));
  };
  const { startup, chat, approvals, sessions } = PLAN;
  await section(
    'startup',
    () => measureStartup(scope, startup.pairs, startup.warmup),
    startupFigures,
  );
  await section(
    'chat',
    () => scoped(scope, (s) => measureChat(s, chat.sends, chat.warmup)),
    chatFigures,
  );
  await section(
    'approvals',
    () => scoped(scope, (s) => measureApprovals(s, approvals.denies, approvals.approves)),
    approvalFigures,
  );
  for (const limit of sessions.maxConcurrent) {
    await section(
      `sessions-max-${limit}`,
      () => scoped(scope, (s) => measureSessionLoad(s, sessions.count, limit)),
      sessionFigures,
    );
  }
  console.log(formatTable(figures));
  console.log(`\nWritten to ${writeResults(figures, raw)}`);
}

function watchdog(scope: Scope): NodeJS.Timeout {
  const timer = setTimeout(() => {
    endProgress();
    console.error(`[bench] still running after ${WATCHDOG_MS / 1000} s: stopping.`);
    void scope.close().finally(() => process.exit(1));
  }, WATCHDOG_MS);
  return timer.unref();
}

const scope = new Scope();
const timer = watchdog(scope);
main(scope)
  .catch((error: Error) => {
    endProgress();
    console.error(`[bench] failed: ${error.stack ?? error.message}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await scope.close();
    clearTimeout(timer);
  });
