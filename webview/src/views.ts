import { html, nothing, type TemplateResult } from 'lit';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import type { SessionSnapshot } from '../../server/protocol/index';
import { FINAL_STATUSES, FLOW_NAMES } from '../../server/protocol/methods';
import { initialCheckpointsUi } from './checkpoints';
import { type CheckpointActions, checkpointsSection } from './checkpoints-view';
import {
  age,
  duration,
  milliseconds,
  plural,
  REFERENCE_KINDS,
  STATUS_LOOK,
  stepName,
  time,
} from './format';
import { renderInlineMarkdown, renderMarkdown } from './markdown';
import {
  type Approval,
  type ChatMessage,
  type Details,
  pendingApprovals,
  runningCount,
  type State,
  visibleItems,
} from './state';

/** What the templates can ask for; implemented by the app. */
export interface Actions extends CheckpointActions {
  send(text: string): void;
  retry(text: string): void;
  newChat(): void;
  show(page: 'chat' | 'sessions'): void;
  openSession(sessionId: string, source: 'widget' | 'list'): void;
  back(): void;
  answer(
    approvalId: string,
    decision: 'approve' | 'deny',
    options?: { always?: boolean; feedback?: string },
  ): void;
  cancelSession(sessionId: string): void;
  reloadSessions(): void;
  reloadDetails(): void;
}

export function app(state: State, actions: Actions, now: number): TemplateResult {
  const running = runningCount(state);
  const pending = pendingApprovals(state);
  const onScreen = new Set(
    visibleItems(state).flatMap((i) => (i.kind === 'approval' ? [i.approvalId] : [])),
  );
  // Approvals not in the conversation on screen (a session's command, another conversation):
  // pinned above every page so none is missed.
  const pinned =
    state.page.name === 'chat'
      ? pending.filter((a) => !onScreen.has(a.params.approvalId))
      : pending.filter((a) => state.page.name !== 'details' || !isFor(a, state.page.sessionId));
  return html`
    <nav class="topbar" aria-label="tandem">
      <div class="tabs" role="tablist">
        ${tab('chat', 'Chat', state.page.name === 'chat', actions, pending.length)}
        ${tab('sessions', 'Sessions', state.page.name !== 'chat', actions, running)}
      </div>
      ${
        state.page.name === 'chat'
          ? html`<vscode-toolbar-button
              class="new-chat"
              icon="add"
              label="New chat"
              title="New chat"
              @click=${() => actions.newChat()}
            ></vscode-toolbar-button>`
          : nothing
      }
    </nav>
    ${connectionBanner(state)}
    ${
      pinned.length
        ? html`<section class="pinned" aria-label="Approvals waiting for you">
            ${pinned.map((a) =>
              approvalCard(
                a,
                actions,
                now,
                a.params.sessionId ? state.sessions[a.params.sessionId] : undefined,
              ),
            )}
          </section>`
        : nothing
    }
    ${
      state.page.name === 'chat'
        ? chatPage(state, actions, now)
        : state.page.name === 'sessions'
          ? sessionsPage(state, actions, now)
          : detailsPage(state, state.details, actions, now)
    }
  `;
}

function isFor(a: Approval, sessionId: string): boolean {
  return a.params.sessionId === sessionId;
}

function tab(
  page: 'chat' | 'sessions',
  label: string,
  selected: boolean,
  actions: Actions,
  count: number,
): TemplateResult {
  return html`<button
    class="tab ${selected ? 'selected' : ''}"
    role="tab"
    aria-selected=${selected ? 'true' : 'false'}
    data-page=${page}
    @click=${() => actions.show(page)}
  >
    ${label}${
      count
        ? html`<vscode-badge
            variant="counter"
            title=${page === 'chat' ? `${count} waiting for approval` : `${count} running`}
            >${count}</vscode-badge
          >`
        : nothing
    }
  </button>`;
}

