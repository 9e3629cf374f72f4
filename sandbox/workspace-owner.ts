import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/**
 * When the server runs as root, the worktree belongs to root while commands run as the image's
 * non-root user, who could then not write build output. The worktree (a directory tandem
 * created, never the person's own tree) is handed to that user, and files tandem writes later
 * follow the worktree's owner. As any other user, either the uids already match (the default
 * image's user is uid 1000) or the devcontainer CLI maps the container user to the host user.
 */
export async function giveWorktreeTo(worktree: string, uid: number, gid: number): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const walk = async (target: string): Promise<void> => {
    await fs.lchown(target, uid, gid);
    const stat = await fs.lstat(target);
    if (!stat.isDirectory()) return;
    for (const entry of await fs.readdir(target)) await walk(path.join(target, entry));
  };
  await walk(worktree);
}

/** Makes a file or directory tandem just created belong to the worktree's owner. */
export async function matchWorktreeOwner(worktree: string, created: string[]): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const owner = await fs.stat(worktree);
  if (owner.uid === 0) return;
  for (const target of created)
    await fs.lchown(target, owner.uid, owner.gid).catch(() => undefined);
}
