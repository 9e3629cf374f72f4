import type { SessionStatus } from '../../server/protocol/index';

/** How a session status looks everywhere: label, codicon, and whether the icon spins. */
export const STATUS_LOOK: Record<SessionStatus, { label: string; icon: string; spin?: boolean }> = {
  queued: { label: 'Queued', icon: 'clock' },
  running: { label: 'Running', icon: 'sync', spin: true },
  awaiting_approval: { label: 'Waiting for your approval', icon: 'bell-dot' },
  completed: { label: 'Completed', icon: 'pass-filled' },
  failed: { label: 'Failed', icon: 'error' },
  cancelled: { label: 'Cancelled', icon: 'circle-slash' },
  interrupted: { label: 'Interrupted', icon: 'debug-pause' },
};

export const REFERENCE_KINDS: Record<string, string> = {
  pipeline: 'Pipeline',
  issue: 'Issue',
  merge_request: 'Merge request',
};

/** `5s`, `3 min`, `2 h`, `4 d`: how long ago (or how long), compact. */
export function age(fromIso: string, now: number): string {
  const ms = Math.max(0, now - Date.parse(fromIso));
  return duration(ms);
}

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h`;
  return `${Math.round(h / 24)} d`;
}

export function milliseconds(ms: number | undefined): string {
  if (ms === undefined) return '–';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** A step name as people read it: `fetch_diff` → `fetch diff`. */
export function stepName(step: string | undefined): string {
  return (step ?? '').replace(/_/g, ' ');
}

export function time(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString();
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
