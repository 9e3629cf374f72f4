// Sandbox figures: our exec vs raw dockerode exec on the same container, and prepare (cold and
// warm) vs `devcontainer up` alone and vs the floor (a bare container create + start), measured
// side by side in alternating pairs.
import * as path from 'node:path';
import { Writable } from 'node:stream';
import Docker from 'dockerode';
import { DevContainerProvider, type DevContainerSandbox } from '../sandbox/devcontainer-sandbox';
import { containedConfig } from '../sandbox/devcontainer-config';
import { devcontainerUp, writeConfig } from '../sandbox/devcontainer-cli';
import { addWorktree, removeWorktree } from '../sandbox/git';
import { gitRepo, sandboxConfig } from '../test/support/docker-world';
import { tempDir } from '../test/support/temp-dir';
import { progress } from './report';
import type { Scope } from './scope';
import { median } from './stats';

export interface PairedResult {
  oursMs: number[];
  rawMs: number[];
  ratioMedian: number;
}

export interface SandboxResult {
  available: boolean;
  problem?: string;
  execTrue?: PairedResult;
  execMegabyte?: PairedResult;
  prepareCold?: PairedResult;
  prepareFloor?: PairedResult;
  prepareWarmMs?: number[];
}

const MEGABYTE = "head -c 1048576 /dev/zero | tr '\\0' a";

export async function measureSandbox(
  scope: Scope,
  plan: { execPairs: number; preparePairs: number; warm: number },
): Promise<SandboxResult> {
  const docker = new Docker();
  const state = tempDir('tandem-bench-sandbox-');
  scope.defer(() => state.cleanup());
  const repo = gitRepo({ 'README.md': '# bench\n' });
  scope.defer(() => repo.cleanup());
  const provider = new DevContainerProvider({
    rootDir: state.dir,
    config: () => sandboxConfig({ memory: '1g', pids: 256 }),
    docker,
  });
  const problems = await provider.check();
  if (problems.length > 0) return { available: false, problem: problems.join(' ') };

  const sandbox = (await provider.prepare({
    sessionId: 'bench000-warm',
    flow: 'bench',
    workspaceFolder: repo.dir,
  })) as DevContainerSandbox;
  scope.defer(() => sandbox.dispose());
  const raw = (command: string) =>
    rawExec(docker, sandbox.containerId, sandbox.user, sandbox.workspaceFolder, command);
  const ours = (command: string) => sandbox.exec(command);
  const execTrue = await paired(
    'sandbox exec true',
    plan.execPairs,
    () => timed(() => ours('true')),
    () => timed(() => raw('true')),
  );
  const execMegabyte = await paired(
    'sandbox exec 1 MB',
    plan.execPairs,
    () => timed(() => ours(MEGABYTE)),
    () => timed(() => raw(MEGABYTE)),
  );

  const prepareWarmMs: number[] = [];
  for (let i = 0; i < plan.warm; i++) {
    progress('sandbox prepare warm', i + 1, plan.warm);
    const started = performance.now();
    await provider.prepare({
      sessionId: 'bench000-warm',
      flow: 'bench',
      workspaceFolder: repo.dir,
    });
    prepareWarmMs.push(performance.now() - started);
  }

  let n = 0;
  const cold = async (): Promise<Timed> => {
    const started = performance.now();
    const prepared = await provider.prepare({
      sessionId: `bench${String(++n).padStart(3, '0')}-cold`,
      flow: 'bench',
      workspaceFolder: repo.dir,
    });
    return { ms: performance.now() - started, cleanup: () => prepared.dispose() };
  };
  const prepareCold = await paired('sandbox prepare cold', plan.preparePairs, cold, () =>
    upAlone(docker, repo.dir, state.dir, ++n),
  );
  const prepareFloor = await paired('sandbox prepare cold vs run', plan.preparePairs, cold, () =>
    runAlone(docker, repo.dir, state.dir, ++n),
  );
  return { available: true, execTrue, execMegabyte, prepareCold, prepareFloor, prepareWarmMs };
}

interface Timed {
  ms: number;
  /** Undoes what the run made, outside the timing. */
  cleanup?: () => Promise<void>;
}

async function timed(run: () => Promise<unknown>): Promise<Timed> {
  const started = performance.now();
  await run();
  return { ms: performance.now() - started };
}

/** Alternates A and B (after one warm-up of each) and takes the ratio pair by pair. */
async function paired(
  phase: string,
  pairs: number,
  ours: () => Promise<Timed>,
  raw: () => Promise<Timed>,
): Promise<PairedResult> {
  const oursMs: number[] = [];
  const rawMs: number[] = [];
  const once = async (run: () => Promise<Timed>, into?: number[]) => {
    const result = await run();
    into?.push(result.ms);
    await result.cleanup?.();
  };
  await once(ours);
  await once(raw);
  for (let i = 0; i < pairs; i++) {
    progress(phase, i + 1, pairs);
    if (i % 2 === 0) {
      await once(ours, oursMs);
      await once(raw, rawMs);
    } else {
      await once(raw, rawMs);
      await once(ours, oursMs);
    }
  }
  const ratios = oursMs.map((value, i) => value / rawMs[i]);
  return { oursMs, rawMs, ratioMedian: median(ratios) };
}

/** The baseline: the Docker API used directly, collecting all output. */
async function rawExec(
  docker: Docker,
  id: string,
  user: string,
  cwd: string,
  command: string,
): Promise<number> {
  const exec = await docker.getContainer(id).exec({
    Cmd: ['/bin/sh', '-c', command],
    AttachStdout: true,
    AttachStderr: true,
    User: user,
    WorkingDir: cwd,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  docker.modem.demuxStream(stream, sink, sink);
  await new Promise((resolve) => stream.on('end', resolve));
  return (await exec.inspect()).ExitCode ?? -1;
}

/** The baseline for prepare: a worktree made outside the timing, then `devcontainer up` alone. */
async function upAlone(docker: Docker, repo: string, stateDir: string, n: number): Promise<Timed> {
  const dir = path.join(stateDir, `baseline-${n}`);
  const worktree = path.join(dir, 'worktree');
  await addWorktree(repo, worktree, `bench/baseline-${n}`);
  const contained = containedConfig(worktree, sandboxConfig({ memory: '1g', pids: 256 }));
  const config = writeConfig(path.join(dir, 'devcontainer'), contained.config);
  const started = performance.now();
  const up = await devcontainerUp({
    worktree,
    configFile: config,
    labels: { 'org.tandem.bench': String(n) },
  });
  return {
    ms: performance.now() - started,
    cleanup: async () => {
      await docker.getContainer(up.containerId).remove({ force: true });
      await removeWorktree(repo, worktree);
    },
  };
}

/**
 * The floor for prepare: a worktree made outside the timing, then the least any container
 * sandbox pays, a bare create + start of the same image with the worktree mounted.
 */
async function runAlone(docker: Docker, repo: string, stateDir: string, n: number): Promise<Timed> {
  const worktree = path.join(stateDir, `floor-${n}`, 'worktree');
  await addWorktree(repo, worktree, `bench/floor-${n}`);
  const started = performance.now();
  const container = await docker.createContainer({
    Image: sandboxConfig().image,
    Entrypoint: ['sleep', 'infinity'],
    HostConfig: { Binds: [`${worktree}:/workspaces/worktree`], NetworkMode: 'none' },
  });
  await container.start();
  return {
    ms: performance.now() - started,
    cleanup: async () => {
      await container.remove({ force: true });
      await removeWorktree(repo, worktree);
    },
  };
}
