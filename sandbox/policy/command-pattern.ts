/**
 * Command patterns of the command policy: `npm test` matches exactly that command; `npm run *`
 * matches `npm run` followed by any further words (or none). Matching works on words separated
 * by blanks, so `npm run *` matches `npm run test` but never `npm runner`.
 *
 * Quotes are deliberately not interpreted. A real shell parser would let us accept
 * `git commit -m 'a; b'`, but any disagreement between our parser and the shell in the sandbox
 * is a way to run something nobody approved; treating every metacharacter as live, even inside
 * quotes, only ever asks the person more often, never less.
 */

/** Why a pattern cannot be used; the message says how to write a valid one. */
export class CommandPatternError extends Error {}

export interface CommandPattern {
  kind: 'exact' | 'prefix';
  /** The normalised pattern as stored and shown, e.g. `npm run *`. */
  text: string;
  /** The literal words: the whole command (exact) or the words before `*` (prefix). */
  words: string[];
}

/**
 * The shell's own metacharacters (bash: "space, tab, newline, |, &, ;, (, ), <, >") minus the
 * blanks, plus command substitution and the expansions that evaluate text. Together they cover
 * chaining (`;`, `&&`, `||`, newline), pipes, background jobs, subshells, redirections
 * (`>`, `>>`, `<`, heredocs, `<(…)`) and substitution (`$(…)`, backticks).
 *
 * A plain `$NAME` or `${NAME}` is allowed: the shell splits and globs its value into extra words
 * but never parses it as operators, so it can only add arguments, which a prefix rule allows
 * anyway. Parameter expansion with operators (`${x:=…}`, `${x@P}`) and `$[…]` arithmetic can
 * assign variables or evaluate `a[$(…)]` hidden in a value, so those are treated as
 * metacharacters too.
 */
const METACHARACTERS: readonly { pattern: RegExp; shown: string }[] = [
  { pattern: /[\n\r]/, shown: 'a line break' },
  { pattern: /\$\(/, shown: '`$(`' },
  { pattern: /`/, shown: 'a backtick' },
  { pattern: /&&/, shown: '`&&`' },
  { pattern: /\|\|/, shown: '`||`' },
  { pattern: /;/, shown: '`;`' },
  { pattern: /\|/, shown: '`|`' },
  { pattern: /&/, shown: '`&`' },
  { pattern: />>/, shown: '`>>`' },
  { pattern: /[<>]/, shown: 'a redirection (`<` or `>`)' },
  { pattern: /[()]/, shown: 'a parenthesis' },
  { pattern: /\$\[/, shown: '`$[`' },
  { pattern: /\$\{(?![A-Za-z_][A-Za-z0-9_]*\})/, shown: 'a `${…}` expansion with operators' },
  // Other control characters have no business in a command line and can confuse terminals.
  // eslint-disable-next-line no-control-regex
  { pattern: /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/, shown: 'a control character' },
];

/** Shell reserved words that may open a command without being the program that runs. */
const LEADING_KEYWORDS = new Set(['!', '{', 'if', 'then', 'else', 'elif', 'do', 'while', 'until']);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** Trims and collapses runs of spaces and tabs; line breaks stay (they separate commands). */
export function normaliseCommand(command: string): string {
  return command.replace(/[ \t]+/g, ' ').trim();
}

function words(command: string): string[] {
  const normalised = normaliseCommand(command);
  return normalised === '' ? [] : normalised.split(' ');
}

/** The first metacharacter in `command`, described for a person; undefined when there is none. */
export function findShellMetacharacter(command: string): string | undefined {
  return METACHARACTERS.find((m) => m.pattern.test(command))?.shown;
}

/** Parses a pattern as a person writes it; throws a CommandPatternError saying how to fix it. */
export function parseCommandPattern(text: string): CommandPattern {
  const all = words(text);
  if (all.length === 0) {
    throw new CommandPatternError(
      'The pattern is empty: write a command such as `npm test`, or a prefix such as `npm run *`.',
    );
  }
  const star = all.indexOf('*');
  if (star === -1) return { kind: 'exact', text: all.join(' '), words: all };
  if (all.length === 1) {
    throw new CommandPatternError(
      'The pattern `*` would match every command: write a prefix such as `npm run *`.',
    );
  }
  if (star !== all.length - 1) {
    throw new CommandPatternError(
      `\`*\` can only be the last word of a pattern, as in \`npm run *\`: ` +
        `\`${all.join(' ')}\` is not a valid pattern.`,
    );
  }
  const prefix = all.slice(0, -1);
  const metacharacter = findShellMetacharacter(prefix.join(' '));
  if (metacharacter) {
    throw new CommandPatternError(
      `The prefix pattern \`${all.join(' ')}\` contains ${metacharacter}, but commands that ` +
        'chain, pipe, redirect or substitute never match a prefix: write the whole command ' +
        'as an exact pattern instead.',
    );
  }
  return { kind: 'prefix', text: all.join(' '), words: prefix };
}

/**
 * The exact pattern for one command, as recorded when the person answers "this session" or
 * "always"; undefined when the command cannot be written as one (a lone `*` word would read as
 * a wildcard).
 */
export function exactPatternFor(command: string): string | undefined {
  const all = words(command);
  if (all.length === 0 || all.includes('*')) return undefined;
  return all.join(' ');
}

/**
 * Whether a pattern lets `command` through without asking: the whole command, strictly.
 * A command with a metacharacter never matches a prefix; it matches an exact pattern only when
 * it is that very command line.
 */
export function permits(pattern: CommandPattern, command: string): boolean {
  if (pattern.kind === 'exact') return normaliseCommand(command) === pattern.text;
  if (findShellMetacharacter(command)) return false;
  return startsWithWords(words(command), pattern.words);
}

/**
 * Whether a deny or ask pattern applies to `command`. Unlike `permits`, this errs towards
 * matching: it also looks at each simple command inside a compound one, without leading
 * assignments and reserved words, so `deny git push *` also stops `npm test && FOO=1 git push`.
 * It is a best-effort net; compound commands that slip past it are still asked, never allowed.
 */
export function restricts(pattern: CommandPattern, command: string): boolean {
  return candidates(command).some((candidate) =>
    pattern.kind === 'exact'
      ? candidate.join(' ') === pattern.text
      : startsWithWords(candidate, pattern.words),
  );
}

function candidates(command: string): string[][] {
  const found = [words(command)];
  for (const segment of command.split(/[\n\r;&|()<>`]/)) {
    const segmentWords = words(segment);
    found.push(segmentWords);
    let start = 0;
    while (
      start < segmentWords.length &&
      (LEADING_KEYWORDS.has(segmentWords[start]) || ASSIGNMENT.test(segmentWords[start]))
    ) {
      start++;
    }
    if (start > 0) found.push(segmentWords.slice(start));
  }
  return found.filter((c) => c.length > 0);
}

function startsWithWords(command: string[], prefix: string[]): boolean {
  return command.length >= prefix.length && prefix.every((word, i) => command[i] === word);
}
