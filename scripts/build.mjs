// Bundles the server into dist/ with esbuild. Native modules stay external.
//
// The server is ESM with code splitting so that `initialize` is answered after loading only the
// LSP bootstrap; the rest of tandem (schemas, store, model and GitLab clients) is a separate
// chunk loaded right after. `dist/tandem.js` is the stable entry point editors start.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';

// Chunk names carry content hashes: start from an empty dist/ so no stale chunk ships.
rmSync('dist', { recursive: true, force: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // Native modules, and ssh2 (dockerode's ssh:// transport, with optional native parts).
  external: ['better-sqlite3', 'ssh2', 'cpu-features', 'bufferutil', 'utf-8-validate'],
  logLevel: 'warning',
  // jsonc-parser's "main" is a UMD build whose dynamic requires a bundle cannot follow.
  alias: { 'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js' },
};

await build({
  ...common,
  entryPoints: { cli: 'server/cli.ts' },
  outdir: 'dist/server',
  format: 'esm',
  splitting: true,
  outExtension: { '.js': '.mjs' },
  // Bundled CommonJS dependencies call require(); give ESM chunks a real one.
  banner: {
    js: "import { createRequire as __tandemCreateRequire } from 'node:module'; const require = __tandemCreateRequire(import.meta.url);",
  },
});
writeFileSync(
  'dist/tandem.js',
  "#!/usr/bin/env node\n'use strict';\nimport('./server/cli.mjs');\n",
);

await build({
  ...common,
  format: 'cjs',
  entryPoints: ['bench/bare-server.ts'],
  outfile: 'dist/bench/bare-server.js',
});

// The shared webview: one browser bundle for VS Code's webview, JCEF and plain browsers. The
// stylesheet main.ts imports comes out beside it as app.css.
await build({
  entryPoints: { app: 'webview/src/main.ts' },
  outdir: 'dist/webview',
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['chrome110', 'firefox115', 'safari16'],
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
copyFileSync('webview/index.html', 'dist/webview/index.html');
for (const file of ['codicon.css', 'codicon.ttf']) {
  copyFileSync(`node_modules/@vscode/codicons/dist/${file}`, `dist/webview/${file}`);
}

// The VS Code extension: a thin client that starts dist/tandem.js and hosts the webview.
await build({
  entryPoints: ['clients/vscode/src/extension.ts'],
  outfile: 'dist/vscode/extension.js',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['vscode'],
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
});
mkdirSync('dist/vscode/media', { recursive: true });
copyFileSync('clients/vscode/media/tandem.svg', 'dist/vscode/media/tandem.svg');
