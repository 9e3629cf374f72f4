import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import { DevContainerProvider, type DevContainerSandbox } from '../../sandbox/devcontainer-sandbox';
import { SandboxError } from '../../sandbox/sandbox';
import {
  docker,
  gitRepo,
  requireDocker,
  sandboxConfig,
  snapshotTree,
} from '../support/docker-world';
import { tempDir } from '../support/temp-dir';

const SECRETS = { GITLAB_TOKEN: 'glpat-must-not-leak-123', OPENAI_API_KEY: 'sk-must-not-leak-456' };

describe('sandbox: dev containers on a real Docker daemon (slow)', function () {
  this.timeout(180_000);
  let state: ReturnType<typeof tempDir>;
  let repo: ReturnType<typeof gitRepo>;
  let provider: DevContainerProvider;
  let sandbox: DevContainerSandbox;
  let hostServer: http.Server;
  let hostPort: number;
  const hostMarker = path.join(os.tmpdir(), `tandem-host-marker-${process.pid}`);
  const saved = { ...process.env };

  before(async function () {
    await requireDocker(this);
    // The server's own environment holds secrets; none may reach the container.
    Object.assign(process.env, SECRETS);
    state = tempDir('tandem-sandbox-state-');
    repo = gitRepo({ 'README.md': '# app\n', 'src/index.js': 'console.log("hi");\n' });
    fs.writeFileSync(path.join(repo.dir, 'untracked-host-file.txt'), 'only on the host\n');
    fs.writeFileSync(hostMarker, 'host');
    provider = new DevContainerProvider({ rootDir: state.dir, config: () => sandboxConfig() });
    sandbox = (await provider.prepare({
      sessionId: 'c0ffee00-0001',
      flow: 'code_review',
      workspaceFolder: repo.dir,
    })) as DevContainerSandbox;
    hostServer = http.createServer((_, res) => res.end('host')).listen(0, '127.0.0.1');
    await new Promise((resolve) => hostServer.once('listening', resolve));
    hostPort = (hostServer.address() as { port: number }).port;
  });
  after(async () => {
    process.env = saved;
    await sandbox?.dispose();
    hostServer?.close();
    fs.rmSync(hostMarker, { force: true });
    repo?.cleanup();
    state?.cleanup();
  });

  const run = (command: string, options = {}) => sandbox.exec(command, options);

  it('runs as the image’s non-root user in the worktree, on the session branch', async () => {
    const id = await run('id -un; pwd; cat README.md');
    assert.equal(id.exitCode, 0, id.stderr);
    assert.deepEqual(id.stdout.trim().split('\n'), ['tandem', sandbox.workspaceFolder, '# app']);
    assert.equal(sandbox.branch, 'tandem/code_review-c0ffee00');
  });

  it('has no network: only loopback, and the host’s services are out of reach', async () => {
    assert.equal((await run('ls /sys/class/net')).stdout.trim(), 'lo');
    const fromHost = await fetch(`http://127.0.0.1:${hostPort}`).then((r) => r.text());
    assert.equal(fromHost, 'host', 'the service answers on the host');
    const probe = `node -e "require('http').get('http://127.0.0.1:${hostPort}', () => process.exit(0)).on('error', (e) => { console.log(e.code); process.exit(3); })"`;
    const attempt = await run(probe);
    assert.equal(attempt.exitCode, 3);
    assert.equal(attempt.stdout.trim(), 'ECONNREFUSED');
    assert.notEqual((await run('getent hosts deb.debian.org')).exitCode, 0, 'no name resolution');
  });

  it('cannot see host files outside the worktree', async () => {
    const checks = [
      hostMarker,
      path.join(repo.dir, 'untracked-host-file.txt'),
      repo.dir,
      state.dir,
      '/var/run/docker.sock',
    ];
    for (const file of checks) {
      assert.equal((await run(`test -e '${file}'`)).exitCode, 1, `${file} is not visible`);
    }
    assert.equal(
      (await run('test -e untracked-host-file.txt')).exitCode,
      1,
      'the worktree holds only committed files',
    );
    assert.deepEqual((await run('ls /workspaces')).stdout.trim().split('\n'), [
      path.basename(sandbox.workspaceFolder),
    ]);
  });

  it('has neither the GitLab token nor the model key in its environment, even when asked', async () => {
    const env = await run('env', { env: { ...SECRETS, NODE_ENV: 'test', CI: 'true' } });
    assert.equal(env.exitCode, 0);
    for (const [name, value] of Object.entries(SECRETS)) {
      assert.ok(!env.stdout.includes(name) && !env.stdout.includes(value), `${name} is absent`);
    }
    assert.match(env.stdout, /^NODE_ENV=test$/m, 'allow-listed variables pass');
    const container = await docker.getContainer(sandbox.containerId).inspect();
    assert.ok(!JSON.stringify(container.Config.Env).includes(SECRETS.GITLAB_TOKEN));
  });

  it('respects the memory limit', async () => {
    const container = await docker.getContainer(sandbox.containerId).inspect();
    assert.equal(container.HostConfig.Memory, 256 * 1024 * 1024);
    // `tail` holds a line without newlines in memory: 400 MB of it cannot fit in 256 MB.
    const hog = await run('head -c 400m /dev/zero | tail -n 1 > /dev/null', { timeoutMs: 60_000 });
    assert.notEqual(hog.exitCode, 0, 'the allocation is stopped');
    assert.ok(
      hog.exitCode === 137 || /heap out of memory/i.test(hog.stderr),
      `exit ${hog.exitCode}: ${hog.stderr.slice(-300)}`,
    );
    assert.equal((await run('echo still here')).stdout.trim(), 'still here');
  });

  it('respects the PID limit', async () => {
    const container = await docker.getContainer(sandbox.containerId).inspect();
    assert.equal(container.HostConfig.PidsLimit, 64);
    const bomb = await run('for i in $(seq 1 120); do sleep 3 & done; wait; echo finished', {
      timeoutMs: 60_000,
    });
    assert.match(
      bomb.stderr,
      /fork|resource temporarily unavailable/i,
      'forks beyond the limit fail',
    );
    // Leave no sleepers behind to eat the next test's process budget.
    await run('pkill -KILL -x sleep; true');
  });

  it('kills a command that exceeds its timeout, with all its children', async () => {
    const result = await run('sh -c "sleep 300 & sleep 301 & wait"', { timeoutMs: 1000 });
    assert.equal(result.timedOut, true, JSON.stringify(result));
    assert.equal(result.exitCode, 124);
    const left = await run(`ps -eo args | grep -c '^sleep 30[01]$' || true`);
    assert.equal(left.stdout.trim(), '0', 'no sleep survived');
  });

  it('caps output, keeping the head and the tail', async () => {
    const result = await run(`seq 1 400000`);
    assert.equal(result.truncated, true);
    assert.ok(result.stdout.startsWith('1\n2\n3\n'));
    assert.ok(result.stdout.trimEnd().endsWith('399999\n400000'));
    assert.match(result.stdout, /bytes omitted/);
  });

  it('streams output as it comes', async () => {
    const chunks: string[] = [];
    await run('echo one; echo two >&2', { onOutput: (chunk: string) => chunks.push(chunk) });
    assert.deepEqual(chunks.join('').split('\n').filter(Boolean).sort(), ['one', 'two']);
  });

  it('reuses the session’s container when prepared again (warm)', async () => {
    const again = (await provider.prepare({
      sessionId: 'c0ffee00-0001',
      flow: 'code_review',
      workspaceFolder: repo.dir,
    })) as DevContainerSandbox;
    assert.equal(again.containerId, sandbox.containerId);
  });

  it('leaves the person’s working tree byte-for-byte unchanged; the worktree changes instead', async () => {
    const before = snapshotTree(repo.dir);
    await sandbox.writeFile('src/index.js', 'console.log("changed");\n');
    await sandbox.writeFile('src/new.js', 'export {};\n');
    const built = await run('mkdir -p dist && cp src/index.js dist/ && echo ok');
    assert.equal(built.stdout.trim(), 'ok', built.stderr);
    assert.deepEqual(snapshotTree(repo.dir), before);
    assert.equal(
      fs.readFileSync(path.join(sandbox.worktree, 'dist', 'index.js'), 'utf8'),
      'console.log("changed");\n',
    );
  });

  it('refuses a working directory outside the workspace', async () => {
    await assert.rejects(async () => run('pwd', { cwd: '../..' }), /outside the workspace/);
  });
});

