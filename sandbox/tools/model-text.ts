/** Small wording helpers for the text the tools answer the model with. */

/** `1 line`, `2 lines`: the model reads counts more reliably when the grammar is right. */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`;
}

export function formatSize(bytes: number): string {
  if (bytes < 10_000) return plural(bytes, 'byte');
  if (bytes < 10_000_000) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
