import { runLanguageServer } from './lsp/lsp-server';

const USAGE = `Usage: tandem <command>

Commands:
  lsp --stdio     Run the language server over stdin/stdout (what editors start).
  help            Show this help.
  version         Print the version.

Settings come from the editor (section "tandem") or the environment:
  OPENAI_API_KEY, OPENAI_BASE_URL, TANDEM_MODEL, GITLAB_TOKEN, GITLAB_URL, TANDEM_STATE_DIR.
`;

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
