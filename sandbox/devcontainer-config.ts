import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseJsonc, type ParseError, printParseErrorCode } from 'jsonc-parser';
import type { SandboxConfig } from '../server/config';
import { DEFAULT_SANDBOX_IMAGE } from '../server/settings';
import { SANDBOX_USER } from './base-image';
import { SandboxError } from './sandbox';

/** A devcontainer.json, after containment was applied, ready for `devcontainer up --config`. */
export interface ContainedConfig {
  config: Record<string, unknown>;
  /** What was dropped from the project's configuration, and why (shown as session events). */
  dropped: string[];
  /** Where the project's configuration came from, or undefined for the default one. */
  source?: string;
}

/** Keys of devcontainer.json that cannot widen what the container may reach. */
const KEPT_KEYS = [
  'name',
  'image',
  'build',
  'containerEnv',
  'remoteEnv',
  'remoteUser',
  'containerUser',
  'updateRemoteUserUID',
  'userEnvProbe',
  'overrideCommand',
  'workspaceFolder',
  'onCreateCommand',
  'updateContentCommand',
  'postCreateCommand',
  'postStartCommand',
  'waitFor',
  'shutdownAction',
];

/** `runArgs` flags a project may keep (with their value when they take one). */
const SAFE_RUN_ARGS = new Map<string, boolean>([
  ['--init', false],
  ['--shm-size', true],
  ['--ulimit', true],
  ['--label', true],
  ['--hostname', true],
]);

/**
 * Reads the project's `.devcontainer/devcontainer.json` (or `.devcontainer.json`), or makes the
 * default one, then applies containment: no host mounts but the worktree, no extra privileges,
 * the network and resource limits from `tandem.sandbox.*`. Everything dropped is reported.
 */
export function containedConfig(worktree: string, sandbox: SandboxConfig): ContainedConfig {
  const source = findConfig(worktree);
  const dropped: string[] = [];
  const config: Record<string, unknown> = source
    ? keepSafe(readConfig(source), path.dirname(source), dropped)
    : { name: 'tandem default', image: sandbox.image };
  if (!source && sandbox.image === DEFAULT_SANDBOX_IMAGE) config.remoteUser = SANDBOX_USER;
  // A server running as root hands the worktree to the container user instead
  // (workspace-owner.ts); mapping that user to uid 0 would only cost an image build.
  if (process.getuid?.() === 0) config.updateRemoteUserUID = false;
  config.workspaceFolder ??= `/workspaces/${path.basename(worktree)}`;
  config.workspaceMount = `type=bind,source=${worktree},target=${config.workspaceFolder as string}`;
  config.runArgs = [...((config.runArgs as string[] | undefined) ?? []), ...limits(sandbox)];
  return { config, dropped, source };
}

function findConfig(worktree: string): string | undefined {
  const candidates = [
    path.join(worktree, '.devcontainer', 'devcontainer.json'),
    path.join(worktree, '.devcontainer.json'),
  ];
  return candidates.find((file) => fs.existsSync(file));
}

function readConfig(file: string): Record<string, unknown> {
  const errors: ParseError[] = [];
  const value = parseJsonc(fs.readFileSync(file, 'utf8'), errors, { allowTrailingComma: true });
  if (errors.length > 0 || typeof value !== 'object' || value === null || Array.isArray(value)) {
    const first = errors[0];
    const why = first
      ? `${printParseErrorCode(first.error)} at offset ${first.offset}`
      : 'not an object';
    throw new SandboxError(
      `${file} is not valid devcontainer.json (${why}); fix it or remove it.`,
      'invalid',
    );
  }
  return value as Record<string, unknown>;
}

function keepSafe(
  raw: Record<string, unknown>,
  dir: string,
  dropped: string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (KEPT_KEYS.includes(key)) out[key] = value;
    else if (key === 'runArgs' && Array.isArray(value))
      out.runArgs = safeRunArgs(value.map(String), dropped);
    else if (!IGNORED_QUIETLY.includes(key))
      dropped.push(`${key} (${DROP_REASONS[key] ?? 'not supported in the sandbox'})`);
  }
  const build = out.build as Record<string, unknown> | undefined;
  if (build) {
    // The contained configuration lives outside the project: anchor its paths to the original.
    const dockerfile = build.dockerfile ?? build.dockerFile;
    if (typeof dockerfile === 'string') build.dockerfile = path.resolve(dir, dockerfile);
    delete build.dockerFile;
    build.context = path.resolve(dir, typeof build.context === 'string' ? build.context : '.');
  }
  if (out.image === undefined && !build) {
    throw new SandboxError(
      'The project\'s devcontainer.json has neither "image" nor "build"; docker compose configurations are not supported in the sandbox.',
      'invalid',
    );
  }
  return out;
}

const IGNORED_QUIETLY = [
  '$schema',
  'customizations',
  'forwardPorts',
  'portsAttributes',
  'otherPortsAttributes',
  'hostRequirements',
];

const DROP_REASONS: Record<string, string> = {
  mounts: 'no host paths but the worktree are mounted',
  workspaceMount: 'the sandbox mounts the worktree itself',
  privileged: 'no extra privileges',
  capAdd: 'no extra privileges',
  securityOpt: 'no extra privileges',
  features: 'features need a registry; bake them into the image instead',
  dockerComposeFile: 'docker compose is not supported in the sandbox',
  initializeCommand: 'it would run on the host',
  appPort: 'no published ports',
};

function safeRunArgs(args: string[], dropped: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    const takesValue = SAFE_RUN_ARGS.get(flag);
    if (takesValue === undefined) {
      dropped.push(`runArgs ${args[i]} (only ${[...SAFE_RUN_ARGS.keys()].join(', ')} are kept)`);
      if (inline === undefined && args[i + 1] && !args[i + 1].startsWith('-')) i++;
      continue;
    }
    out.push(args[i]);
    if (takesValue && inline === undefined && i + 1 < args.length) out.push(args[++i]);
  }
  return out;
}

function limits(sandbox: SandboxConfig): string[] {
  return [
    `--network=${sandbox.network}`,
    `--memory=${sandbox.memory}`,
    `--memory-swap=${sandbox.memory}`,
    `--cpus=${sandbox.cpus}`,
    `--pids-limit=${sandbox.pids}`,
    '--security-opt=no-new-privileges',
  ];
}