function connectionBanner(state: State): TemplateResult | typeof nothing {
  const c = state.connection;
  if (c.status === 'open') return nothing;
  if (c.status === 'connecting') {
    return html`<div class="banner info" role="status">
      <vscode-progress-ring></vscode-progress-ring> Connecting to the tandem server…
    </div>`;
  }
  return html`<div class="banner error" role="alert">
    <vscode-icon name="debug-disconnect"></vscode-icon>
    <span
      >Disconnected: ${c.reason}.
      ${
        c.retryInMs !== undefined
          ? `Retrying in ${duration(c.retryInMs)}.`
          : 'Check “Tandem: Show Server Log”.'
      }
      Nothing you sent is lost: the server keeps sessions and approvals.</span
    >
  </div>`;
}

// ---------------------------------------------------------------------------------------------
// Chat

function chatPage(state: State, actions: Actions, now: number): TemplateResult {
  const items = visibleItems(state);
  const lastUser = [...items]
    .reverse()
    .find((i): i is ChatMessage => i.kind === 'message' && i.role === 'user');
  return html`
    <main class="chat" aria-label="Conversation">
      <div class="transcript" role="log" aria-live="polite">
        ${items.length === 0 ? emptyChat() : nothing}
        ${items.map((item) => {
          if (item.kind === 'approval') {
            const approval = state.approvals[item.approvalId];
            return approval ? approvalCard(approval, actions, now) : nothing;
          }
          if (item.sessionId)
            return sessionWidget(state.sessions[item.sessionId], item, actions, now);
          return message(item, actions, lastUser?.text);
        })}
      </div>
    </main>
    ${composer(state, actions)}
  `;
}

function emptyChat(): TemplateResult {
  return html`<div class="empty" data-empty="chat">
    <vscode-icon name="comment-discussion" size="32"></vscode-icon>
    <h2>Ask tandem</h2>
    <p>Ask about your code, or hand work to a flow. For example:</p>
    <ul>
      <li><code>review group/app!7</code> — Code Review of a merge request</li>
      <li>
        <code>fix the pipeline https://gitlab.com/group/app/-/pipelines/42</code> — Fix Pipeline
      </li>
      <li><code>implement #12</code> — Implement Issue</li>
    </ul>
    <p class="muted">Nothing starts without your approval; commands run in a dev container.</p>
  </div>`;
}

function message(m: ChatMessage, actions: Actions, lastUserText?: string): TemplateResult {
  const streaming = !m.done;
  return html`<article
    class="message ${m.role} ${streaming ? 'streaming' : ''}"
    data-message-id=${m.messageId}
    aria-busy=${streaming ? 'true' : 'false'}
  >
    <div class="who">${m.role === 'user' ? 'You' : 'tandem'}</div>
    ${
      m.role === 'user'
        ? html`<div class="body plain">${m.text}</div>`
        : html`<div class="body markdown">${unsafeHTML(renderMarkdown(m.text))}</div>`
    }
    ${
      streaming && m.role === 'assistant' && !m.text
        ? html`<div class="thinking" role="status">
            <vscode-progress-ring></vscode-progress-ring> Thinking…
          </div>`
        : nothing
    }
    ${
      m.error
        ? html`<div class="turn-error" role="alert">
            <vscode-icon name="error"></vscode-icon> ${m.error.message}
            ${
              m.error.retryable && lastUserText
                ? html`<vscode-button
                    secondary
                    icon="refresh"
                    @click=${() => actions.retry(lastUserText)}
                    >Try again</vscode-button
                  >`
                : nothing
            }
          </div>`
        : nothing
    }
  </article>`;
}

function composer(state: State, actions: Actions): TemplateResult {
  const disabled = state.connection.status !== 'open';
  const submit = (form: HTMLElement) => {
    const field = form.querySelector('vscode-textarea') as unknown as { value: string } | null;
    const text = field?.value.trim() ?? '';
    if (!text || disabled) return;
    field!.value = '';
    actions.send(text);
  };
  return html`<footer class="composer">
    ${
      state.sendError
        ? html`<div class="send-error" role="alert">
            <vscode-icon name="error"></vscode-icon> Not sent: ${state.sendError.message}
            <vscode-button
              secondary
              icon="refresh"
              @click=${() => actions.retry(state.sendError!.text)}
              >Send again</vscode-button
            >
          </div>`
        : nothing
    }
    <form
      class="composer-form"
      @submit=${(e: Event) => {
        e.preventDefault();
        submit(e.currentTarget as HTMLElement);
      }}
    >
      <vscode-textarea
        class="prompt"
        rows="3"
        resize="vertical"
        aria-label="Message to tandem"
        placeholder=${
          disabled
            ? 'Waiting for the tandem server…'
            : 'Ask tandem… (Enter to send, Shift+Enter for a new line)'
        }
        @keydown=${(e: KeyboardEvent) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            submit((e.currentTarget as HTMLElement).closest('form')!);
          }
        }}
      ></vscode-textarea>
      <vscode-button
        class="send"
        icon="send"
        ?disabled=${disabled}
        title="Send (Enter)"
        @click=${(e: Event) => submit((e.currentTarget as HTMLElement).closest('form')!)}
        >Send</vscode-button
      >
    </form>
  </footer>`;
}

