// Writes the files generated from server/protocol (docs/protocol.md, later the Lua and Java
// client bindings). With --check it writes nothing and exits 1 when any of them is stale.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GENERATED_TARGETS, type GeneratedTarget } from '../server/protocol/generate/targets';

const ROOT = path.resolve(__dirname, '..');
const FIX_COMMAND = 'npm run gen';

type TargetState = 'fresh' | 'stale' | 'missing';

function readExisting(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function stateOf(target: GeneratedTarget, content: string): TargetState {
  const existing = readExisting(path.join(ROOT, target.path));
  if (existing === undefined) return 'missing';
  return existing === content ? 'fresh' : 'stale';
}

function check(): number {
  const problems = GENERATED_TARGETS.map((t) => ({ path: t.path, state: stateOf(t, t.render()) }))
    .filter((t) => t.state !== 'fresh')
    .map((t) =>
      t.state === 'missing'
        ? `${t.path} is missing.`
        : `${t.path} is stale: it differs from what server/protocol generates.`,
    );
  if (problems.length === 0) {
    console.log(`Generated files are up to date (${GENERATED_TARGETS.length} checked).`);
    return 0;
  }
  console.error(
    [...problems, `Run \`${FIX_COMMAND}\` to regenerate, then commit the result.`].join('\n'),
  );
  return 1;
}

function generate(): number {
  for (const target of GENERATED_TARGETS) {
    const content = target.render();
    if (stateOf(target, content) === 'fresh') {
      console.log(`${target.path} is up to date.`);
      continue;
    }
    const file = path.join(ROOT, target.path);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    console.log(`Wrote ${target.path}.`);
  }
  return 0;
}

function main(args: readonly string[]): number {
  const unknown = args.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    console.error(`Unknown argument ${unknown.join(' ')}. Usage: generate-protocol.ts [--check]`);
    return 2;
  }
  return args.includes('--check') ? check() : generate();
}

process.exitCode = main(process.argv.slice(2));
