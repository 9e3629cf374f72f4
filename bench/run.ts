// `npm run bench`: performance figures of the built server, printed as a table and written to
// bench/results/latest.json. Not a test: it measures and reports; nothing fails on a missed
// target. Everything runs on 127.0.0.1 and stops by itself.
import { measureApprovals } from './approval-latency';
import { measureChat } from './chat-latency';
import { measureStartup } from './cold-start';
import {
  approvalFigures,
  chatFigures,
  flowOverheadFigures,
  sandboxFigures,
  sessionFigures,
  startupFigures,
} from './figures';
import { endProgress, type Figure, formatTable, writeResults } from './report';
import { Scope, scoped } from './scope';
import { measureFlowOverhead } from './flow-overhead';
import { measureSandbox } from './sandbox-exec';
import { measureSessionLoad } from './session-load';

const PLAN = {
  startup: { pairs: 20, warmup: 2 },
  chat: { sends: 60, warmup: 5 },
  approvals: { denies: 100, approves: 30 },
  sessions: { count: 200, maxConcurrent: [4, 32] },
  sandbox: { execPairs: 30, preparePairs: 6, warm: 10 },
  flowOverhead: { runs: 7 },
};

/** The whole bench must end well within this; past it, everything started is stopped. */
const WATCHDOG_MS = 8 * 60_000;

type Section = <T>(
  name: string,
  run: () => Promise<T>,
  toFigures: (r: T) => Figure[],
) => Promise<void>;

/** `--only-sandbox` and `--no-sandbox` pick the parts; by default everything runs. */
async function main(scope: Scope): Promise<void> {
  const figures: Figure[] = [];
  const raw: Record<string, unknown> = { plan: PLAN };
  const section: Section = async (name, run, toFigures) => {
    const result = await run();
    endProgress();
    raw[name] = result;
    figures.push(...toFigures(result));
  };
  if (!process.argv.includes('--only-sandbox')) await serverSections(scope, section);
  if (!process.argv.includes('--no-sandbox')) {
    await section(
      'sandbox',
      () => scoped(scope, (s) => measureSandbox(s, PLAN.sandbox)),
      sandboxFigures,
    );
    await section(
      'flow-overhead',
      () => scoped(scope, (s) => measureFlowOverhead(s, PLAN.flowOverhead.runs)),
      flowOverheadFigures,
    );
  }
  console.log(formatTable(figures));
  console.log(`\nWritten to ${writeResults(figures, raw)}`);
}

async function serverSections(scope: Scope, section: Section): Promise<void> {
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