// ---------------------------------------------------------------------------------------------
// Approval cards

export function approvalCard(
  a: Approval,
  actions: Actions,
  now: number,
  session?: SessionSnapshot,
): TemplateResult {
  const p = a.params;
  const id = p.approvalId;
  const resolved = a.state.status === 'resolved' ? a.state : undefined;
  const answering = a.state.status === 'answering';
  const kindLabel =
    p.kind === 'flow' ? 'Start a flow?' : p.kind === 'command' ? 'Run a command?' : 'Use a tool?';
  const icon = p.kind === 'flow' ? 'rocket' : p.kind === 'command' ? 'terminal' : 'tools';
  const read = (selector: string, root: HTMLElement) =>
    root.closest('.approval')?.querySelector(selector) as unknown as
      { value?: string; checked?: boolean } | undefined;
  const answer = (decision: 'approve' | 'deny', e: Event) => {
    const card = e.currentTarget as HTMLElement;
    const feedback = read('.feedback', card)?.value?.trim();
    actions.answer(id, decision, {
      always: decision === 'approve' && read('.always', card)?.checked === true,
      feedback: decision === 'deny' && feedback ? feedback : undefined,
    });
  };
  return html`<article
    class="approval kind-${p.kind} ${resolved ? `resolved ${resolved.decision}` : 'pending'}"
    data-approval-id=${id}
    role="group"
    aria-labelledby="approval-title-${id}"
  >
    <header>
      <vscode-icon name=${icon}></vscode-icon>
      <span class="approval-kind">${kindLabel}</span>
      <span class="approval-age" title=${p.createdAt}>${age(p.createdAt, now)} ago</span>
    </header>
    ${
      p.flow
        ? html`<h3 class="flow-name" id="approval-title-${id}">${p.flow.name}</h3>`
        : html`<h3 class="approval-title" id="approval-title-${id}">
            ${unsafeHTML(renderInlineMarkdown(p.title))}
          </h3>`
    }
    ${
      p.flow && p.title
        ? html`<p class="approval-title">${unsafeHTML(renderInlineMarkdown(p.title))}</p>`
        : nothing
    }
    ${
      session
        ? html`<p class="approval-session">
            for
            <button
              class="link-button"
              title="Open the session"
              @click=${() => actions.openSession(session.sessionId, 'list')}
            >
              ${FLOW_NAMES[session.flow]} · ${session.reference.label}
            </button>
          </p>`
        : nothing
    }
    ${
      p.reference
        ? html`<p class="reference">
            <span class="reference-kind"
              >${REFERENCE_KINDS[p.reference.kind] ?? p.reference.kind}</span
            >
            ${
              /^https?:/i.test(p.reference.url)
                ? html`<a href=${p.reference.url} title=${p.reference.url}>${p.reference.label}</a>`
                : html`<span>${p.reference.label}</span>`
            }
          </p>`
        : nothing
    }
    ${
      p.command
        ? html`<pre class="command"><code>${p.command.command}</code></pre>
            <p class="cwd">in <code>${p.command.cwd}</code></p>`
        : nothing
    }
    ${p.details ? html`<p class="details">${p.details}</p>` : nothing}
    ${
      resolved
        ? html`<p class="resolution" role="status">
            <vscode-icon name=${resolved.decision === 'approve' ? 'check' : 'close'}></vscode-icon>
            ${
              resolved.decision === 'approve'
                ? resolved.scope === 'always'
                  ? 'Approved, and always allowed from now on'
                  : resolved.scope === 'session'
                    ? 'Approved for this session'
                    : 'Approved'
                : 'Denied'
            }${resolved.reason ? html` — ${resolved.reason}` : nothing}
          </p>`
        : html`
            ${
              p.kind === 'command'
                ? html`<div class="command-options">
                    <vscode-checkbox
                      class="always"
                      label="Always allow this command"
                      title="Saved as a policy rule: this command will then run without asking"
                    ></vscode-checkbox>
                    <vscode-textfield
                      class="feedback"
                      placeholder="If you deny: what should the agent do instead? (optional)"
                      aria-label="Feedback for the agent, sent with Deny"
                    ></vscode-textfield>
                  </div>`
                : nothing
            }
            <div class="actions">
              <vscode-button
                class="approve"
                icon="check"
                ?disabled=${answering}
                aria-label="Approve: ${p.flow?.name ?? p.title}"
                @click=${(e: Event) => answer('approve', e)}
                >Approve</vscode-button
              >
              <vscode-button
                class="deny"
                secondary
                icon="close"
                ?disabled=${answering}
                aria-label="Deny: ${p.flow?.name ?? p.title}"
                @click=${(e: Event) => answer('deny', e)}
                >Deny</vscode-button
              >
              ${
                answering
                  ? html`<span class="answering" role="status"
                      ><vscode-progress-ring></vscode-progress-ring> Sending…</span
                    >`
                  : nothing
              }
            </div>
            ${a.error ? html`<p class="approval-error" role="alert">${a.error}</p>` : nothing}
          `
    }
  </article>`;
}

