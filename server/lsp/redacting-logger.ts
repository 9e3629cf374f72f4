import type { RemoteConsole } from 'vscode-languageserver/node';
import type { Logger } from '../logger';

/** Secrets shorter than this are not redacted (they would mangle ordinary words). */
const MIN_SECRET_LENGTH = 6;

/**
 * Logs to the editor (`window/logMessage`) with every model key and GitLab token the server has
 * held blanked out, whatever the message: an error from a library can quote a header or URL.
 */
export function redactingLogger(console: RemoteConsole, secrets: () => Iterable<string>): Logger {
  const redact = (message: string): string => {
    let out = message;
    for (const secret of secrets()) {
      if (secret.length >= MIN_SECRET_LENGTH) out = out.split(secret).join('[redacted]');
    }
    return out;
  };
  return {
    error: (m) => console.error(redact(m)),
    warn: (m) => console.warn(redact(m)),
    info: (m) => console.info(redact(m)),
    debug: (m) => console.log(redact(m)),
  };
}
