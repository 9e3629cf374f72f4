import { html, nothing, type TemplateResult } from 'lit';
import type { SessionCheckpoint, SessionSnapshot } from '../../server/protocol/index';
import {
  type CheckpointRow,
  checkpointRows,
  type CheckpointsUi,
  hiddenCount,
  restoreBlocked,
} from './checkpoints';
import { stepName, time } from './format';

/** What the Checkpoints section can ask for; implemented by the app. */
export interface CheckpointActions {
  toggleCheckpoints(): void;
  askRestore(checkpointId: string): void;
  dismissRestore(): void;
  restoreCheckpoint(sessionId: string, checkpointId: string): void;
}

const KIND_LOOK: Record<SessionCheckpoint['kind'], { icon: string; label: string }> = {
  step_started: { icon: 'debug-start', label: 'step started' },
  step: { icon: 'milestone', label: 'step done' },
  model: { icon: 'sparkle', label: 'model answer' },
  tool: { icon: 'tools', label: 'tool' },
  undo: { icon: 'discard', label: 'before a restore' },
  restore: { icon: 'history', label: 'restored' },
};
const CHANGED_FILES_LOOK = { icon: 'edit', label: 'files changed' };

/**
 * The session's checkpoints, newest first, each with Restore (confirmed inline). The outcome of
 * a restore — in progress, refused, or done with its Undo — sits above the list, where focus
 * goes once the server answered. Labels are the server's text and are rendered as text.
 */
export function checkpointsSection(
  s: SessionSnapshot,
  checkpoints: SessionCheckpoint[],
  ui: CheckpointsUi,
  actions: CheckpointActions,
): TemplateResult {
  const blocked = restoreBlocked(s.status);
  const hidden = hiddenCount(checkpoints);
  return html`<section class="checkpoints" aria-label="Checkpoints">
    <h3>
      Checkpoints
      <span class="muted"
        >(${checkpoints.length}${checkpoints.length > 1 ? ', newest first' : ''})</span
      >
    </h3>
    ${outcome(s, ui, actions, blocked)}
    ${
      blocked && checkpoints.length
        ? html`<p class="checkpoints-blocked muted">
            <vscode-icon name="info"></vscode-icon> ${blocked}
          </p>`
        : nothing
    }
    ${
      checkpoints.length === 0
        ? html`<p class="muted">
            None yet: one is taken as each step starts and ends, and after each model answer and
            tool call.
          </p>`
        : html`<ol class="checkpoint-list">
            ${checkpointRows(checkpoints, ui.showAll).map((row) =>
              checkpointItem(s, row, ui, actions, blocked),
            )}
          </ol>`
    }
    ${
      hidden
        ? html`<button
            class="link-button checkpoints-toggle"
            aria-expanded=${ui.showAll ? 'true' : 'false'}
            @click=${() => actions.toggleCheckpoints()}
          >
            ${
              ui.showAll
                ? 'Show only finished steps, restores and file changes'
                : `Show all ${checkpoints.length} (step starts, model answers, tools that changed no file)`
            }
          </button>`
        : nothing
    }
  </section>`;
}

function outcome(
  s: SessionSnapshot,
  ui: CheckpointsUi,
  actions: CheckpointActions,
  blocked: string | undefined,
): TemplateResult | typeof nothing {
  if (ui.restoring) {
    return html`<p class="checkpoint-outcome answering" role="status" tabindex="-1">
      <vscode-progress-ring></vscode-progress-ring> Restoring checkpoint ${ui.restoring}…
    </p>`;
  }
  if (ui.error) {
    return html`<p
      class="checkpoint-outcome checkpoint-error approval-error"
      role="alert"
      tabindex="-1"
    >
      <vscode-icon name="error"></vscode-icon> Could not restore checkpoint
      ${ui.error.checkpointId}: ${ui.error.message}
    </p>`;
  }
  const restored = ui.restored;
  if (!restored) return nothing;
  return html`<div class="checkpoint-outcome checkpoint-restored" role="status">
    <vscode-icon name="pass"></vscode-icon>
    <span>Restored checkpoint ${restored.checkpointId} —</span>
    <span
      class="checkpoint-action"
      title=${blocked ?? `Restore checkpoint ${restored.undoCheckpointId}, the state before`}
    >
      <vscode-button
        class="undo"
        secondary
        icon="discard"
        ?disabled=${blocked !== undefined}
        aria-label="Undo: restore checkpoint ${restored.undoCheckpointId}, the state before"
        @click=${() => {
          if (!blocked) actions.restoreCheckpoint(s.sessionId, restored.undoCheckpointId);
        }}
        >Undo</vscode-button
      >
    </span>
  </div>`;
}

function checkpointItem(
  s: SessionSnapshot,
  row: CheckpointRow,
  ui: CheckpointsUi,
  actions: CheckpointActions,
  blocked: string | undefined,
): TemplateResult {
  const c = row.checkpoint;
  const id = c.checkpointId;
  const look = row.changedFiles ? CHANGED_FILES_LOOK : KIND_LOOK[c.kind];
  const confirming = ui.confirming === id;
  return html`<li
    class="checkpoint kind-${c.kind} ${row.changedFiles ? 'changed-files' : ''}"
    data-checkpoint-id=${id}
  >
    <div class="checkpoint-row">
      <vscode-icon class="checkpoint-icon" name=${look.icon}></vscode-icon>
      <div class="checkpoint-main">
        <span class="checkpoint-label">${c.label}</span>
        <span class="checkpoint-meta">
          <span class="checkpoint-kind">${look.label}</span>
          <span>#${id}</span>
          ${c.step ? html`<span>${stepName(c.step)}</span>` : nothing}
          <time datetime=${c.at} title=${c.at}>${time(c.at)}</time>
        </span>
      </div>
      <span
        class="checkpoint-action"
        title=${blocked ?? `Put the session back at checkpoint ${id}`}
      >
        <vscode-button
          class="restore"
          secondary
          icon="history"
          ?disabled=${blocked !== undefined || ui.restoring !== undefined || confirming}
          aria-label="Restore checkpoint ${id}: ${c.label}"
          @click=${() => {
            if (!blocked) actions.askRestore(id);
          }}
          >Restore</vscode-button
        >
      </span>
    </div>
    ${confirming ? confirmation(s, c, actions) : nothing}
  </li>`;
}

function confirmation(
  s: SessionSnapshot,
  c: SessionCheckpoint,
  actions: CheckpointActions,
): TemplateResult {
  const id = c.checkpointId;
  return html`<div
    class="checkpoint-confirm"
    role="group"
    aria-label="Restore checkpoint ${id}?"
    @keydown=${(e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        actions.dismissRestore();
      }
    }}
  >
    <p>
      Restore checkpoint ${id}? The session’s worktree and conversation go back to this point and it
      waits for you to resume it. The current state is kept as a checkpoint, so this can be undone.
    </p>
    <div class="actions">
      <vscode-button
        class="confirm-restore"
        icon="history"
        @click=${() => actions.restoreCheckpoint(s.sessionId, id)}
        >Restore</vscode-button
      >
      <vscode-button class="dismiss-restore" secondary @click=${() => actions.dismissRestore()}
        >Keep the current state</vscode-button
      >
    </div>
  </div>`;
}
