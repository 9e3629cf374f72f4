import type { RemoteConsole } from 'vscode-languageserver/node';
import type { TandemConfig } from '../config';
import type { Logger } from '../logger';

/** Secrets shorter than this are not redacted (they would mangle ordinary words). */
const MIN_SECRET_LENGTH = 6;

/**
 * Logs to the editor (`window/logMessage`) with the model key and GitLab token blanked out,
 * whatever the message: an error from a library can quote a header or URL.
 */
export function redactingLogger(
  console: RemoteConsole,
  settings: () => TandemConfig | undefined,
): Logger {
  const redact = (message: string): string => {
    const config = settings();
    let out = message;
    for (const secret of [config?.model.apiKey, config?.gitlab.token]) {
      if (secret && secret.length >= MIN_SECRET_LENGTH) out = out.split(secret).join('[redacted]');
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
