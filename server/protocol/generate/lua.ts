import type { z } from 'zod';
import {
  FINAL_STATUSES,
  FLOW_NAMES,
  type MethodDeclaration,
  PROTOCOL_METHODS,
  PROTOCOL_VERSION,
  SessionStatus,
} from '..';
import { type JsonSchema, protocolJsonSchema, refName } from './json-schema';
import { SHARED_TYPES } from './shared-types';

export const PROTOCOL_LUA_PATH = 'clients/neovim/lua/tandem/protocol.lua';

/** `tandem/session/status` → `session_status`. */
function key(method: string): string {
  return method
    .replace(/^tandem\//, '')
    .replace(/\//g, '_')
    .replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** `tandem/session/status` → `SessionStatusParams`. */
function className(method: string, suffix: 'Params' | 'Result'): string {
  const words = method.replace(/^tandem\//, '').split(/[/_]/);
  return `tandem.${words.map((w) => w[0].toUpperCase() + w.slice(1)).join('')}${suffix}`;
}

function luaString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/** A LuaCATS type for a JSON Schema. */
function luaType(schema: JsonSchema | boolean | undefined): string {
  if (typeof schema !== 'object' || schema === null) return 'any';
  if (schema.$ref) return `tandem.${refName(schema.$ref)}`;
  if (schema.enum) return schema.enum.map((v) => luaString(String(v))).join('|');
  if (schema.anyOf) return schema.anyOf.map((s) => luaType(s as JsonSchema)).join('|');
  if (Array.isArray(schema.type)) {
    return schema.type.map((t) => luaType({ ...schema, type: t } as JsonSchema)).join('|');
  }
  switch (schema.type) {
    case 'string':
      return 'string';
    case 'integer':
      return 'integer';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'nil';
    case 'array':
      return `${luaType(schema.items as JsonSchema)}[]`;
    case 'object':
      if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        return `table<string, ${luaType(schema.additionalProperties as JsonSchema)}>`;
      }
      return 'table';
    default:
      return 'any';
  }
}

function classLines(name: string, json: JsonSchema, description?: string): string[] {
  const lines: string[] = [];
  if (description) lines.push(`--- ${description.split('\n')[0]}`);
  if (json.type !== 'object' || !json.properties) {
    lines.push(`---@alias ${name} ${luaType(json)}`, '');
    return lines;
  }
  lines.push(`---@class ${name}`);
  const required = new Set(json.required ?? []);
  for (const [field, schema] of Object.entries(json.properties)) {
    const s = schema as JsonSchema;
    const doc = s.description ? ` ${s.description.replace(/\s+/g, ' ')}` : '';
    lines.push(`---@field ${field}${required.has(field) ? '' : '?'} ${luaType(s)}${doc}`);
  }
  lines.push('');
  return lines;
}

function schemaOf(schema: z.ZodType): JsonSchema {
  return protocolJsonSchema(schema, { expandRoot: true });
}

/**
 * `clients/neovim/lua/tandem/protocol.lua`: the method names, directions and constants of
 * protocol v1 for the Neovim client, with LuaCATS annotations of every payload (for
 * lua-language-server). Generated, so the plugin can never spell a method differently.
 */
export function renderProtocolLua(): string {
  const methods = PROTOCOL_METHODS as readonly MethodDeclaration[];
  const out: string[] = [
    '-- Generated from server/protocol by `npm run gen`. Do not edit: change the declarations.',
    '-- Protocol v1 of tandem: method names, directions, constants and payload annotations.',
    '',
    '---@meta _',
    '',
  ];
  for (const shared of SHARED_TYPES) {
    out.push(...classLines(`tandem.${shared.name}`, schemaOf(shared.schema)));
  }
  for (const m of methods) {
    out.push(...classLines(className(m.method, 'Params'), schemaOf(m.params), m.method));
    if (m.kind === 'request') {
      out.push(...classLines(className(m.method, 'Result'), schemaOf(m.result)));
    }
  }
  out.push('local M = {}', '', `M.version = ${PROTOCOL_VERSION}`, '');
  out.push('--- Every method by key, e.g. `M.methods.chat_send`.', 'M.methods = {');
  for (const m of methods) out.push(`  ${key(m.method)} = ${luaString(m.method)},`);
  out.push('}', '');
  out.push('--- Notifications the server sends; a client handles each of them.');
  out.push('M.server_to_client = {');
  for (const m of methods.filter((m) => m.direction === 'serverToClient')) {
    out.push(`  ${luaString(m.method)},`);
  }
  out.push('}', '');
  out.push('--- Flow ids in order, and their names.', 'M.flow_ids = {');
  for (const id of Object.keys(FLOW_NAMES)) out.push(`  ${luaString(id)},`);
  out.push('}', 'M.flow_names = {');
  for (const [id, name] of Object.entries(FLOW_NAMES)) out.push(`  ${id} = ${luaString(name)},`);
  out.push('}', '');
  out.push('M.statuses = {');
  for (const s of SessionStatus.options) out.push(`  ${luaString(s)},`);
  out.push('}', 'M.final_statuses = {');
  for (const s of FINAL_STATUSES) out.push(`  ${s} = true,`);
  out.push('}', '', 'return M', '');
  return out.join('\n');
}
