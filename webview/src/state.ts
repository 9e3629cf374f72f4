import type {
  ApprovalRequestedParams,
  ApprovalResolvedParams,
  ChatUpdateParams,
  SessionGetResult,
  SessionSnapshot,
} from '../../server/protocol/index';
import type { CheckpointsUi } from './checkpoints';
import type { ConnectionState } from './connection';

/**
 * The webview's model, changed only by the functions below (pure, so they are tested without a
 * browser). Chat items keep their arrival order; a session's status changes only its snapshot,
 * never the list of chat items, so nothing in the conversation moves when a session runs.
 */
export interface ChatMessage {
  kind: 'message';
  messageId: string;
  conversationId: string;
  role: 'user' | 'assistant';
  text: string;
  done: boolean;
  /** The message is a session widget for this session. */
  sessionId?: string;
  error?: { message: string; retryable: boolean };
}

export interface ApprovalItem {
  kind: 'approval';
  approvalId: string;
  conversationId?: string;
}

export type ChatItem = ChatMessage | ApprovalItem;

export type ApprovalState =
  | { status: 'pending' }
  | { status: 'answering'; decision: 'approve' | 'deny' }
  | { status: 'resolved'; decision: 'approve' | 'deny'; scope?: string; reason?: string };

export interface Approval {
  params: ApprovalRequestedParams;
  state: ApprovalState;
  /** The last answer that failed (e.g. answered elsewhere first). */
  error?: string;
}

export type Page =
  | { name: 'chat' }
  | { name: 'sessions' }
  | { name: 'details'; sessionId: string; from: 'chat' | 'sessions' };

export interface Details {
  sessionId: string;
  loading: boolean;
  data?: SessionGetResult;
  error?: string;
  /** The Checkpoints section: what it lists and where a restore stands. */
  checkpoints?: CheckpointsUi;
}

export interface State {
  connection: ConnectionState;
  page: Page;
  /** The conversation on screen; undefined until the first message is sent. */
  conversationId?: string;
  items: ChatItem[];
  approvals: Record<string, Approval>;
  sessions: Record<string, SessionSnapshot>;
  /** Sessions known from `tandem/session/list`, newest first (ids into `sessions`). */
  sessionList: { loading: boolean; ids: string[]; error?: string; loaded: boolean };
  details?: Details;
  /** A message being sent: its text, so a failed send can be offered again. */
  sending?: string;
  sendError?: { text: string; message: string };
}

export function initialState(): State {
  return {
    connection: { status: 'connecting' },
    page: { name: 'chat' },
    items: [],
    approvals: {},
    sessions: {},
    sessionList: { loading: false, ids: [], loaded: false },
  };
}

/** The part of the state kept across reloads: the conversation on screen. */
export interface Persisted {
  version: 1;
  conversationId?: string;
  items: ChatMessage[];
}

const MAX_PERSISTED_ITEMS = 500;

export function persisted(state: State): Persisted {
  const items = state.items.filter(
    (i): i is ChatMessage => i.kind === 'message' && i.conversationId === state.conversationId,
  );
  return {
    version: 1,
    conversationId: state.conversationId,
    items: items.slice(-MAX_PERSISTED_ITEMS),
  };
}

export function restore(state: State, saved: unknown): State {
  const p = saved as Partial<Persisted> | null | undefined;
  if (!p || p.version !== 1 || !Array.isArray(p.items)) return state;
  const items = p.items.filter(
    (i) =>
      i &&
      i.kind === 'message' &&
      typeof i.messageId === 'string' &&
      typeof i.conversationId === 'string' &&
      typeof i.text === 'string',
  );
  return {
    ...state,
    conversationId: typeof p.conversationId === 'string' ? p.conversationId : undefined,
    items: items.map((i) => ({ ...i, done: true })),
  };
}

