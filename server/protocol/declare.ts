import { NotificationType, RequestType } from 'vscode-jsonrpc';
import { z } from 'zod';

/** Who sends a method. Requests always go client → server; server → client traffic is notifications. */
export type Direction = 'clientToServer' | 'serverToClient';

/** The `capabilities.experimental.tandem` flag a client sets to receive or use a method. */
export type ClientCapability = 'approvals' | 'sessionWidget' | null;

interface Declared<P extends z.ZodType> {
  readonly method: string;
  readonly direction: Direction;
  readonly capability: ClientCapability;
  readonly params: P;
  readonly semantics: string;
}

export interface RequestDeclaration<
  P extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
> extends Declared<P> {
  readonly kind: 'request';
  readonly direction: 'clientToServer';
  readonly result: R;
  readonly type: RequestType<z.infer<P>, z.infer<R>, void>;
}

export interface NotificationDeclaration<P extends z.ZodType = z.ZodType> extends Declared<P> {
  readonly kind: 'notification';
  readonly type: NotificationType<z.infer<P>>;
}

export type MethodDeclaration = RequestDeclaration | NotificationDeclaration;

export function request<P extends z.ZodType, R extends z.ZodType>(d: {
  method: string;
  capability?: ClientCapability;
  params: P;
  result: R;
  semantics: string;
}): RequestDeclaration<P, R> {
  return {
    kind: 'request',
    direction: 'clientToServer',
    capability: d.capability ?? null,
    method: d.method,
    params: d.params,
    result: d.result,
    semantics: d.semantics,
    type: new RequestType<z.infer<P>, z.infer<R>, void>(d.method),
  };
}

export function notification<P extends z.ZodType>(d: {
  method: string;
  direction: Direction;
  capability?: ClientCapability;
  params: P;
  semantics: string;
}): NotificationDeclaration<P> {
  return {
    kind: 'notification',
    direction: d.direction,
    capability: d.capability ?? null,
    method: d.method,
    params: d.params,
    semantics: d.semantics,
    type: new NotificationType<z.infer<P>>(d.method),
  };
}
