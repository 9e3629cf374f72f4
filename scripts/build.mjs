// Bundles the server into dist/ with esbuild. Native modules stay external.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  external: ['better-sqlite3'],
  logLevel: 'warning',
};

await build({ ...common, entryPoints: ['server/cli.ts'], outfile: 'dist/tandem.js' });
await build({ ...common, entryPoints: ['bench/bare-server.ts'], outfile: 'dist/bench/bare-server.js' });
