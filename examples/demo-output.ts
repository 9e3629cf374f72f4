// What the demos print: the conversation as a person would see it in the editor.
import type { ChatUpdateParams, SessionSnapshot } from '../server/protocol';
import type { ProtocolClient } from '../test/support/protocol-client';

export const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
export const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
export const say = (line = '') => process.stdout.write(`${line}\n`);

/** Sends a chat message and prints the assistant's answer to it. */
export async function chat(
  client: ProtocolClient,
  text: string,
  conversationId?: string,
): Promise<string> {
  say(`${bold('you')} › ${text}`);
  const sent = await client.request<{ conversationId: string; turnId: string }>(
    'tandem/chat/send',
    { conversationId, text },
  );
  await assistantSays(client, (p) => p.turnId === sent.turnId);
  return sent.conversationId;
}

/** Prints the first finished assistant message matching `match`. */
export async function assistantSays(
  client: ProtocolClient,
  match: (p: ChatUpdateParams) => boolean,
): Promise<void> {
  const reply = await client.waitFor<ChatUpdateParams>(
    'tandem/chat/update',
    (p) => p.role === 'assistant' && p.done && !p.widget && match(p),
  );
  say(`${bold('tandem')} › ${reply.text}`);
}

/** Prints every session status change as it arrives (what the widget shows). */
export function showStatusChanges(client: ProtocolClient): void {
  client.connection.onNotification('tandem/session/status', (s: SessionSnapshot) => {
    const step = s.step ? ` · ${s.step}` : '';
    say(dim(`  ⟳ session status #${s.seq}: ${s.status}${step}`));
  });
}
