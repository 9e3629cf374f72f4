import * as fs from 'node:fs';
import * as path from 'node:path';
import Docker from 'dockerode';
import type { SandboxConfig } from '../server/config';
import { isLiveOwner, ownerId } from '../server/store/owner';
import { SANDBOX_UID, SANDBOX_USER } from './base-image';
import { execInContainer, type ExecTarget } from './container-exec';
import { containedConfig } from './devcontainer-config';
import { devcontainerCli, devcontainerUp, type UpResult, writeConfig } from './devcontainer-cli';
import { canStartDirectly, startDefaultContainer } from './default-container';
import { addWorktree, hasProjectConfig, removeWorktree } from './git';
import { giveWorktreeTo } from './workspace-owner';
import { readAccount } from './container-passwd';
import {
  type DirEntry,
  type ExecOptions,
  type ExecResult,
  type PrepareOptions,
  type Sandbox,
  SandboxError,
  type SandboxProvider,
} from './sandbox';
import { listWorkspaceDir, readWorkspaceFile, writeWorkspaceFile } from './workspace-files';

const LABEL_SESSION = 'org.tandem.session';
const LABEL_OWNER = 'org.tandem.owner';

export interface DevContainerOptions {
  /** Where worktrees and contained configurations live (under the state directory). */
  rootDir: string;
  config: () => SandboxConfig;
  docker?: Docker;
}

/**
 * Sandboxes as dev containers: per session, a git worktree on its own branch, bind-mounted into
 * a container brought up by `@devcontainers/cli` from the project's devcontainer.json (or the
 * default image), with containment applied; commands and teardown through the Docker API.
 */
export class DevContainerProvider implements SandboxProvider {
  readonly docker: Docker;

  constructor(private readonly options: DevContainerOptions) {
    this.docker = options.docker ?? new Docker();
  }

  async check(): Promise<string[]> {
    const problems: string[] = [];
    try {
      await this.docker.ping();
    } catch (error) {
      problems.push(
        `Docker is not running (${(error as Error).message}): start it (\`sudo systemctl start docker\` or \`dockerd\`), or point DOCKER_HOST at a running daemon.`,
      );
      return problems;
    }
    const image = this.options.config().image;
    const present = await this.docker
      .getImage(image)
      .inspect()
      .then(() => true)
      .catch(() => false);
    if (!present) {
      problems.push(
        `The sandbox image ${image} is not on this machine: build it offline with \`tandem sandbox build-image\`, or set tandem.sandbox.image to an image you have.`,
      );
    }
    try {
      devcontainerCli();
    } catch {
      problems.push(
        'The devcontainer CLI (@devcontainers/cli) is missing: reinstall tandem (npm ci).',
      );
    }
    return problems;
  }

  async worktree(options: PrepareOptions): Promise<string> {
    const sandboxDir = path.join(this.options.rootDir, options.sessionId);
    const worktree = path.join(sandboxDir, 'worktree');
    if (!fs.existsSync(worktree)) {
      // A new worktree is a new directory: containers left from before mount the old one.
      const left = await this.docker
        .listContainers({
          all: true,
          filters: { label: [`${LABEL_SESSION}=${options.sessionId}`] },
        })
        .catch(() => []);
      for (const info of left) await removeContainer(this.docker, info.Id);
      fs.rmSync(path.join(sandboxDir, 'container.json'), { force: true });
      await addWorktree(options.workspaceFolder, worktree, sessionBranch(options), options.ref);
    }
    return worktree;
  }

  async prepare(options: PrepareOptions): Promise<Sandbox> {
    const sandboxDir = path.join(this.options.rootDir, options.sessionId);
    const worktree = path.join(sandboxDir, 'worktree');
    const branch = sessionBranch(options);
    const fresh = !fs.existsSync(worktree);
    if (fresh) options.onProgress?.('creating the worktree');
    // Whether the default container may start before the worktree exists: only git can tell
    // whether the project brings its own devcontainer.json at `ref`.
    const early = fresh && canStartDirectly({ hasProjectConfig: false });
    const [problems, projectConfig] = await Promise.all([
      this.check(),
      early ? hasProjectConfig(options.workspaceFolder, options.ref) : undefined,
    ]);
    if (problems.length > 0) {
      const code = problems[0].startsWith('Docker') ? 'docker_unavailable' : 'image_missing';
      throw new SandboxError(problems.join(' '), code);
    }
    let container: PreparedContainer | undefined;
    if (fresh) {
      // A new worktree is a new directory: a container left from before mounts the old one.
      const stale = readSaved(sandboxDir);
      if (stale) await removeContainer(this.docker, stale.id);
      const add = () => addWorktree(options.workspaceFolder, worktree, branch, options.ref);
      if (projectConfig === false) {
        // The default container needs only the worktree's directory: it starts while git fills it.
        fs.mkdirSync(worktree, { recursive: true });
        container = await this.up(options, sandboxDir, worktree, add());
      } else {
        await add();
      }
    } else {
      container = await this.findContainer(options.sessionId, sandboxDir);
      // One a stopped server left goes first: what it still runs must not write into the worktree.
      const stale = container ? undefined : readSaved(sandboxDir);
      if (stale) await removeContainer(this.docker, stale.id);
    }
    container ??= await this.up(options, sandboxDir, worktree);
    return new DevContainerSandbox(this.docker, container, {
      worktree,
      branch,
      repo: options.workspaceFolder,
      config: this.options.config(),
    });
  }

