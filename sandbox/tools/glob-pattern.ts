import { ToolFailure } from './agent-tool';

/**
 * Compiles a glob to a regular expression over `/`-separated relative paths. `*` and `?` stay
 * within one path segment, `**` spans any number of segments, `[abc]`/`[!abc]` are character
 * classes and `{a,b}` alternatives. A pattern without `/` matches the file name at any depth
 * (`*.ts`), as in .gitignore; a pattern ending in `/` matches everything below directories of
 * that name.
 * Written here because `fs.glob` needs Node 22 and a dependency is not worth so little code.
 */
export function globToRegExp(glob: string): RegExp {
  let pattern = glob.trim().replace(/^(\.\/)+/, '');
  const anchored = pattern.startsWith('/') || pattern.replace(/\/+$/, '').includes('/');
  pattern = pattern.replace(/^\/+/, '');
  if (pattern === '' || pattern.endsWith('/')) pattern += '**';
  if (!anchored) pattern = `**/${pattern}`;
  return new RegExp(`^${compile(pattern, glob)}$`);
}

function compile(pattern: string, original: string): string {
  let source = '';
  let braceDepth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '*') {
      let end = i;
      while (pattern[end + 1] === '*') end++;
      const wholeSegment =
        end > i &&
        (i === 0 || pattern[i - 1] === '/') &&
        (end + 1 === pattern.length || pattern[end + 1] === '/');
      if (wholeSegment && pattern[end + 1] === '/') {
        source += '(?:.*/)?';
        end++;
      } else {
        source += wholeSegment ? '.*' : '[^/]*';
      }
      i = end;
    } else if (char === '?') {
      source += '[^/]';
    } else if (char === '[') {
      const close = classEnd(pattern, i);
      if (close === -1) {
        source += '\\[';
      } else {
        source += characterClass(pattern.slice(i + 1, close));
        i = close;
      }
    } else if (char === '{') {
      source += '(?:';
      braceDepth++;
    } else if (char === '}' && braceDepth > 0) {
      source += ')';
      braceDepth--;
    } else if (char === ',' && braceDepth > 0) {
      source += '|';
    } else if (char === '\\' && i + 1 < pattern.length) {
      source += escapeRegExp(pattern[++i]);
    } else {
      source += escapeRegExp(char);
    }
  }
  if (braceDepth > 0) {
    throw new ToolFailure(
      `The glob ${original} has an unclosed "{"; close it or escape it as "\\{".`,
    );
  }
  return source;
}

/** Index of the `]` closing the class opened at `open`; a `]` right after `[` or `[!` is literal. */
function classEnd(pattern: string, open: number): number {
  let i = open + 1;
  if (pattern[i] === '!' || pattern[i] === '^') i++;
  if (pattern[i] === ']') i++;
  return pattern.indexOf(']', i);
}

function characterClass(body: string): string {
  const negated = body.startsWith('!') || body.startsWith('^');
  const members = (negated ? body.slice(1) : body).replace(/[\\\]^]/g, '\\$&');
  // A class never matches the separator, negated or not.
  return negated ? `[^/${members}]` : `(?!/)[${members}]`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
