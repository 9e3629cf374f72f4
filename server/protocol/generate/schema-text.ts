import type { z } from 'zod';
import { protocolJsonSchema, refName, type JsonSchema } from './json-schema';

type Node = JsonSchema | boolean;

/** A protocol type as readable TypeScript-like text, for docs and generated comments. */
export interface SchemaText {
  /** The type; objects span several lines, indented by two spaces per level, no trailing newline. */
  readonly text: string;
  /** The root's `.describe()` text and constraints (e.g. `1–200 chars`), if any. */
  readonly comment: string | undefined;
  /** Shared type names the text refers to, in order of first use. */
  readonly references: readonly string[];
}

const INDENT = '  ';
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Renders a zod schema via its JSON Schema (`z.toJSONSchema`): shared types by name, objects as
 * `{ field: type; optional?: type }` one field per line, enums as `'a' | 'b'`, `.describe()` texts
 * and constraints as trailing `// comments`. With `expandRoot`, a shared type renders its body.
 */
export function schemaText(schema: z.ZodType, options: { expandRoot?: boolean } = {}): SchemaText {
  return jsonSchemaText(protocolJsonSchema(schema, options));
}

/** Like `schemaText`, from a JSON Schema made by `protocolJsonSchema`. */
export function jsonSchemaText(json: JsonSchema): SchemaText {
  const references = new Set<string>();
  const text = typeText(json, '', references);
  return { text, comment: commentText(json), references: [...references] };
}

function typeText(node: Node, indent: string, refs: Set<string>): string {
  if (typeof node === 'boolean') return node ? 'unknown' : 'never';
  if (node.$ref !== undefined) {
    const name = refName(node.$ref);
    refs.add(name);
    return name;
  }
  if (node.const !== undefined) return literal(node.const);
  if (node.enum !== undefined) return node.enum.map(literal).join(' | ');
  const union = node.anyOf ?? node.oneOf;
  if (union !== undefined) return union.map((n) => typeText(n, indent, refs)).join(' | ');
  if (node.allOf !== undefined) return node.allOf.map((n) => typeText(n, indent, refs)).join(' & ');
  if (Array.isArray(node.type)) {
    return node.type.map((type) => typeText({ ...node, type }, indent, refs)).join(' | ');
  }
  switch (node.type) {
    case 'string':
    case 'boolean':
    case 'null':
      return node.type;
    case 'number':
    case 'integer':
      return 'number';
    case 'array':
      return arrayText(node, indent, refs);
    case 'object':
      return objectText(node, indent, refs);
    default:
      return 'unknown';
  }
}

function arrayText(node: JsonSchema, indent: string, refs: Set<string>): string {
  if (node.prefixItems !== undefined) {
    const items = node.prefixItems.map((n) => typeText(n, indent, refs));
    if (node.items !== undefined && !Array.isArray(node.items) && node.items !== false) {
      items.push(`...${elementText(node.items, indent, refs)}[]`);
    }
    return `[${items.join(', ')}]`;
  }
  const items = node.items === undefined || Array.isArray(node.items) ? true : node.items;
  return `${elementText(items, indent, refs)}[]`;
}

/** An array element or record value type, in parentheses where `[]` would bind wrongly. */
function elementText(node: Node, indent: string, refs: Set<string>): string {
  const text = typeText(node, indent, refs);
  return isUnion(node) ? `(${text})` : text;
}

function isUnion(node: Node): boolean {
  if (typeof node === 'boolean' || node.$ref !== undefined) return false;
  return (
    (node.enum !== undefined && node.enum.length > 1) ||
    (node.anyOf ?? node.oneOf ?? node.allOf ?? []).length > 1 ||
    (Array.isArray(node.type) && node.type.length > 1)
  );
}

function objectText(node: JsonSchema, indent: string, refs: Set<string>): string {
  const properties = Object.entries(node.properties ?? {});
  const extra = node.additionalProperties;
  const hasExtra = extra !== undefined && extra !== false;
  if (properties.length === 0) {
    if (!hasExtra) return node.additionalProperties === false ? '{}' : 'Record<string, unknown>';
    const key =
      node.propertyNames === undefined ? 'string' : typeText(node.propertyNames, '', refs);
    return `Record<${key}, ${typeText(extra, indent, refs)}>`;
  }
  const inner = indent + INDENT;
  const required = new Set(node.required ?? []);
  const lines = properties.map(([name, value]) => {
    const key = (IDENTIFIER.test(name) ? name : literal(name)) + (required.has(name) ? '' : '?');
    return fieldLine(inner, key, typeText(value, inner, refs), commentText(value));
  });
  if (hasExtra) lines.push(fieldLine(inner, '[key: string]', typeText(extra, inner, refs)));
  return ['{', ...lines, `${indent}}`].join('\n');
}

/** `key: type;` with the comment after the first line, so a multi-line type keeps it in view. */
function fieldLine(indent: string, key: string, type: string, comment?: string): string {
  const [first, ...rest] = `${indent}${key}: ${type};`.split('\n');
  return [comment === undefined ? first : `${first} // ${comment}`, ...rest].join('\n');
}

function commentText(node: Node): string | undefined {
  if (typeof node === 'boolean') return undefined;
  const notes = constraintNotes(node);
  const description = node.description?.replace(/\s+/g, ' ').trim();
  if (notes.length === 0) return description || undefined;
  return description ? `${description} (${notes.join(', ')})` : notes.join(', ');
}

function constraintNotes(node: JsonSchema): string[] {
  const types = Array.isArray(node.type) ? node.type : [node.type];
  const notes: string[] = [];
  if (types.includes('integer')) notes.push('integer');
  const range = rangeNote(node);
  if (range !== undefined) notes.push(range);
  const length = countNote(node.minLength, node.maxLength, 'chars');
  if (length !== undefined) notes.push(length);
  const items = countNote(node.minItems, node.maxItems, 'items');
  if (items !== undefined) notes.push(items);
  if (node.format !== undefined) notes.push(`format ${node.format}`);
  if (node.pattern !== undefined) notes.push(`matches /${node.pattern}/`);
  if (node.default !== undefined) notes.push(`default ${JSON.stringify(node.default)}`);
  return notes;
}

/** Numeric bounds, leaving out the safe-integer limits zod adds to every `.int()`. */
function rangeNote(node: JsonSchema): string | undefined {
  const min = node.minimum === Number.MIN_SAFE_INTEGER ? undefined : node.minimum;
  const max = node.maximum === Number.MAX_SAFE_INTEGER ? undefined : node.maximum;
  const parts: string[] = [];
  if (min !== undefined && max !== undefined) parts.push(`${min}–${max}`);
  else if (min !== undefined) parts.push(`≥ ${min}`);
  else if (max !== undefined) parts.push(`≤ ${max}`);
  if (typeof node.exclusiveMinimum === 'number') parts.push(`> ${node.exclusiveMinimum}`);
  if (typeof node.exclusiveMaximum === 'number') parts.push(`< ${node.exclusiveMaximum}`);
  return parts.length === 0 ? undefined : parts.join(', ');
}

function countNote(min: number | undefined, max: number | undefined, unit: string) {
  const lower = min === 0 ? undefined : min;
  if (lower !== undefined && max !== undefined) return `${lower}–${max} ${unit}`;
  if (max !== undefined) return `max ${max} ${unit}`;
  if (lower === 1) return 'non-empty';
  if (lower !== undefined) return `min ${lower} ${unit}`;
  return undefined;
}

function literal(value: string | number | boolean | null): string {
  if (typeof value !== 'string') return String(value);
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
