import { z } from 'zod';
import * as protocol from '..';
import {
  ClientTandemCapabilities,
  FLOW_NAMES,
  FlowId,
  PROTOCOL_METHODS,
  PROTOCOL_VERSION,
  type ClientCapability,
  type Direction,
  type MethodDeclaration,
  type ServerTandemCapabilities,
} from '..';
import { schemaText, type SchemaText } from './schema-text';
import { SHARED_TYPES, type NamedType } from './shared-types';

/** Where `renderProtocolMarkdown` output lives, relative to the repository root. */
export const PROTOCOL_MARKDOWN_PATH = 'docs/protocol.md';

/**
 * `ServerTandemCapabilities` is a plain interface; this schema documents it. The annotation makes
 * the compiler reject the schema when the interface gains a field it lacks.
 */
const ServerTandemCapabilitiesSchema: z.ZodType<ServerTandemCapabilities> = z.object({
  protocolVersion: z.number().int(),
  flows: z.array(FlowId),
});

const CAPABILITY_MEANINGS: Record<Exclude<ClientCapability, null>, string> = {
  approvals:
    'the client shows approval prompts and answers them. A client without it is never asked; ' +
    'policy decides for it, deny by default.',
  sessionWidget: 'the client renders session widgets in the chat and live session status.',
};

/** docs/protocol.md: intro, capabilities, method index, shared types, then one section per method. */
export function renderProtocolMarkdown(): string {
  const blocks = [
    ...introduction(),
    ...capabilities(),
    ...methodIndex(),
    ...sharedTypes(),
    ...PROTOCOL_METHODS.flatMap(methodSection),
  ];
  return blocks.join('\n\n') + '\n';
}

function introduction(): string[] {
  const c2sNotifications = PROTOCOL_METHODS.filter(
    (m) => m.kind === 'notification' && m.direction === 'clientToServer',
  );
  return [
    `<!-- Generated from server/protocol by scripts/generate-protocol.ts. Do not edit by hand: run \`npm run gen\`. -->`,
    '# tandem protocol',
    '> This file is generated from the declarations in `server/protocol/*.ts`. Do not edit it by ' +
      'hand: change the declarations and run `npm run gen` (`npm run gen:check` fails while it is stale).',
    'tandem is a language server: LSP over stdio plus the custom JSON-RPC methods below. ' +
      `Protocol version: **${PROTOCOL_VERSION}**.`,
    [
      '- Every custom method name starts with `tandem/`, never `$/` (clients may drop `$/` messages).',
      '- Requests always go client → server. Server → client traffic is notifications only, so any ' +
        'attached client can answer and nothing is lost when an editor reloads.' +
        (c2sNotifications.length === 0
          ? ''
          : ` Client → server notifications: ${c2sNotifications.map(methodLink).join(', ')}.`),
      '- Params are checked against the types below; invalid params are answered with an ' +
        '`InvalidParams` error that says what is wrong.',
      '- Method names are fixed within a protocol version; fields may grow, additively, so a ' +
        'receiver ignores fields it does not know.',
    ].join('\n'),
  ];
}

function capabilities(): string[] {
  const flows = FlowId.options.map((id) => `\`${id}\` (${FLOW_NAMES[id]})`).join(', ');
  return [
    '## Capabilities',
    'A client announces tandem support in the `initialize` request, under ' +
      '`capabilities.experimental.tandem`:',
    typeBlock(schemaText(ClientTandemCapabilities)),
    [
      `- \`protocolVersion\`: the protocol version the client speaks (this document: ${PROTOCOL_VERSION}).`,
      ...Object.entries(CAPABILITY_MEANINGS).map(
        ([flag, meaning]) => `- \`${flag}\`: ${meaning} Methods: ${capabilityMethods(flag)}.`,
      ),
    ].join('\n'),
    'The server answers in the `initialize` result, under `capabilities.experimental.tandem`:',
    typeBlock(schemaText(ServerTandemCapabilitiesSchema)),
    [
      '- `protocolVersion`: the protocol version the server speaks.',
      `- \`flows\`: the flows it can run, out of ${flows}.`,
    ].join('\n'),
  ];
}

function capabilityMethods(flag: string): string {
  const methods = PROTOCOL_METHODS.filter((m) => m.capability === flag);
  return methods.length === 0 ? 'none' : methods.map(methodLink).join(', ');
}

function methodIndex(): string[] {
  const rows = PROTOCOL_METHODS.map(
    (m) =>
      `| ${methodLink(m)} | ${m.kind} | ${directionText(m.direction)} | ${capabilityText(m.capability)} |`,
  );
  return [
    '## Methods',
    ['| Method | Kind | Direction | Client capability |', '|---|---|---|---|', ...rows].join('\n'),
  ];
}

function sharedTypes(): string[] {
  return [
    '## Shared types',
    'Types that appear in more than one place; the method sections refer to them by name.',
    ...SHARED_TYPES.flatMap(sharedTypeSection),
  ];
}

function sharedTypeSection(type: NamedType): string[] {
  const rendered = schemaText(type.schema, { expandRoot: true });
  const comment = rendered.comment === undefined ? '' : ` // ${rendered.comment}`;
  const multiLine = rendered.text.includes('\n');
  const declaration = multiLine
    ? `${leadingComment(rendered)}type ${type.name} = ${rendered.text};`
    : `type ${type.name} = ${rendered.text};${comment}`;
  return [`### ${type.name}`, codeBlock(declaration)];
}

function methodSection(m: MethodDeclaration): string[] {
  const result =
    m.kind === 'request' ? ['### Result', ...typeBlockWithUses(schemaText(m.result))] : [];
  return [
    `## \`${m.method}\``,
    '### Method',
    methodText(m),
    '### Direction',
    `${capitalize(directionText(m.direction))}.`,
    '### Client capability',
    m.capability === null
      ? 'None.'
      : `\`${m.capability}\` (\`capabilities.experimental.tandem.${m.capability}: true\`).`,
    '### Params',
    ...typeBlockWithUses(schemaText(m.params)),
    ...result,
    '### Semantics',
    m.semantics,
  ];
}

function methodText(m: MethodDeclaration): string {
  const name = Object.entries(protocol).find(([, value]) => value === m)?.[0];
  const declared = name === undefined ? '' : `, declared as \`${name}\` in \`server/protocol\``;
  return `\`${m.method}\`: a ${m.kind}${declared}.`;
}

function typeBlockWithUses(rendered: SchemaText): string[] {
  return [typeBlock(rendered), ...usesLine(rendered)];
}

function typeBlock(rendered: SchemaText): string {
  return codeBlock(`${leadingComment(rendered)}${rendered.text}`);
}

function leadingComment(rendered: SchemaText): string {
  return rendered.comment === undefined ? '' : `// ${rendered.comment}\n`;
}

function usesLine(rendered: SchemaText): string[] {
  if (rendered.references.length === 0) return [];
  const links = rendered.references.map((name) => `[\`${name}\`](#${anchor(name)})`);
  return [`Shared types: ${links.join(', ')}.`];
}

function codeBlock(code: string): string {
  return ['```ts', code, '```'].join('\n');
}

function methodLink(m: MethodDeclaration): string {
  return `[\`${m.method}\`](#${anchor(m.method)})`;
}

/** The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');
}

function directionText(direction: Direction): string {
  return direction === 'clientToServer' ? 'client → server' : 'server → client';
}

function capabilityText(capability: ClientCapability): string {
  return capability === null ? '—' : `\`${capability}\``;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
