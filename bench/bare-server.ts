// The baseline for start-up: a bare vscode-languageserver server that answers initialize and
// nothing else, bundled the same way as tandem.
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';

const connection = createConnection(ProposedFeatures.all);
connection.onInitialize(() => ({ capabilities: {} }));
connection.listen();