export function chatUpdate(state: State, u: ChatUpdateParams): State {
  const index = state.items.findIndex((i) => i.kind === 'message' && i.messageId === u.messageId);
  const previous = index >= 0 ? (state.items[index] as ChatMessage) : undefined;
  const text = u.text ?? (previous?.text ?? '') + (u.delta ?? '');
  const message: ChatMessage = {
    kind: 'message',
    messageId: u.messageId,
    conversationId: u.conversationId,
    role: u.role,
    text,
    done: u.done,
    sessionId: u.widget?.sessionId ?? previous?.sessionId,
    error: u.error ?? previous?.error,
  };
  const items = [...state.items];
  if (index >= 0) items[index] = message;
  else items.push(message);
  return { ...state, items };
}

export function approvalRequested(state: State, params: ApprovalRequestedParams): State {
  const known = state.approvals[params.approvalId];
  const approvals = {
    ...state.approvals,
    [params.approvalId]: { params, state: known?.state ?? { status: 'pending' as const } },
  };
  const placed = state.items.some(
    (i) => i.kind === 'approval' && i.approvalId === params.approvalId,
  );
  const items: ChatItem[] =
    placed || !params.conversationId
      ? state.items
      : [
          ...state.items,
          {
            kind: 'approval',
            approvalId: params.approvalId,
            conversationId: params.conversationId,
          },
        ];
  return { ...state, approvals, items };
}

export function approvalAnswering(
  state: State,
  approvalId: string,
  decision: 'approve' | 'deny',
): State {
  const approval = state.approvals[approvalId];
  if (!approval || approval.state.status !== 'pending') return state;
  return {
    ...state,
    approvals: {
      ...state.approvals,
      [approvalId]: { ...approval, state: { status: 'answering', decision }, error: undefined },
    },
  };
}

export function approvalAnswerFailed(state: State, approvalId: string, message: string): State {
  const approval = state.approvals[approvalId];
  if (!approval || approval.state.status !== 'answering') return state;
  return {
    ...state,
    approvals: {
      ...state.approvals,
      [approvalId]: { ...approval, state: { status: 'pending' }, error: message },
    },
  };
}

export function approvalResolved(state: State, params: ApprovalResolvedParams): State {
  const approval = state.approvals[params.approvalId];
  if (!approval) return state;
  return {
    ...state,
    approvals: {
      ...state.approvals,
      [params.approvalId]: {
        ...approval,
        error: undefined,
        state: {
          status: 'resolved',
          decision: params.decision,
          scope: params.scope,
          reason: params.reason,
        },
      },
    },
  };
}

/** Keeps the snapshot with the highest `seq`; an older one is ignored. */
export function sessionStatus(state: State, snapshot: SessionSnapshot): State {
  const known = state.sessions[snapshot.sessionId];
  if (known && known.seq > snapshot.seq) return state;
  const sessions = { ...state.sessions, [snapshot.sessionId]: snapshot };
  const ids = state.sessionList.ids.includes(snapshot.sessionId)
    ? state.sessionList.ids
    : [snapshot.sessionId, ...state.sessionList.ids];
  return { ...state, sessions, sessionList: { ...state.sessionList, ids } };
}

export function sessionsListed(state: State, snapshots: SessionSnapshot[]): State {
  let next: State = state;
  for (const snapshot of snapshots) next = sessionStatus(next, snapshot);
  const listed = snapshots.map((s) => s.sessionId);
  const extra = next.sessionList.ids.filter((id) => !listed.includes(id));
  const ids = [...extra, ...listed].sort((a, b) =>
    (next.sessions[b]?.startedAt ?? '').localeCompare(next.sessions[a]?.startedAt ?? ''),
  );
  return { ...next, sessionList: { loading: false, loaded: true, ids } };
}

/** The approvals still waiting for an answer, oldest first. */
export function pendingApprovals(state: State): Approval[] {
  return Object.values(state.approvals)
    .filter((a) => a.state.status !== 'resolved')
    .sort((a, b) => a.params.createdAt.localeCompare(b.params.createdAt));
}

/** What the chat shows: the items of the conversation on screen. */
export function visibleItems(state: State): ChatItem[] {
  if (!state.conversationId) return [];
  return state.items.filter((i) => i.conversationId === state.conversationId);
}

export function runningCount(state: State): number {
  return Object.values(state.sessions).filter((s) =>
    ['queued', 'running', 'awaiting_approval'].includes(s.status),
  ).length;
}
