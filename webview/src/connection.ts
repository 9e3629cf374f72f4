/** Whether the webview can speak to the server now (no DOM types: the state model uses it). */
export type ConnectionState =
  | { status: 'connecting' }
  | { status: 'open' }
  | { status: 'closed'; reason: string; retryInMs?: number };