// ---------------------------------------------------------------------------------------------
// Session widget

function sessionWidget(
  s: SessionSnapshot | undefined,
  item: ChatMessage,
  actions: Actions,
  now: number,
): TemplateResult {
  const id = item.sessionId!;
  if (!s) {
    return html`<button class="session-widget status-unknown" data-session-id=${id} disabled>
      <vscode-icon name="loading" spin></vscode-icon>
      <span class="sw-main"
        ><span class="sw-title">Session</span
        ><span class="sw-status">Waiting for its status…</span></span
      >
    </button>`;
  }
  const look = STATUS_LOOK[s.status];
  const final = FINAL_STATUSES.includes(s.status);
  const detail =
    s.status === 'failed' && s.error
      ? s.error
      : s.status === 'completed' && s.result
        ? s.result.summary
        : s.step && !final
          ? stepName(s.step)
          : '';
  const label = `${FLOW_NAMES[s.flow]} on ${s.reference.label}: ${look.label}${detail ? `, ${detail}` : ''}. Open the session’s details.`;
  return html`<button
    class="session-widget status-${s.status}"
    data-session-id=${s.sessionId}
    data-status=${s.status}
    aria-label=${label}
    title=${label}
    @click=${() => actions.openSession(s.sessionId, 'widget')}
  >
    <vscode-icon class="sw-icon" name=${look.icon} ?spin=${look.spin === true}></vscode-icon>
    <span class="sw-main">
      <span class="sw-title">${FLOW_NAMES[s.flow]} · ${s.reference.label}</span>
      <span class="sw-status"
        ><span class="sw-label">${look.label}</span>${
          detail ? html`<span class="sw-detail"> — ${detail}</span>` : nothing
        }</span
      >
    </span>
    <span class="sw-age"
      >${final ? duration(Date.parse(s.updatedAt) - Date.parse(s.startedAt)) : age(s.startedAt, now)}</span
    >
    <vscode-icon name="chevron-right"></vscode-icon>
  </button>`;
}

// ---------------------------------------------------------------------------------------------
// Sessions page and details

