import type { ChatSendParams } from '../protocol';
import type { ModelMessage } from './model';

type ChatContext = NonNullable<ChatSendParams['context']>;
import { type Db, nowIso } from '../store/database';

interface MessageRow {
  id: number;
  role: string;
  content: string | null;
  tool_calls: string | null;
  tool_call_id: string | null;
}

/** Stand-in tool result while an approval card is still open. */
const AWAITING_DECISION =
  'Awaiting the decision: the approval card is still open. Do not assume the flow runs.';

/** Messages kept in the model's view of a conversation; older ones are dropped at a user turn. */
const MAX_HISTORY = 60;

/** Conversations and their messages, in SQLite, so a restart loses no history. */
export class ConversationStore {
  constructor(private readonly db: Db) {}

  /** Creates the conversation if new; remembers the editor context the person last sent. */
  ensure(id: string, context?: ChatContext): void {
    const at = nowIso();
    this.db
      .prepare(
        `INSERT INTO conversations (id, created_at, updated_at, context) VALUES (?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at,
           context = COALESCE(excluded.context, conversations.context)`,
      )
      .run(id, at, at, context ? JSON.stringify(context) : null);
  }

  context(id: string): ChatContext | undefined {
    const row = this.db.prepare('SELECT context FROM conversations WHERE id = ?').get(id) as
      { context: string | null } | undefined;
    return row?.context ? (JSON.parse(row.context) as ChatContext) : undefined;
  }

  /** True once a result for this tool call is stored (an approval's outcome was applied). */
  hasToolResult(toolCallId: string): boolean {
    return !!this.db
      .prepare(`SELECT 1 FROM messages WHERE role = 'tool' AND tool_call_id = ?`)
      .get(toolCallId);
  }

  append(conversationId: string, turnId: string, message: ModelMessage): void {
    const m = message as {
      role: string;
      content?: unknown;
      tool_calls?: unknown;
      tool_call_id?: string;
    };
    this.db
      .prepare(
        `INSERT INTO messages (conversation_id, turn_id, role, content, tool_calls, tool_call_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        conversationId,
        turnId,
        m.role,
        typeof m.content === 'string' ? m.content : null,
        m.tool_calls ? JSON.stringify(m.tool_calls) : null,
        m.tool_call_id ?? null,
        nowIso(),
      );
  }

  /** True when anything was said after the assistant message that made this tool call. */
  hasMessagesAfterToolCall(conversationId: string, toolCallId: string): boolean {
    const rows = this.rows(conversationId);
    const index = rows.findIndex((r) => r.tool_calls?.includes(`"${toolCallId}"`));
    return index >= 0 && rows.slice(index + 1).some((r) => r.role !== 'tool');
  }

  /**
   * The conversation as the model must see it: every tool result right after the call that asked
   * for it (whenever the result arrived), a stand-in for calls still awaiting a decision.
   */
  modelHistory(conversationId: string): ModelMessage[] {
    const rows = this.rows(conversationId);
    const results = new Map(
      rows.filter((r) => r.role === 'tool').map((r) => [r.tool_call_id, r.content ?? '']),
    );
    const out: ModelMessage[] = [];
    for (const row of rows) {
      if (row.role === 'tool') continue;
      if (row.role === 'assistant') {
        const calls = row.tool_calls ? (JSON.parse(row.tool_calls) as { id: string }[]) : [];
        out.push({
          role: 'assistant',
          content: row.content,
          ...(calls.length ? { tool_calls: calls } : {}),
        } as ModelMessage);
        for (const call of calls) {
          out.push({
            role: 'tool',
            tool_call_id: call.id,
            content: results.get(call.id) ?? AWAITING_DECISION,
          });
        }
      } else {
        out.push({ role: row.role, content: row.content ?? '' } as ModelMessage);
      }
    }
    return trimHistory(out);
  }

  private rows(conversationId: string): MessageRow[] {
    return this.db
      .prepare(
        'SELECT id, role, content, tool_calls, tool_call_id FROM messages WHERE conversation_id = ? ORDER BY id',
      )
      .all(conversationId) as MessageRow[];
  }
}

function trimHistory(messages: ModelMessage[]): ModelMessage[] {
  if (messages.length <= MAX_HISTORY) return messages;
  let start = messages.length - MAX_HISTORY;
  while (start < messages.length && messages[start].role !== 'user') start++;
  return messages.slice(start);
}
