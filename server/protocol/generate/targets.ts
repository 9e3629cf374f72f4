import { PROTOCOL_JAVA_PATH, renderProtocolJava } from './java';
import { PROTOCOL_LUA_PATH, renderProtocolLua } from './lua';
import { PROTOCOL_MARKDOWN_PATH, renderProtocolMarkdown } from './markdown';

/** A file generated from the protocol declarations. */
export interface GeneratedTarget {
  /** Relative to the repository root, with forward slashes. */
  readonly path: string;
  /** The whole file content; deterministic, so a stale file is any difference. */
  render(): string;
}

/**
 * Everything `npm run gen` writes and `npm run gen:check` compares. A new target is one more entry
 * here with its renderer in this folder.
 */
export const GENERATED_TARGETS: readonly GeneratedTarget[] = [
  { path: PROTOCOL_MARKDOWN_PATH, render: renderProtocolMarkdown },
  { path: PROTOCOL_LUA_PATH, render: renderProtocolLua },
  { path: PROTOCOL_JAVA_PATH, render: renderProtocolJava },
];