function sessionsPage(state: State, actions: Actions, now: number): TemplateResult {
  const list = state.sessionList;
  const sessions = list.ids.map((id) => state.sessions[id]).filter(Boolean);
  return html`<main class="sessions" aria-label="Sessions">
    <header class="page-header">
      <h2>Sessions</h2>
      <vscode-button
        secondary
        icon="refresh"
        title="Reload"
        @click=${() => actions.reloadSessions()}
        >Reload</vscode-button
      >
    </header>
    ${
      list.error
        ? html`<div class="error-state" role="alert">
            <vscode-icon name="error"></vscode-icon>
            <p>Could not load the sessions: ${list.error}</p>
            <vscode-button @click=${() => actions.reloadSessions()}>Try again</vscode-button>
          </div>`
        : list.loading && sessions.length === 0
          ? html`<div class="loading" role="status">
              <vscode-progress-ring></vscode-progress-ring> Loading sessions…
            </div>`
          : sessions.length === 0
            ? html`<div class="empty" data-empty="sessions">
                <vscode-icon name="history" size="32"></vscode-icon>
                <h2>No sessions yet</h2>
                <p>
                  Sessions appear here when a flow starts: approve one from the chat, or run
                  “Tandem: Review Merge Request…” and the other flow commands.
                </p>
              </div>`
            : html`<table class="session-table">
                <thead>
                  <tr>
                    <th scope="col">Status</th>
                    <th scope="col">Flow</th>
                    <th scope="col">Reference</th>
                    <th scope="col">Started</th>
                  </tr>
                </thead>
                <tbody>
                  ${sessions.map((s) => {
                    const look = STATUS_LOOK[s.status];
                    return html`<tr
                      class="session-row status-${s.status}"
                      data-session-id=${s.sessionId}
                      tabindex="0"
                      @click=${() => actions.openSession(s.sessionId, 'list')}
                      @keydown=${(e: KeyboardEvent) => {
                        if (e.key === 'Enter' || e.key === ' ') {
                          e.preventDefault();
                          actions.openSession(s.sessionId, 'list');
                        }
                      }}
                    >
                      <td>
                        <span class="status-pill status-${s.status}"
                          ><vscode-icon name=${look.icon} ?spin=${look.spin === true}></vscode-icon>
                          ${look.label}</span
                        >
                      </td>
                      <td>${FLOW_NAMES[s.flow]}</td>
                      <td>${s.reference.label}</td>
                      <td title=${s.startedAt}>${age(s.startedAt, now)} ago</td>
                    </tr>`;
                  })}
                </tbody>
              </table>`
    }
  </main>`;
}

