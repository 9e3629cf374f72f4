import type { Sandbox } from '../../../sandbox/sandbox';

/**
 * The project's test command: `tandem.flows.testCommand` when set, else what the project shows
 * (package.json's test script, a Makefile test target, Go, Cargo, pytest), else undefined.
 */
export async function detectTestCommand(
  sandbox: Sandbox,
  configured: string,
): Promise<string | undefined> {
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
  return undefined;
}
