import { runLanguageServer } from './lsp/lsp-server';

const USAGE = `Usage: tandem <command>

Commands:
  lsp --stdio     Run the language server over stdin/stdout (what editors start).
  sandbox build-image [--tag IMAGE] [--mirror URL]
                  Build the default sandbox image offline from Debian packages
                  (mmdebstrap + docker import; default tag tandem/sandbox-base:bookworm).
  help            Show this help.
  version         Print the version.

Settings come from the editor (section "tandem") or the environment:
  OPENAI_API_KEY, OPENAI_BASE_URL, TANDEM_MODEL, GITLAB_TOKEN, GITLAB_URL, TANDEM_STATE_DIR.
`;

function sandboxCommand(args: string[]): undefined | number {
  if (args[0] !== 'build-image') {
    process.stderr.write(`tandem sandbox: unknown subcommand "${args[0] ?? ''}".\n\n${USAGE}`);
    return 2;
  }
  const option = (name: string) => {
    const index = args.indexOf(name);
    return index >= 0 ? args[index + 1] : undefined;
  };
  const started = Date.now();
  const status = (line: string) => {
    const seconds = Math.round((Date.now() - started) / 1000);
    process.stderr.write(`\r\x1b[K[${seconds}s] ${line.slice(0, 100)}`);
  };
  // Loaded here, not at the top: `tandem lsp` must start without them.
  Promise.all([import('../sandbox/base-image'), import('./settings')])
    .then(async ([{ buildBaseImage }, { DEFAULT_SANDBOX_IMAGE }]) => {
      const tag = option('--tag') ?? DEFAULT_SANDBOX_IMAGE;
      await buildBaseImage({ tag, mirror: option('--mirror'), onProgress: status });
      const seconds = Math.round((Date.now() - started) / 1000);
      process.stderr.write(`\r\x1b[KBuilt ${tag} in ${seconds} s.\n`);
    })
    .catch((error: Error) => {
      process.stderr.write(`\n${error.message}\n`);
      process.exitCode = 1;
    });
  return undefined;
}

function main(argv: string[]): number | undefined {
  const [command, ...rest] = argv;
  switch (command) {
    case 'lsp':
      if (rest.length > 0 && !rest.includes('--stdio')) {
        process.stderr.write('tandem lsp: only --stdio is supported.\n');
        return 2;
      }
      runLanguageServer();
      return undefined;
    case 'sandbox':
      return sandboxCommand(rest);
    case 'version':
    case '--version':
      process.stdout.write(`${process.env.TANDEM_VERSION ?? '0.1.0'}\n`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`tandem: unknown command "${command}".\n\n${USAGE}`);
      return 2;
  }
}

const code = main(process.argv.slice(2));
if (code !== undefined) process.exitCode = code;
