import * as assert from 'node:assert/strict';
import { FakeSandbox } from '../../../test/support/fake-sandbox';
import { detectTestCommand } from './test-command';

const found = async (files: Record<string, string>, configured = '') => {
  const sandbox = await FakeSandbox.create(files);
  try {
    return await detectTestCommand(sandbox, configured);
  } finally {
    await sandbox.dispose();
  }
};
const detect = async (files: Record<string, string>, configured = '') => {
  const tests = await found(files, configured);
  if (tests && !tests.title) assert.equal(tests.label, tests.command);
  return tests?.command;
};

describe('the project’s test command', () => {
  it('is tandem.flows.testCommand when set, whatever the project has', async () => {
    assert.equal(await detect({ Makefile: 'test:\n\ttrue\n' }, ' make check '), 'make check');
  });

  it('is found from the project’s own files, in order', async () => {
    const pkg = JSON.stringify({ scripts: { test: 'node --test' } });
    assert.equal(await detect({ 'package.json': pkg, 'go.mod': 'module x' }), 'npm test');
    const placeholder = JSON.stringify({ scripts: { test: 'echo "Error: no test specified"' } });
    assert.equal(
      await detect({ 'package.json': placeholder, Makefile: 'build:\n\tcc\ntest: build\n\t./t\n' }),
      'make test',
    );
    assert.equal(await detect({ 'go.mod': 'module x' }), 'go test ./...');
    assert.equal(await detect({ 'Cargo.toml': '[package]' }), 'cargo test');
    assert.equal(
      await detect({ 'pyproject.toml': '[tool.pytest.ini_options]' }),
      'python3 -m pytest',
    );
    assert.equal(await detect({ 'README.md': '# nothing to run' }), undefined);
  });

  it('falls back to the CI test job, run as the runner would run it', async () => {
    const ci = [
      'variables:',
      '  LEVEL: strict',
      'lint:',
      '  stage: lint',
      '  script: [ruff check .]',
      'unit:',
      '  stage: test',
      '  before_script: [pip install -e .]',
      '  script:',
      '    - ./run-tests --level "$LEVEL"',
    ].join('\n');
    const command = (await detect({ '.gitlab-ci.yml': ci })) ?? '';
    assert.match(command, /^sh -c '#!\/bin\/sh\n/);
    assert.match(command, /export CI_JOB_NAME='\\''unit'\\''/);
    assert.match(command, /export LEVEL='\\''strict'\\''/);
    assert.match(command, /\npip install -e \.\n[\s\S]*\n\.\/run-tests --level "\$LEVEL"\n/);
    assert.doesNotMatch(command, /ruff/);
    const tests = await found({ '.gitlab-ci.yml': ci });
    assert.equal(tests?.label, 'CI job "unit"');
    assert.equal(
      tests?.title,
      'Run CI job "unit" in the sandbox (pip install -e .; ./run-tests --level "$LEVEL")?',
    );
  });

  it('prefers a job named test, and ignores a CI file it cannot read', async () => {
    const ci = 'check:\n  stage: test\n  script: [a]\ntest:\n  stage: verify\n  script: [b]\n';
    assert.match((await detect({ '.gitlab-ci.yml': ci })) ?? '', /CI_JOB_NAME='\\''test'\\''/);
    assert.equal(await detect({ '.gitlab-ci.yml': 'test: [unclosed' }), undefined);
  });
});
