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

  it('untags the images the CLI built for the worktree when disposed; their layers stay as cache', async () => {
    const info = await docker.getContainer(sandbox.containerId).inspect();
    const built = info.Config.Image;
    assert.match(built, /^vsc-/);
    const tags = [built, built.replace(/-uid$/, '')];
    const tagged = async () =>
      (await docker.listImages())
        .flatMap((i) => i.RepoTags ?? [])
        .filter((t) => tags.some((b) => t.startsWith(`${b}:`)));
    assert.ok((await tagged()).length > 0);
    await sandbox.dispose();
    sandbox = undefined as unknown as DevContainerSandbox;
    assert.deepEqual(await tagged(), []);
    await assert.rejects(docker.getContainer(info.Id).inspect(), /no such container/i);
  });
});

describe('sandbox: a project without devcontainer.json gets the default (slow)', function () {
  this.timeout(180_000);
  let state: ReturnType<typeof tempDir>;
  const repos: ReturnType<typeof gitRepo>[] = [];
  const sandboxes: DevContainerSandbox[] = [];

  before(async function () {
    await requireDocker(this);
    state = tempDir('tandem-sandbox-state-');
  });
  after(async () => {
    for (const sandbox of sandboxes) await sandbox.dispose();
    for (const repo of repos) repo.cleanup();
    state?.cleanup();
  });

  const prepare = async (sessionId: string, files: Record<string, string>) => {
    const repo = gitRepo(files);
    repos.push(repo);
    const provider = new DevContainerProvider({
      rootDir: state.dir,
      config: () => sandboxConfig(),
    });
    const sandbox = (await provider.prepare({
      sessionId,
      flow: 'code_review',
      workspaceFolder: repo.dir,
    })) as DevContainerSandbox;
    sandboxes.push(sandbox);
    return sandbox;
  };

  it('uses tandem.sandbox.image as the non-root tandem user, without an image of its own', async () => {
    const sandbox = await prepare('defa0000-0001', { 'README.md': '# plain\n' });
    const info = await docker.getContainer(sandbox.containerId).inspect();
    assert.equal(info.Config.Image, sandboxConfig().image);
    assert.equal(info.Config.Labels['org.tandem.session'], 'defa0000-0001');
    assert.equal((await sandbox.exec('id -un')).stdout.trim(), 'tandem');
    assert.equal((await sandbox.exec('cat README.md')).stdout, '# plain\n');
  });

  it('gets the same containment as a container the devcontainer CLI starts', async () => {
    const direct = await prepare('defa0000-0002', { 'README.md': '# plain\n' });
    const viaCli = await prepare('defa0000-0003', {
      '.devcontainer/devcontainer.json':
        '{ "image": "tandem/sandbox-base:bookworm", "remoteUser": "tandem" }',
      'README.md': '# configured\n',
    });
    const containment = async (sandbox: DevContainerSandbox) => {
      const { HostConfig: h, Mounts } = await docker.getContainer(sandbox.containerId).inspect();
      return {
        network: h.NetworkMode,
        memory: h.Memory,
        swap: h.MemorySwap,
        cpus: h.NanoCpus,
        pids: h.PidsLimit,
        securityOpt: h.SecurityOpt,
        privileged: h.Privileged,
        capAdd: h.CapAdd,
        devices: h.Devices ?? [],
        ports: Object.keys(h.PortBindings ?? {}),
        mounts: Mounts.map((m) => [m.Type, m.Destination, m.RW]),
      };
    };
    const expected = await containment(viaCli);
    assert.deepEqual(await containment(direct), expected);
    assert.equal(expected.network, 'none');
    assert.equal(expected.memory, 256 * 1024 ** 2);
    assert.deepEqual(expected.securityOpt, ['no-new-privileges']);
    assert.deepEqual(expected.mounts, [['bind', '/workspaces/worktree', true]]);
  });
});
