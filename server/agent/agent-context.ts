import type { ModelMessage } from '../chat/model';

/** Tool results kept in full; older ones are replaced by a line saying what they were. */
const RECENT_TOOL_RESULTS = 8;
/** A single tool result is cut to this many characters (head and tail). */
const MAX_TOOL_RESULT_CHARS = 24_000;

/**
 * Keeps a long run within the model's context: the system prompt and the goal always stay,
 * the most recent tool results stay whole, older ones shrink to a note the model can act on
 * (run the tool again), and every result is capped.
 */
export function trimContext(messages: ModelMessage[]): ModelMessage[] {
  const toolIndexes = messages.flatMap((m, i) => (m.role === 'tool' ? [i] : []));
  const old = new Set(toolIndexes.slice(0, Math.max(0, toolIndexes.length - RECENT_TOOL_RESULTS)));
  return messages.map((message, index) => {
    if (message.role !== 'tool') return message;
    const content = typeof message.content === 'string' ? message.content : '';
    if (old.has(index)) {
      return {
        ...message,
        content: `[older tool output trimmed (${content.length} characters); run the tool again if you need it]`,
      };
    }
    if (content.length <= MAX_TOOL_RESULT_CHARS) return message;
    const half = MAX_TOOL_RESULT_CHARS / 2;
    return {
      ...message,
      content: `${content.slice(0, half)}\n… [${content.length - MAX_TOOL_RESULT_CHARS} characters cut] …\n${content.slice(-half)}`,
    };
  });
}
