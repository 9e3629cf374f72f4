import * as assert from 'node:assert/strict';
import { DevContainerProvider, type DevContainerSandbox } from '../../sandbox/devcontainer-sandbox';
import { docker, gitRepo, requireDocker, sandboxConfig } from '../support/docker-world';
import { tempDir } from '../support/temp-dir';

const PROJECT_CONFIG = `// A project's own dev container, with comments (JSONC) and things the sandbox refuses.
{
  "name": "app",
  "build": { "dockerfile": "Dockerfile", "args": { "GREETING": "built-from-dockerfile" } },
  "containerEnv": { "APP_MODE": "sandboxed", "LEAK": "\${localEnv:GITLAB_TOKEN}" },
  "remoteUser": "tandem",
  "postCreateCommand": "echo post-create-ran > /tmp/post-create",
  "runArgs": ["--network=host", "--privileged", "--init", "-v", "/etc:/host-etc"],
  "mounts": ["source=/,target=/host-root,type=bind"],
  "capAdd": ["SYS_ADMIN"],
  "initializeCommand": "touch /tmp/ran-on-host",
}
`;

const DOCKERFILE = `FROM tandem/sandbox-base:bookworm
ARG GREETING
RUN echo "$GREETING" > /etc/tandem-greeting
`;

describe('sandbox: the project’s devcontainer.json is honoured, with containment (slow)', function () {
  this.timeout(300_000);
  let state: ReturnType<typeof tempDir>;
  let repo: ReturnType<typeof gitRepo>;
  let sandbox: DevContainerSandbox;
  const progress: string[] = [];
  const saved = process.env.GITLAB_TOKEN;

  before(async function () {
    await requireDocker(this);
    process.env.GITLAB_TOKEN = 'glpat-host-secret-789';
    state = tempDir('tandem-sandbox-state-');
    repo = gitRepo({
      '.devcontainer/devcontainer.json': PROJECT_CONFIG,
      '.devcontainer/Dockerfile': DOCKERFILE,
      'README.md': '# app\n',
    });
    const provider = new DevContainerProvider({
      rootDir: state.dir,
      config: () => sandboxConfig(),
    });
    sandbox = (await provider.prepare({
      sessionId: 'dcdcdcdc-0001',
      flow: 'fix_pipeline',
      workspaceFolder: repo.dir,
      onProgress: (m) => progress.push(m),
    })) as DevContainerSandbox;
  });
  after(async () => {
    if (saved === undefined) delete process.env.GITLAB_TOKEN;
    else process.env.GITLAB_TOKEN = saved;
    await sandbox?.dispose();
    repo?.cleanup();
    state?.cleanup();
  });

  const run = async (command: string) => (await sandbox.exec(command)).stdout.trim();

  it('builds the Dockerfile FROM the local base image', async () => {
    assert.equal(await run('cat /etc/tandem-greeting'), 'built-from-dockerfile');
  });

  it('runs postCreateCommand, sets containerEnv and runs as remoteUser', async () => {
    assert.equal(await run('cat /tmp/post-create'), 'post-create-ran');
    assert.equal(await run('echo $APP_MODE'), 'sandboxed');
    assert.equal(await run('id -un'), 'tandem');
  });

  it('keeps containment: no network, no host mounts, no privileges, no host secrets', async () => {
    assert.equal(await run('ls /sys/class/net'), 'lo');
    assert.equal(await run('test -e /host-etc || test -e /host-root || echo none'), 'none');
    const info = await docker.getContainer(sandbox.containerId).inspect();
    assert.equal(info.HostConfig.Privileged, false);
    assert.equal(info.HostConfig.NetworkMode, 'none');
    assert.equal(info.HostConfig.CapAdd, null);
    assert.equal(await run('echo "[$LEAK]"'), '[]', '${localEnv:…} cannot read the host’s secrets');
    assert.ok(progress.some((m) => /mounts \(no host paths/.test(m)));
    assert.ok(progress.some((m) => /runArgs --network=host/.test(m)));
    assert.ok(progress.some((m) => /initializeCommand \(it would run on the host\)/.test(m)));
  });
});

describe('sandbox: a project without devcontainer.json gets the default (slow)', function () {
  this.timeout(180_000);

  it('uses tandem.sandbox.image as the non-root tandem user', async function () {
    await requireDocker(this);
    const state = tempDir('tandem-sandbox-state-');
    const repo = gitRepo({ 'README.md': '# plain\n' });
    const provider = new DevContainerProvider({
      rootDir: state.dir,
      config: () => sandboxConfig(),
    });
    const sandbox = (await provider.prepare({
      sessionId: 'defa0000-0001',
      flow: 'code_review',
      workspaceFolder: repo.dir,
    })) as DevContainerSandbox;
    try {
      const info = await docker.getContainer(sandbox.containerId).inspect();
      // The CLI may layer a user-mapping image on top; the base image's label shows through.
      assert.equal(info.Config.Labels['org.tandem.sandbox-base'], '1');
      assert.equal((await sandbox.exec('id -un')).stdout.trim(), 'tandem');
    } finally {
      await sandbox.dispose();
      repo.cleanup();
      state.cleanup();
    }
  });
});
