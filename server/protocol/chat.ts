import { z } from 'zod';
import { Id } from './common';
import { notification, request } from './declare';
import { Methods } from './methods';

export const ChatContext = z.object({
  workspaceFolder: z.string().max(4096).optional(),
  activeFile: z
    .object({ uri: z.string().max(4096), selection: z.string().max(100_000).optional() })
    .optional(),
});

export const ChatSendParams = z.object({
  conversationId: Id.optional().describe('Omit to start a new conversation'),
  text: z.string().min(1).max(100_000),
  context: ChatContext.optional(),
});
export type ChatSendParams = z.infer<typeof ChatSendParams>;

export const ChatSendResult = z.object({ conversationId: Id, turnId: Id });
export type ChatSendResult = z.infer<typeof ChatSendResult>;

export const ChatSendRequest = request({
  method: Methods.chatSend,
  params: ChatSendParams,
  result: ChatSendResult,
  semantics:
    'Adds a user message to a conversation and answers at once with the ids; the reply streams as ' +
    '`tandem/chat/update`. A conversation answers one turn at a time, in order; other conversations ' +
    'and running sessions are never blocked.',
});

export const ChatUpdateParams = z.object({
  conversationId: Id,
  turnId: Id,
  messageId: Id,
  role: z.enum(['user', 'assistant']),
  delta: z.string().optional().describe('Text to append to the message'),
  text: z.string().optional().describe('The whole message so far; replaces what the client has'),
  done: z.boolean(),
  widget: z
    .object({ sessionId: Id })
    .optional()
    .describe('The message is a session widget; render it from `tandem/session/status`'),
  error: z
    .object({ message: z.string(), retryable: z.boolean() })
    .optional()
    .describe('The turn ended in an error the user should see'),
});
export type ChatUpdateParams = z.infer<typeof ChatUpdateParams>;

export const ChatUpdateNotification = notification({
  method: Methods.chatUpdate,
  direction: 'serverToClient',
  params: ChatUpdateParams,
  semantics:
    'Streams a message: deltas while `done` is false, then one update with `done: true` and the ' +
    'whole `text`. A message with `widget` is a session widget placed in the conversation after ' +
    'a flow approval; status changes never add chat messages.',
});
