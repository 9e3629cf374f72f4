import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SandboxError } from './sandbox';

/** Debian packages of the default image: enough to build and test most projects offline. */
const PACKAGES = [
  'git',
  'ca-certificates',
  'nodejs',
  'npm',
  'python3',
  'make',
  'g++',
  'procps',
  'passwd',
];

/** The non-root user commands run as in the default image, and its uid/gid. */
export const SANDBOX_USER = 'tandem';
export const SANDBOX_UID = 1000;

export interface BuildImageOptions {
  tag: string;
  mirror?: string;
  onProgress?: (line: string) => void;
}

/**
 * Builds the default sandbox image from Debian packages with mmdebstrap and `docker import`,
 * for machines that cannot pull from a registry. About a minute and 440 MB.
 */
export async function buildBaseImage(options: BuildImageOptions): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-image-'));
  const rootfs = path.join(dir, 'rootfs.tar');
  try {
    await run(
      'mmdebstrap',
      [
        '--variant=apt',
        `--include=${PACKAGES.join(',')}`,
        `--customize-hook=chroot "$1" useradd --create-home --uid ${SANDBOX_UID} --user-group --shell /bin/bash ${SANDBOX_USER}`,
        // Apt caches and lists are not needed at run time.
        '--customize-hook=rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*',
        'bookworm',
        rootfs,
        ...(options.mirror ? [options.mirror] : []),
      ],
      options.onProgress,
      'mmdebstrap is needed to build the image offline: apt-get install -y mmdebstrap',
    );
    await run(
      'docker',
      [
        'import',
        '--change',
        'CMD ["/bin/bash"]',
        '--change',
        'ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        '--change',
        'LABEL org.tandem.sandbox-base=1',
        rootfs,
        options.tag,
      ],
      options.onProgress,
      'Docker is needed to import the image: install docker.io and start dockerd',
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function run(
  command: string,
  args: string[],
  onLine: ((line: string) => void) | undefined,
  missing: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const take = (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) onLine?.(line.trim());
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(new SandboxError(error.code === 'ENOENT' ? missing : error.message, 'image_missing')),
    );
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(
            new SandboxError(`${command} failed (exit ${code}):\n${tail.trim()}`, 'image_missing'),
          ),
    );
  });
}
