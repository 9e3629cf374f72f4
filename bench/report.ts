import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const RESULTS_FILE = path.resolve(__dirname, 'results', 'latest.json');

/** One line of the results table. A figure without a target is reported for information. */
export interface Figure {
  name: string;
  value: string;
  target?: string;
  meets?: boolean;
}

let lastLine = '';

/** The progress line on stderr: rewritten in place on a terminal, one line per phase otherwise. */
export function progress(phase: string, done: number, total: number, note?: string): void {
  const line = `[bench] ${phase} ${done}/${total}${note ? ` (${note})` : ''}`;
  if (process.stderr.isTTY) {
    process.stderr.write(`\r${line}\x1b[K`);
  } else if (!lastLine.startsWith(`[bench] ${phase} `)) {
    process.stderr.write(`${line}\n`);
  }
  lastLine = line;
}

/** Ends the progress line so the table starts on a clean one. */
export function endProgress(): void {
  if (process.stderr.isTTY && lastLine) process.stderr.write('\n');
  lastLine = '';
}

export function verdict(figure: Figure): string {
  if (figure.meets === undefined) return '';
  return figure.meets ? 'meets target' : 'misses target';
}

export function formatTable(figures: readonly Figure[]): string {
  const rows = [
    ['figure', 'value', 'target', 'verdict'],
    ...figures.map((f) => [f.name, f.value, f.target ?? '—', verdict(f)]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((r) => r[column].length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join('\n');
}

/** Writes the figures and the raw measurements to bench/results/latest.json. */
export function writeResults(figures: readonly Figure[], raw: unknown): string {
  fs.mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  const results = {
    generatedAt: new Date().toISOString(),
    machine: {
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memory: os.totalmem(),
    },
    figures: figures.map((f) => ({ ...f, verdict: verdict(f) || undefined })),
    raw,
  };
  fs.writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
  return RESULTS_FILE;
}
