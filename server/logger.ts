/**
 * Where the server's diagnostics go. In the language server this is `window/logMessage`;
 * nothing ever writes to stdout, which is the transport.
 */
export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

export const silentLogger: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
};
