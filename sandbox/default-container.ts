import type Docker from 'dockerode';
import type { SandboxConfig } from '../server/config';
import { SANDBOX_UID } from './base-image';
import { SandboxError } from './sandbox';

/**
 * A project without a devcontainer.json gets the default container. It needs nothing the
 * devcontainer CLI adds (no build, no lifecycle commands, no features), so it is created through
 * the Docker API directly: one request pair instead of a CLI process and a handful of `docker`
 * invocations (≈ 0.2 s instead of ≈ 0.7 s). Containment is the same as on the CLI path
 * (`limits()` in devcontainer-config.ts); a test compares the two containers' host configs.
 *
 * The CLI stays in charge when the container user's uid must be mapped to the host user's
 * (`updateRemoteUserUID`: a non-root server on Linux whose uid is not the image user's).
 */
export function canStartDirectly(options: { hasProjectConfig: boolean }): boolean {
  if (options.hasProjectConfig) return false;
  const uid = process.getuid?.();
  return uid === undefined || uid === 0 || uid === SANDBOX_UID || process.platform !== 'linux';
}

/** Keeps the container alive until it is stopped; SIGTERM ends it at once. */
const KEEP_ALIVE = 'trap "exit 0" TERM; while sleep 1 & wait $!; do :; done';

export async function startDefaultContainer(
  docker: Docker,
  options: {
    image: string;
    worktree: string;
    workspaceFolder: string;
    labels: Record<string, string>;
    sandbox: SandboxConfig;
  },
): Promise<string> {
  let container: Docker.Container | undefined;
  try {
    container = await docker.createContainer({
      Image: options.image,
      Entrypoint: ['/bin/sh', '-c', KEEP_ALIVE],
      Cmd: [],
      WorkingDir: options.workspaceFolder,
      Labels: options.labels,
      HostConfig: containmentHostConfig(options.sandbox, {
        source: options.worktree,
        target: options.workspaceFolder,
      }),
    });
    await container.start();
    return container.id;
  } catch (error) {
    await container?.remove({ force: true }).catch(() => undefined);
    throw new SandboxError(
      `The sandbox container did not start: ${(error as Error).message}`,
      'prepare_failed',
    );
  }
}

/** The host configuration `limits()` asks of `docker run`, in Docker API terms. */
export function containmentHostConfig(
  sandbox: SandboxConfig,
  mount: { source: string; target: string },
): Docker.HostConfig {
  const memory = bytes(sandbox.memory);
  return {
    Mounts: [{ Type: 'bind', Source: mount.source, Target: mount.target }],
    NetworkMode: sandbox.network,
    Memory: memory,
    MemorySwap: memory,
    NanoCpus: Math.round(sandbox.cpus * 1e9),
    PidsLimit: sandbox.pids,
    SecurityOpt: ['no-new-privileges'],
  };
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `512m`, `2g`, `1048576` → bytes, as `docker run --memory` reads them. */
export function bytes(size: string): number {
  const match = /^(\d+)([kmg]?)$/i.exec(size.trim());
  if (!match) throw new SandboxError(`Invalid memory size "${size}"; use e.g. 512m or 2g.`);
  return Number(match[1]) * UNITS[match[2].toLowerCase()];
}