  async cleanupOrphans(): Promise<number> {
    const containers = await this.docker
      .listContainers({ all: true, filters: { label: [LABEL_OWNER] } })
      .catch(() => []);
    let removed = 0;
    for (const info of containers) {
      if (isLiveOwner(info.Labels[LABEL_OWNER]) || info.Labels[LABEL_OWNER] === ownerId()) continue;
      if (await removeContainer(this.docker, info.Id)) removed++;
    }
    return removed;
  }

  /** The session's running container, reused for the session's life. */
  private async findContainer(
    sessionId: string,
    sandboxDir: string,
  ): Promise<PreparedContainer | undefined> {
    const [info] = await this.docker.listContainers({
      filters: { label: [`${LABEL_SESSION}=${sessionId}`], status: ['running'] },
    });
    const saved = readSaved(sandboxDir);
    // A container a stopped server left may still run what it was doing: a new one replaces it.
    if (!info || !saved || saved.id !== info.Id) return undefined;
    if (info.Labels?.[LABEL_OWNER] !== ownerId()) return undefined;
    return saved;
  }

  /**
   * Brings the container up. `filling` is git checking the worktree out into its (already
   * created) directory, for the default container only; it is awaited before anything runs.
   */
  private async up(
    options: PrepareOptions,
    sandboxDir: string,
    worktree: string,
    filling?: Promise<void>,
  ): Promise<PreparedContainer> {
    const contained = containedConfig(worktree, this.options.config());
    for (const item of contained.dropped)
      options.onProgress?.(`ignored from devcontainer.json: ${item}`);
    // The default image's user is known: the worktree is handed to it once git has filled it.
    const knownUser = !contained.source && contained.config.remoteUser === SANDBOX_USER;
    const ready = (filling ?? Promise.resolve()).then(() =>
      knownUser ? giveWorktreeTo(worktree, SANDBOX_UID, SANDBOX_UID) : undefined,
    );
    if (!filling) await ready;
    options.onProgress?.('starting the dev container');
    const labels = { [LABEL_SESSION]: options.sessionId, [LABEL_OWNER]: ownerId() };
    const starting = canStartDirectly({ hasProjectConfig: contained.source !== undefined })
      ? this.startDirectly(contained.config, worktree, labels)
      : devcontainerUp({
          worktree,
          configFile: writeConfig(path.join(sandboxDir, 'devcontainer'), contained.config),
          labels,
          onProgress: options.onProgress,
        });
    const [started, filled] = await Promise.allSettled([starting, ready]);
    if (filled.status === 'rejected') {
      if (started.status === 'fulfilled')
        await removeContainer(this.docker, started.value.containerId);
      throw filled.reason;
    }
    if (started.status === 'rejected') throw started.reason;
    const up = started.value;
    const user = await this.nonRootUser(up.containerId, up.remoteUser);
    if (!knownUser) await this.handWorktreeTo(up.containerId, user, worktree);
    const prepared = { id: up.containerId, user, workspaceFolder: up.remoteWorkspaceFolder };
    fs.writeFileSync(path.join(sandboxDir, 'container.json'), JSON.stringify(prepared));
    return prepared;
  }

  private async startDirectly(
    config: Record<string, unknown>,
    worktree: string,
    labels: Record<string, string>,
  ): Promise<UpResult> {
    const workspaceFolder = config.workspaceFolder as string;
    const containerId = await startDefaultContainer(this.docker, {
      image: config.image as string,
      worktree,
      workspaceFolder,
      labels,
      sandbox: this.options.config(),
    });
    return {
      containerId,
      remoteUser: (config.remoteUser as string | undefined) ?? 'root',
      remoteWorkspaceFolder: workspaceFolder,
    };
  }

