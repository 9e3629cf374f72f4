// Packages the VS Code extension: the bundled extension, server and webview from dist/, plus
// the few modules the server loads at run time (SQLite's native module, ssh2 for dockerode,
// the devcontainer CLI), staged in dist/node_modules. Run after `npm run build`.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const MAX_BYTES = 5 * 1024 * 1024;
const require = createRequire(import.meta.url);
const root = process.cwd();
const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
const staged = path.join('dist', 'node_modules');

/** Per package, what to copy (default: everything but docs and tests). */
const KEEP = {
  // The native module only: no sources, no SQLite amalgamation, no build intermediates.
  'better-sqlite3': ['package.json', 'lib', 'build/Release/better_sqlite3.node'],
  '@devcontainers/cli': ['package.json', 'devcontainer.js', 'dist'],
};
/** Dependencies needed only to install or build, never at run time. */
const SKIP = new Set(['prebuild-install', 'cpu-features', 'nan', 'buildcheck']);

function packageDir(name) {
  return path.dirname(require.resolve(`${name}/package.json`, { paths: [root] }));
}

function stage(name, seen = new Set()) {
  if (seen.has(name) || SKIP.has(name)) return seen;
  seen.add(name);
  const from = packageDir(name);
  const to = path.join(staged, name);
  const keep = KEEP[name];
  if (keep) {
    for (const entry of keep) {
      if (!existsSync(path.join(from, entry))) throw new Error(`${name}: ${entry} is missing`);
      cpSync(path.join(from, entry), path.join(to, entry), { recursive: true });
    }
  } else {
    cpSync(from, to, {
      recursive: true,
      filter: (src) =>
        !/[\\/](test|tests|docs?|examples?|\.github)$/.test(src) && !src.endsWith('.md'),
    });
  }
  const pkg = JSON.parse(readFileSync(path.join(from, 'package.json'), 'utf8'));
  for (const dep of Object.keys(pkg.dependencies ?? {})) stage(dep, seen);
  return seen;
}

rmSync(staged, { recursive: true, force: true });
mkdirSync(staged, { recursive: true });
const names = [
  ...['better-sqlite3', 'ssh2', '@devcontainers/cli'].reduce(
    (seen, n) => stage(n, seen),
    new Set(),
  ),
];
console.log(`staged for the server: ${names.filter((n) => !SKIP.has(n)).join(', ')}`);

const out = `tandem-${manifest.version}.vsix`;
rmSync(out, { force: true });
try {
  execFileSync(
    process.execPath,
    [
      require.resolve('@vscode/vsce/vsce'),
      'package',
      '--no-dependencies',
      '--skip-license',
      '--allow-missing-repository',
      '--no-update-package-json',
      // README links point into this repository (docs/protocol.md); keep them as they are.
      '--no-rewrite-relative-links',
      '--out',
      out,
    ],
    { stdio: 'inherit' },
  );
} catch {
  console.error('vsce could not package the extension (its message is above).');
  process.exit(1);
}
const bytes = statSync(out).size;
console.log(`${out}: ${(bytes / 1024 / 1024).toFixed(2)} MB (${bytes} bytes)`);
if (bytes > MAX_BYTES) {
  console.error(`The VSIX is over ${MAX_BYTES / 1024 / 1024} MB.`);
  process.exit(1);
}