describe('sandbox: environment problems and failures (slow)', function () {
  this.timeout(180_000);
  let state: ReturnType<typeof tempDir>;
  let repo: ReturnType<typeof gitRepo>;

  before(async function () {
    await requireDocker(this);
    state = tempDir('tandem-sandbox-state-');
    repo = gitRepo({ 'README.md': '# app\n' });
  });
  after(() => {
    repo?.cleanup();
    state?.cleanup();
  });

  it('says clearly at prepare when Docker is not running', async () => {
    const down = new DevContainerProvider({
      rootDir: state.dir,
      config: () => sandboxConfig(),
      docker: new Docker({ socketPath: path.join(state.dir, 'no-docker.sock') }),
    });
    assert.match((await down.check())[0], /^Docker is not running .*: start it/);
    await assert.rejects(
      down.prepare({ sessionId: 'd0d0d0d0-0001', flow: 'code_review', workspaceFolder: repo.dir }),
      (error: SandboxError) =>
        error.code === 'docker_unavailable' && /Docker is not running/.test(error.message),
    );
  });

  it('removes the container it started when git cannot make the worktree', async () => {
    // The session's branch is checked out elsewhere, so git refuses the worktree, while the
    // default container, started alongside, comes up.
    const elsewhere = path.join(state.dir, 'elsewhere');
    const branch = 'tandem/code_review-f111f111';
    execFileSync('git', ['-C', repo.dir, 'worktree', 'add', '-q', '-b', branch, elsewhere]);
    const provider = new DevContainerProvider({
      rootDir: state.dir,
      config: () => sandboxConfig(),
    });
    await assert.rejects(
      provider.prepare({
        sessionId: 'f111f111-0001',
        flow: 'code_review',
        workspaceFolder: repo.dir,
      }),
      /already (checked out|used by worktree)/,
    );
    const left = await docker.listContainers({
      all: true,
      filters: { label: ['org.tandem.session=f111f111-0001'] },
    });
    assert.deepEqual(left, []);
  });

  it('says clearly when the image is missing', async () => {
    const provider = new DevContainerProvider({
      rootDir: state.dir,
      config: () => sandboxConfig({ image: 'tandem/no-such-image:1' }),
    });
    assert.match((await provider.check()).join(' '), /tandem sandbox build-image/);
  });

  it('gives a clear error when the container is killed mid-command', async () => {
    const provider = new DevContainerProvider({
      rootDir: state.dir,
      config: () => sandboxConfig(),
    });
    const sandbox = (await provider.prepare({
      sessionId: 'k1llk1ll-0001',
      flow: 'code_review',
      workspaceFolder: repo.dir,
    })) as DevContainerSandbox;
    try {
      const running = sandbox.exec('sleep 120; echo never', { timeoutMs: 150_000 });
      await new Promise((resolve) => setTimeout(resolve, 500));
      await docker.getContainer(sandbox.containerId).kill();
      await assert.rejects(running, (error: SandboxError) => {
        assert.equal(error.code, 'container_gone');
        assert.match(
          error.message,
          /sandbox container ended while running `sleep 120; echo never`/,
        );
        return true;
      });
      await assert.rejects(
        sandbox.exec('true'),
        (error: SandboxError) => error.code === 'container_gone',
      );
    } finally {
      await sandbox.dispose();
    }
  });

  it('removes containers of servers that stopped without cleaning up', async () => {
    const container = await docker.createContainer({
      Image: sandboxConfig().image,
      Cmd: ['sleep', '600'],
      Labels: { 'org.tandem.owner': '999999999:1', 'org.tandem.session': 'orphan' },
      HostConfig: { NetworkMode: 'none' },
    });
    await container.start();
    const provider = new DevContainerProvider({
      rootDir: state.dir,
      config: () => sandboxConfig(),
    });
    assert.ok((await provider.cleanupOrphans()) >= 1);
    await assert.rejects(container.inspect(), /no such container/i);
  });
});
