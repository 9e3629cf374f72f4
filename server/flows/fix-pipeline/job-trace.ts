/** A GitLab job trace made readable for the model: plain text, folded, its tail within budget. */
export interface CleanTrace {
  text: string;
  /** Whether earlier output was cut to fit the budget (the text then starts with a note). */
  truncated: boolean;
  /** The sections the job went through, by name, in order (`get_sources`, `step_script`, ...). */
  sections: string[];
}

export interface TraceBudget {
  maxLines: number;
  maxChars: number;
}

const DEFAULT_BUDGET: TraceBudget = { maxLines: 400, maxChars: 24_000 };

/** Sections the runner opens around its own work; every other section is the job's. */
const RUNNER_SECTIONS = new Set([
  ...['resolve_secrets', 'prepare_executor', 'prepare_script', 'get_sources', 'clear_worktree'],
  ...['restore_cache', 'download_artifacts', 'archive_cache', 'archive_cache_on_failure'],
  ...['upload_artifacts_on_success', 'upload_artifacts_on_failure', 'cleanup_file_variables'],
]);

const ESC = '\u001b';
const SECTION_MARKER =
  // eslint-disable-next-line no-control-regex -- the markers end in a carriage return and ESC[0K
  /section_(start|end):\d+:([A-Za-z0-9_.-]+)(?:\[[^\]\r\n]*\])?\r(?:\x1b\[0?K)?/g;
/** The prefix of runners that time-stamp each line; `+` marks the rest of the previous line. */
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z [0-9a-f]{2}[OE](\+?) ?/;
const FAILURE_LINE = /^(?:ERROR|FATAL):|^fatal:/;
/** Room kept for the note that says how much was cut. */
const NOTE_ROOM = 80;

type TraceEvent =
  | { kind: 'start'; name: string; header: string }
  | { kind: 'end'; name: string }
  | { kind: 'line'; text: string };

/** A runner section at the top level, folded to one line unless the job failed in it. */
interface RunnerSection {
  header: string;
  lines: string[];
  closed: boolean;
  failed: boolean;
}

/**
 * Cleans a raw job trace: ANSI codes gone, `\r` overwrites settled to what the terminal showed,
 * the runner's own sections that went well folded to one line each, the job's script kept in
 * full, and only the tail kept within `budget`.
 */
export function cleanTrace(raw: string, budget: Partial<TraceBudget> = {}): CleanTrace {
  const { maxLines, maxChars } = { ...DEFAULT_BUDGET, ...budget };
  const { lines, sections } = foldSections(traceEvents(raw));
  while (lines.length && !lines.at(-1)?.trim()) lines.pop();
  const { text, truncated } = keepTail(
    lines,
    Math.max(1, maxLines),
    Math.max(NOTE_ROOM * 2, maxChars),
  );
  return { text, truncated, sections };
}

function traceEvents(raw: string): TraceEvent[] {
  const events: TraceEvent[] = [];
  for (const physical of physicalLines(raw)) {
    const markers = [...physical.matchAll(SECTION_MARKER)];
    const before = physical.slice(0, markers[0]?.index ?? physical.length);
    const shown = renderLine(before);
    // A line of nothing but escape codes is noise; a line that was empty is the program's own.
    if (shown || (!markers.length && !before.includes(ESC))) {
      events.push({ kind: 'line', text: shown });
    }
    markers.forEach((marker, i) => {
      const after = physical.slice(marker.index + marker[0].length, markers[i + 1]?.index);
      const text = renderLine(after);
      if (marker[1] === 'start') {
        events.push({ kind: 'start', name: marker[2], header: text || marker[2] });
      } else {
        events.push({ kind: 'end', name: marker[2] });
        if (text) events.push({ kind: 'line', text });
      }
    });
  }
  return events;
}

/** Splits the raw trace into lines, joining the pieces that time-stamping runners split apart. */
function physicalLines(raw: string): string[] {
  const lines: string[] = [];
  for (const line of raw.split('\n')) {
    const stamp = TIMESTAMP.exec(line);
    const text = stamp ? line.slice(stamp[0].length) : line;
    if (stamp?.[1] === '+' && lines.length) lines[lines.length - 1] += text;
    else lines.push(text);
  }
  if (raw.endsWith('\n')) lines.pop();
  return lines;
}

/** What a terminal shows for one line: `\r` returns to the start, ESC[K erases, codes vanish. */
function renderLine(raw: string): string {
  const chars = Array.from(raw);
  let shown: string[] = [];
  let cursor = 0;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (ch === '\r') cursor = 0;
    else if (ch === '\b') cursor = Math.max(0, cursor - 1);
    else if (ch === ESC) {
      const { end, erase } = escapeSequence(chars, i);
      if (erase === 'toEnd') shown = shown.slice(0, cursor);
      if (erase === 'line') shown = shown.map(() => ' ');
      i = end;
    } else if (ch >= ' ' || ch === '\t') shown[cursor++] = ch;
  }
  return shown.join('').trimEnd();
}

