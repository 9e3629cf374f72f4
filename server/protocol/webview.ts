import { z } from 'zod';
import { request } from './declare';
import { Methods } from './methods';

export const WebviewInfoParams = z.object({});
export type WebviewInfoParams = z.infer<typeof WebviewInfoParams>;

export const WebviewInfoResult = z.object({
  url: z
    .string()
    .describe(
      'The shared webview, served on 127.0.0.1 with a random port; carries the per-start token ' +
        '(`?token=…`). Open it as is; the page connects its WebSocket bridge with the same token.',
    ),
  protocolVersion: z.number().int().describe('The protocol the bridge speaks (this document)'),
});
export type WebviewInfoResult = z.infer<typeof WebviewInfoResult>;

export const WebviewInfoRequest = request({
  method: Methods.webviewInfo,
  params: WebviewInfoParams,
  result: WebviewInfoResult,
  semantics:
    'Starts the webview endpoint on first use (it is off until a client asks) and answers its ' +
    'URL. The endpoint binds 127.0.0.1 only, serves the webview bundle, and bridges protocol v1 ' +
    'over a WebSocket at `/rpc`: the same requests and notifications as over LSP. Requests ' +
    'without the token, and WebSocket upgrades whose `Origin` is not the endpoint itself, are ' +
    'refused (401 / 403). For hosts that cannot post messages to the editor (a browser, ' +
    "JetBrains' JCEF).",
});
