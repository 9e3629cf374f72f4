import type {
  SessionCheckpoint,
  SessionRestoreResult,
  SessionStatus,
} from '../../server/protocol/index';

/**
 * The Checkpoints section of a session's details: which checkpoints it lists, and where a restore
 * stands (asked, confirmed and sent, failed, done with its undo). Pure, like `state.ts`.
 */
export interface CheckpointsUi {
  /** Every checkpoint, not only the ones worth going back to. */
  showAll: boolean;
  /** The checkpoint whose Restore waits for the person's confirmation. */
  confirming?: string;
  /** A restore sent and not answered yet. */
  restoring?: string;
  /** The server's refusal of the last restore. */
  error?: { checkpointId: string; message: string };
  /** The last restore done here: restoring `undoCheckpointId` undoes it. */
  restored?: { checkpointId: string; undoCheckpointId: string };
}

export function initialCheckpointsUi(): CheckpointsUi {
  return { showAll: false };
}

export interface CheckpointRow {
  checkpoint: SessionCheckpoint;
  /** A tool's checkpoint whose worktree differs from the one before: it changed files. */
  changedFiles: boolean;
  /** Listed without "Show all": steps ended, restores and their undo points, file changes. */
  notable: boolean;
}

/** The checkpoints to list, newest first: the moment one most likely goes back to is recent. */
export function checkpointRows(
  checkpoints: SessionCheckpoint[],
  showAll: boolean,
): CheckpointRow[] {
  return annotate(checkpoints)
    .filter((row) => showAll || row.notable)
    .reverse();
}

/** How many checkpoints "Show all" adds. */
export function hiddenCount(checkpoints: SessionCheckpoint[]): number {
  return annotate(checkpoints).filter((row) => !row.notable).length;
}

function annotate(checkpoints: SessionCheckpoint[]): CheckpointRow[] {
  let worktree: string | undefined;
  return checkpoints.map((checkpoint) => {
    const changedFiles =
      checkpoint.kind === 'tool' &&
      checkpoint.worktree !== undefined &&
      checkpoint.worktree !== worktree;
    worktree = checkpoint.worktree ?? worktree;
    const notable =
      changedFiles ||
      checkpoint.kind === 'step' ||
      checkpoint.kind === 'undo' ||
      checkpoint.kind === 'restore';
    return { checkpoint, changedFiles, notable };
  });
}

const BUSY: readonly SessionStatus[] = ['queued', 'running', 'awaiting_approval'];

/** Why the session cannot be restored now (the server refuses it too), or undefined. */
export function restoreBlocked(status: SessionStatus): string | undefined {
  return BUSY.includes(status)
    ? 'A queued, running or waiting session cannot be restored: cancel it first.'
    : undefined;
}

export function restoreAsked(ui: CheckpointsUi, checkpointId: string): CheckpointsUi {
  if (ui.restoring) return ui;
  return { ...ui, confirming: checkpointId, error: undefined };
}

export function restoreDismissed(ui: CheckpointsUi): CheckpointsUi {
  return { ...ui, confirming: undefined };
}

export function restoreSent(ui: CheckpointsUi, checkpointId: string): CheckpointsUi {
  return { ...ui, confirming: undefined, restoring: checkpointId, error: undefined };
}

export function restoreDone(
  ui: CheckpointsUi,
  checkpointId: string,
  result: SessionRestoreResult,
): CheckpointsUi {
  return {
    ...ui,
    restoring: undefined,
    restored: { checkpointId, undoCheckpointId: result.undoCheckpointId },
  };
}

export function restoreFailed(
  ui: CheckpointsUi,
  checkpointId: string,
  message: string,
): CheckpointsUi {
  return { ...ui, restoring: undefined, error: { checkpointId, message } };
}