/** Where the escape sequence starting at `start` ends, and whether it erases the line. */
function escapeSequence(chars: string[], start: number): { end: number; erase?: 'toEnd' | 'line' } {
  const kind = chars[start + 1];
  if (kind === '[') {
    let end = start + 2;
    while (end < chars.length && !/[@-~]/.test(chars[end])) end++;
    const params = chars.slice(start + 2, end).join('');
    if (chars[end] !== 'K') return { end };
    return {
      end,
      erase: params === '2' ? 'line' : params === '' || params === '0' ? 'toEnd' : undefined,
    };
  }
  if (kind === ']') {
    // An operating system command (window title, hyperlink) ends at BEL or ESC \.
    let end = start + 2;
    while (
      end < chars.length &&
      chars[end] !== '\u0007' &&
      !(chars[end] === ESC && chars[end + 1] === '\\')
    )
      end++;
    return { end: chars[end] === ESC ? end + 1 : end };
  }
  // Character set selection (ESC ( B) takes one more character; other escapes take one.
  return { end: '()*+'.includes(kind ?? '') ? start + 2 : start + 1 };
}

/** Turns events into lines, folding the top-level runner sections that went well. */
function foldSections(events: TraceEvent[]): { lines: string[]; sections: string[] } {
  const out: (string | RunnerSection)[] = [];
  const sections: string[] = [];
  const open: string[] = [];
  let runner: RunnerSection | undefined;
  const emit = (line: string) => (runner ? runner.lines.push(line) : out.push(line));
  for (const event of events) {
    if (event.kind === 'line') {
      emit(event.text);
      if (runner && FAILURE_LINE.test(event.text)) runner.failed = true;
    } else if (event.kind === 'start') {
      if (!sections.includes(event.name)) sections.push(event.name);
      if (!open.length && RUNNER_SECTIONS.has(event.name)) {
        runner = { header: event.header, lines: [], closed: false, failed: false };
        out.push(runner);
      } else emit(`▸ ${event.header}`);
      open.push(event.name);
    } else {
      const at = open.lastIndexOf(event.name);
      if (at < 0) continue;
      open.length = at;
      if (!open.length && runner) {
        runner.closed = true;
        runner = undefined;
      }
    }
  }
  return { lines: out.flatMap(foldedLines), sections };
}

function foldedLines(item: string | RunnerSection): string[] {
  if (typeof item === 'string') return [item];
  if (!item.lines.length) return [`▸ ${item.header}`];
  if (item.closed && !item.failed) {
    const count = item.lines.length;
    return [`▸ ${item.header} (${count} ${count === 1 ? 'line' : 'lines'} folded)`];
  }
  return [`▸ ${item.header}`, ...item.lines];
}

/** The last lines within budget, after a note saying how much came before. */
function keepTail(
  lines: string[],
  maxLines: number,
  maxChars: number,
): Omit<CleanTrace, 'sections'> {
  let first = Math.max(0, lines.length - maxLines);
  let size = lines.slice(first).reduce((sum, line) => sum + line.length + 1, 0);
  const room = () => maxChars - (first > 0 || size > maxChars ? NOTE_ROOM : 0);
  while (first < lines.length - 1 && size > room()) size -= lines[first++].length + 1;
  const kept = lines.slice(first);
  const last = kept.at(-1) ?? '';
  const lastCut = size > room() ? last.length - (room() - 2) : 0;
  if (!first && !lastCut) return { text: kept.join('\n'), truncated: false };
  if (lastCut > 0) kept[kept.length - 1] = `…${last.slice(lastCut)}`;
  const cutChars = lines.slice(0, first).reduce((sum, line) => sum + line.length + 1, lastCut);
  const note = `[… ${first} earlier ${first === 1 ? 'line' : 'lines'} cut, ${cutChars} characters in all]`;
  return { text: [note, ...kept].join('\n'), truncated: true };
}