function detailsPage(
  state: State,
  details: Details | undefined,
  actions: Actions,
  now: number,
): TemplateResult {
  const sessionId = state.page.name === 'details' ? state.page.sessionId : '';
  const s = state.sessions[sessionId] ?? details?.data?.session;
  const back = html`<vscode-button
    class="back"
    secondary
    icon="arrow-left"
    @click=${() => actions.back()}
    >Back</vscode-button
  >`;
  if (!s) {
    return html`<main class="details" aria-label="Session details">
      <header class="page-header">${back}</header>
      ${
        details?.error
          ? html`<div class="error-state" role="alert">
              <vscode-icon name="error"></vscode-icon>
              <p>Could not load the session: ${details.error}</p>
              <vscode-button @click=${() => actions.reloadDetails()}>Try again</vscode-button>
            </div>`
          : html`<div class="loading" role="status">
              <vscode-progress-ring></vscode-progress-ring> Loading the session…
            </div>`
      }
    </main>`;
  }
  const look = STATUS_LOOK[s.status];
  const final = FINAL_STATUSES.includes(s.status);
  const data = details?.data;
  const m = data?.metrics;
  const sessionApprovals = pendingApprovals(state).filter((a) => isFor(a, s.sessionId));
  return html`<main
    class="details status-${s.status}"
    aria-label="Session details"
    data-session-id=${s.sessionId}
  >
    <header class="page-header">
      ${back}
      ${
        final
          ? nothing
          : html`<vscode-button
              class="cancel"
              secondary
              icon="debug-stop"
              @click=${() => actions.cancelSession(s.sessionId)}
              >Cancel session</vscode-button
            >`
      }
    </header>
    <h2 class="details-title">${FLOW_NAMES[s.flow]} · ${s.reference.label}</h2>
    <p class="details-status">
      <span class="status-pill status-${s.status}"
        ><vscode-icon name=${look.icon} ?spin=${look.spin === true}></vscode-icon>
        ${look.label}</span
      >
      ${s.step && !final ? html`<span class="muted">step: ${stepName(s.step)}</span>` : nothing}
      <span class="muted" title=${s.startedAt}
        >started ${age(s.startedAt, now)} ago · ${s.trigger}</span
      >
    </p>
    <p class="reference">
      <span class="reference-kind">${REFERENCE_KINDS[s.reference.kind]}</span>
      ${
        /^https?:/i.test(s.reference.url)
          ? html`<a href=${s.reference.url}>${s.reference.label}</a>`
          : s.reference.label
      }
    </p>
    ${sessionApprovals.map((a) => approvalCard(a, actions, now))}
    ${
      s.error
        ? html`<div class="error-state inline" role="alert">
            <vscode-icon name="error"></vscode-icon> ${s.error}
          </div>`
        : nothing
    }
    ${
      s.result
        ? html`<section class="result" aria-label="Result">
            <h3>Result</h3>
            <div class="markdown">${unsafeHTML(renderMarkdown(s.result.summary))}</div>
            ${
              s.result.links.length
                ? html`<ul class="links">
                    ${s.result.links.map(
                      (l) =>
                        html`<li>
                          <vscode-icon name="link-external"></vscode-icon>
                          <a href=${l.url}>${l.label}</a>
                        </li>`,
                    )}
                  </ul>`
                : nothing
            }
          </section>`
        : nothing
    }
    ${
      details?.error && data
        ? html`<p class="approval-error" role="alert">Could not refresh: ${details.error}</p>`
        : nothing
    }
    ${
      data
        ? html`
            <section aria-label="Steps">
              <h3>Steps</h3>
              <ol class="steps">
                ${data.steps.map(
                  (step) =>
                    html`<li class="step step-${step.status}">
                      <vscode-icon
                        name=${
                          step.status === 'running'
                            ? 'sync'
                            : step.status === 'completed'
                              ? 'check'
                              : step.status === 'failed'
                                ? 'error'
                                : 'debug-step-over'
                        }
                        ?spin=${step.status === 'running'}
                      ></vscode-icon>
                      <span class="step-name">${stepName(step.name)}</span>
                      <span class="muted"
                        >${
                          step.endedAt
                            ? milliseconds(Date.parse(step.endedAt) - Date.parse(step.startedAt))
                            : step.status
                        }</span
                      >
                    </li>`,
                )}
              </ol>
            </section>
            ${checkpointsSection(
              s,
              data.checkpoints,
              details?.checkpoints ?? initialCheckpointsUi(),
              actions,
            )}
            ${
              m
                ? html`<section aria-label="Metrics">
                    <h3>Metrics</h3>
                    <dl class="metrics">
                      <dt>Duration</dt>
                      <dd>${milliseconds(m.durationMs)}</dd>
                      <dt>Model</dt>
                      <dd>${milliseconds(m.modelMs)} · ${plural(m.modelCalls, 'call')}</dd>
                      <dt>Tokens in / out</dt>
                      <dd>${m.promptTokens} / ${m.completionTokens}</dd>
                      <dt>Tools</dt>
                      <dd>${milliseconds(m.toolMs)} · ${plural(m.toolCalls ?? 0, 'call')}</dd>
                      <dt>Sandbox</dt>
                      <dd>${milliseconds(m.sandboxExecMs)}</dd>
                      <dt>Waiting for you</dt>
                      <dd>${milliseconds(m.approvalWaitMs)}</dd>
                    </dl>
                  </section>`
                : nothing
            }
            <section aria-label="Events">
              <h3>Events <span class="muted">(${data.events.length})</span></h3>
              <ol class="events">
                ${data.events.slice(-300).map(
                  (e) =>
                    html`<li class="event event-${e.type}">
                      <time datetime=${e.at}>${time(e.at)}</time>
                      <span class="event-type">${e.type}</span>
                      <span class="event-message">${e.message}</span>
                    </li>`,
                )}
              </ol>
            </section>
          `
        : details?.loading
          ? html`<div class="loading" role="status">
              <vscode-progress-ring></vscode-progress-ring> Loading steps and events…
            </div>`
          : nothing
    }
  </main>`;
}
