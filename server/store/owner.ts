import * as fs from 'node:fs';

/**
 * Which server process owns a session or approval: `pid:start`, where `start` is the process's
 * start time in clock ticks since boot (Linux), so a reused pid never passes for the server that
 * died. Elsewhere `start` is empty and liveness falls back to the pid alone.
 */
export function ownerId(): string {
  return (cachedOwner ??= `${process.pid}:${startTime(process.pid) ?? ''}`);
}

let cachedOwner: string | undefined;

/** True when the owner is a running process other than this one. */
export function isLiveOwner(owner: string | null): boolean {
  if (!owner || owner === ownerId()) return false;
  const [pidText, start] = owner.split(':');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const now = startTime(pid);
  return now === undefined || !start || now === start;
}

function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22, counted after the command name, which may itself contain spaces or parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