  private async handWorktreeTo(containerId: string, user: string, worktree: string): Promise<void> {
    if (user === 'root' || process.getuid?.() !== 0) return;
    const account = await readAccount(this.docker, containerId, user);
    if (account) await giveWorktreeTo(worktree, account.uid, account.gid);
  }

  /** Commands run as the configured user; if that is root and the image has uid 1000, as that. */
  private async nonRootUser(containerId: string, remoteUser: string): Promise<string> {
    if (remoteUser && remoteUser !== 'root' && remoteUser !== '0') return remoteUser;
    const target = {
      docker: this.docker,
      containerId,
      user: 'root',
      cwd: '/',
      outputLimit: 4096,
      defaultTimeoutMs: 10_000,
    };
    const found = await execInContainer(target, 'getent passwd 1000 | cut -d: -f1').catch(
      () => undefined,
    );
    return found?.exitCode === 0 && found.stdout.trim() ? found.stdout.trim() : 'root';
  }
}

/** The session's own branch, e.g. `tandem/fix_pipeline-1a2b3c4d`. */
function sessionBranch(options: PrepareOptions): string {
  return `tandem/${options.flow}-${options.sessionId.slice(0, 8)}`;
}

/**
 * Removes a sandbox container and untags the image the devcontainer CLI built for its worktree
 * (`vsc-<folder>-<hash>[-uid]`), so sessions do not pile up tags; the layers stay, as the build
 * cache of the next session. True when the container was removed.
 */
async function removeContainer(docker: Docker, id: string): Promise<boolean> {
  const container = docker.getContainer(id);
  const image = await container
    .inspect()
    .then((info) => info.Config.Image)
    .catch(() => undefined);
  const removed = await container
    .remove({ force: true })
    .then(() => true)
    .catch(() => false);
  if (image?.startsWith('vsc-')) {
    for (const tag of new Set([image, image.replace(/-uid$/, '')]))
      await docker
        .getImage(tag)
        .remove({ noprune: true })
        .catch(() => undefined);
  }
  return removed;
}

interface PreparedContainer {
  id: string;
  user: string;
  workspaceFolder: string;
}

function readSaved(sandboxDir: string): PreparedContainer | undefined {
  try {
    return JSON.parse(
      fs.readFileSync(path.join(sandboxDir, 'container.json'), 'utf8'),
    ) as PreparedContainer;
  } catch {
    return undefined;
  }
}

export class DevContainerSandbox implements Sandbox {
  readonly worktree: string;
  readonly branch: string;
  readonly workspaceFolder: string;
  private readonly target: ExecTarget;

  constructor(
    private readonly docker: Docker,
    container: PreparedContainer,
    private readonly details: {
      worktree: string;
      branch: string;
      repo: string;
      config: SandboxConfig;
    },
  ) {
    this.worktree = details.worktree;
    this.branch = details.branch;
    this.workspaceFolder = container.workspaceFolder;
    this.target = {
      docker,
      containerId: container.id,
      user: container.user,
      cwd: container.workspaceFolder,
      outputLimit: details.config.outputLimit,
      defaultTimeoutMs: details.config.commandTimeoutMs,
    };
  }

  get containerId(): string {
    return this.target.containerId;
  }

  get user(): string {
    return this.target.user;
  }

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const cwd = options.cwd ? path.posix.resolve(this.workspaceFolder, options.cwd) : undefined;
    if (cwd && !(cwd === this.workspaceFolder || cwd.startsWith(`${this.workspaceFolder}/`))) {
      throw new SandboxError(
        `The working directory ${options.cwd} is outside the workspace.`,
        'path_outside',
      );
    }
    return execInContainer(this.target, command, { ...options, cwd });
  }

  readFile(file: string): Promise<string> {
    return readWorkspaceFile(this.worktree, file);
  }

  writeFile(file: string, content: string): Promise<void> {
    return writeWorkspaceFile(this.worktree, file, content);
  }

  listDir(dir: string): Promise<DirEntry[]> {
    return listWorkspaceDir(this.worktree, dir);
  }

  /** Removes the container and the worktree; the session's branch (and its commits) stays. */
  async dispose(): Promise<void> {
    await removeContainer(this.docker, this.target.containerId);
    await removeWorktree(this.details.repo, this.worktree);
  }
}
