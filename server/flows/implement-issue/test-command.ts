import type { Sandbox } from '../../../sandbox/sandbox';
import { jobCommand, listJobs } from '../fix-pipeline/ci-config';
import { jobDefinition, jobTitle } from '../fix-pipeline/job-runs';

export interface TestCommand {
  /** What runs in the sandbox. */
  command: string;
  /** How the person and the model are told about it: the command, or `CI job "unit"`. */
  label: string;
  /** The approval's title when the command alone says little. */
  title?: string;
}

/**
 * The project's test command: `tandem.flows.testCommand` when set, else what the project shows
 * (package.json's test script, a Makefile test target, Go, Cargo, pytest, else the CI test job
 * of `.gitlab-ci.yml`, run as the runner would), else undefined.
 */
export async function detectTestCommand(
  sandbox: Sandbox,
  configured: string,
): Promise<TestCommand | undefined> {
  const found = await projectTestCommand(sandbox, configured);
  return typeof found === 'string' ? { command: found, label: found } : found;
}

async function projectTestCommand(
  sandbox: Sandbox,
  configured: string,
): Promise<string | TestCommand | undefined> {
  if (configured.trim()) return configured.trim();
  const read = (file: string) => sandbox.readFile(file).catch(() => undefined);
  const pkg = await read('package.json');
  if (pkg) {
    try {
      const test = (JSON.parse(pkg) as { scripts?: Record<string, string> }).scripts?.test;
      if (test && !/no test specified/.test(test)) return 'npm test';
    } catch {
      // Not JSON: look further.
    }
  }
  const makefile = await read('Makefile');
  if (makefile && /^test\s*:/m.test(makefile)) return 'make test';
  if (await read('go.mod')) return 'go test ./...';
  if (await read('Cargo.toml')) return 'cargo test';
  for (const file of ['pytest.ini', 'pyproject.toml', 'setup.cfg', 'tox.ini']) {
    const text = await read(file);
    if (text && (file === 'pytest.ini' || /pytest/.test(text))) return 'python3 -m pytest';
  }
  const ci = await read('.gitlab-ci.yml');
  const job = ci === undefined ? undefined : ciTestJob(ci);
  if (!job) return undefined;
  const definition = await jobDefinition(sandbox, job);
  return {
    command: jobCommand(definition, { projectDir: sandbox.workspaceFolder }),
    label: `CI job "${job}"`,
    title: jobTitle(definition),
  };
}

/** The job named `test`, else the first job of stage `test`, of the root CI file. */
function ciTestJob(ci: string): string | undefined {
  try {
    const jobs = listJobs((file) =>
      file.replace(/^\/+/, '') === '.gitlab-ci.yml' ? ci : undefined,
    );
    return (jobs.find((j) => j.name === 'test') ?? jobs.find((j) => j.stage === 'test'))?.name;
  } catch {
    return undefined;
  }
}
