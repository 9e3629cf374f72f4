import type Docker from 'dockerode';

/**
 * A user's uid and gid from the container's /etc/passwd, read through the Docker archive API:
 * one request, no process started in the container.
 */
export async function readAccount(
  docker: Docker,
  containerId: string,
  user: string,
): Promise<{ uid: number; gid: number } | undefined> {
  const archive = await docker
    .getContainer(containerId)
    .getArchive({ path: '/etc/passwd' })
    .catch(() => undefined);
  if (!archive) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of archive as AsyncIterable<Buffer>) chunks.push(chunk);
  const passwd = firstTarEntry(Buffer.concat(chunks));
  for (const line of passwd.split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === user || uid === user) return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/** The content of the first file in a tar stream (512-byte header, octal size at 124). */
function firstTarEntry(tar: Buffer): string {
  const size = parseInt(tar.subarray(124, 136).toString('ascii').replace(/\0.*$/, '').trim(), 8);
  return tar.subarray(512, 512 + (Number.isFinite(size) ? size : 0)).toString('utf8');
}
