import type { z } from 'zod';
import {
  FINAL_STATUSES,
  FLOW_NAMES,
  type MethodDeclaration,
  PROTOCOL_METHODS,
  PROTOCOL_VERSION,
} from '..';
import { type JsonSchema, protocolJsonSchema, refName } from './json-schema';
import { SHARED_TYPES } from './shared-types';

export const PROTOCOL_JAVA_PATH =
  'clients/jetbrains/core/src/main/java/dev/tandem/core/protocol/Protocol.java';

const PACKAGE = 'dev.tandem.core.protocol';
const INDENT = '  ';

/** Java keywords a JSON field could collide with; such a field gets a `_` and a @SerializedName. */
const RESERVED = new Set(
  (
    'abstract assert boolean break byte case catch char class const continue default do double ' +
    'else enum extends final finally float for goto if implements import instanceof int ' +
    'interface long native new package private protected public return short static strictfp ' +
    'super switch synchronized this throw throws transient try void volatile while record var'
  ).split(' '),
);

/** Named types that are plain strings in Java (an alias would only hide that). */
const STRING_ALIASES = new Set(['Id']);

function pascal(words: string): string {
  return words
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
}

/** `fix_pipeline` → `FIX_PIPELINE`, `chatSend` → `CHAT_SEND`. */
function constant(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
}

/** `tandem/session/status` → `SessionStatus`. */
function methodStem(method: string): string {
  return pascal(method.replace(/^tandem\//, ''));
}

/** `links` → `Link`, `statuses` → `Status`: the class of one item of an array field. */
function singular(field: string): string {
  if (/uses$|sses$|tuses$/.test(field)) return field.slice(0, -2);
  return field.endsWith('s') ? field.slice(0, -1) : field;
}

function javaString(s: string): string {
  return JSON.stringify(s);
}

function javadoc(text: string | undefined, indent: string): string[] {
  if (!text) return [];
  const clean = text
    .replace(/\s+/g, ' ')
    .replace(/\*\//g, '*&#47;')
    .replace(/`([^`]+)`/g, '{@code $1}');
  return [`${indent}/** ${clean} */`];
}

/**
 * What typing a class's fields works with: the enums hoisted to the top level (by field name),
 * and the nested declarations collected on the way.
 */
interface Scope {
  readonly hoisted: ReadonlyMap<string, string[]>;
  readonly nested: string[][];
}

function isObjectWithProperties(schema: JsonSchema): boolean {
  return schema.type === 'object' && schema.properties !== undefined;
}

/**
 * The Java type of a field's schema. Inline objects and enums become nested declarations of the
 * owner (pushed to `scope.nested`), named after the field, unless hoisted.
 */
function javaType(
  schema: JsonSchema | boolean | undefined,
  field: string,
  scope: Scope,
  indent: string,
): string {
  if (typeof schema !== 'object' || schema === null) return 'JsonElement';
  if (schema.$ref) {
    const name = refName(schema.$ref);
    return STRING_ALIASES.has(name) ? 'String' : name;
  }
  if (schema.enum) {
    const name = pascal(field);
    if (scope.hoisted.has(field)) return name;
    scope.nested.push(renderEnum(name, schema.enum.map(String), schema.description, indent));
    return name;
  }
  if (Array.isArray(schema.type)) {
    const types = schema.type.filter((t) => t !== 'null');
    if (types.length !== 1) return 'JsonElement';
    return javaType({ ...schema, type: types[0] } as JsonSchema, field, scope, indent);
  }
  switch (schema.type) {
    case 'string':
      return 'String';
    case 'integer':
      return 'Long';
    case 'number':
      return 'Double';
    case 'boolean':
      return 'Boolean';
    case 'array':
      return `List<${javaType(schema.items as JsonSchema, singular(field), scope, indent)}>`;
    case 'object': {
      if (isObjectWithProperties(schema)) {
        const name = pascal(field);
        scope.nested.push(renderClass(name, schema, undefined, indent, scope.hoisted));
        return name;
      }
      const values = schema.additionalProperties;
      if (values && typeof values === 'object') {
        return `Map<String, ${javaType(values as JsonSchema, singular(field), scope, indent)}>`;
      }
      return 'JsonObject';
    }
    default:
      return 'JsonElement';
  }
}

function renderEnum(
  name: string,
  values: string[],
  description: string | undefined,
  indent: string,
): string[] {
  const inner = indent + INDENT;
  return [
    ...javadoc(description, indent),
    `${indent}public enum ${name} {`,
    ...values.map(
      (v, i) =>
        `${inner}@SerializedName(${javaString(v)}) ${constant(v)}(${javaString(v)})${i === values.length - 1 ? ';' : ','}`,
    ),
    '',
    `${inner}/** The value on the wire. */`,
    `${inner}public final String value;`,
    '',
    `${inner}${name}(String value) {`,
    `${inner}${INDENT}this.value = value;`,
    `${inner}}`,
    '',
    `${inner}/** The constant for a wire value, or null for one this version does not know. */`,
    `${inner}public static ${name} of(String value) {`,
    `${inner}${INDENT}for (${name} c : values()) if (c.value.equals(value)) return c;`,
    `${inner}${INDENT}return null;`,
    `${inner}}`,
    `${indent}}`,
  ];
}

function renderClass(
  name: string,
  schema: JsonSchema,
  description: string | undefined,
  indent: string,
  hoisted: ReadonlyMap<string, string[]>,
): string[] {
  const inner = indent + INDENT;
  const required = new Set(schema.required ?? []);
  const scope: Scope = { hoisted, nested: [] };
  const fields: string[] = [];
  for (const [field, value] of Object.entries(schema.properties ?? {})) {
    const s = value as JsonSchema;
    const type = javaType(s, field, scope, inner);
    const javaName = RESERVED.has(field) ? `${field}_` : field;
    fields.push(...javadoc(s.description, inner));
    const annotations = [
      ...(required.has(field) ? ['@Required'] : []),
      ...(javaName !== field ? [`@SerializedName(${javaString(field)})`] : []),
    ];
    fields.push(`${inner}${[...annotations, 'public', type, javaName].join(' ')};`);
  }
  const body = [...fields];
  for (const declaration of scope.nested) body.push('', ...declaration);
  return [
    ...javadoc(description, indent),
    `${indent}public static final class ${name} {`,
    ...body,
    `${indent}}`,
  ];
}

function schemaOf(schema: z.ZodType): JsonSchema {
  return protocolJsonSchema(schema, { expandRoot: true });
}

/** The shared type a payload is as a whole (e.g. `tandem/session/status` sends a SessionSnapshot). */
function sharedRoot(schema: z.ZodType): string | undefined {
  const json = protocolJsonSchema(schema);
  return json.$ref === undefined ? undefined : refName(json.$ref);
}

interface Payload {
  readonly className: string;
  readonly lines: string[];
}

function payload(
  schema: z.ZodType,
  name: string,
  description: string,
  hoisted: ReadonlyMap<string, string[]>,
): Payload {
  const shared = sharedRoot(schema);
  if (shared !== undefined)
    return { className: STRING_ALIASES.has(shared) ? 'String' : shared, lines: [] };
  return {
    className: name,
    lines: renderClass(name, schemaOf(schema), description, INDENT, hoisted),
  };
}

/**
 * Inline enums that several payloads share by field name and values (`decision`, `scope`): one
 * top-level enum each, so a client compares `Protocol.Decision.APPROVE` wherever it comes from.
 */
function sharedInlineEnums(schemas: readonly JsonSchema[]): Map<string, string[]> {
  const seen = new Map<string, { values: string; count: number; conflict: boolean }>();
  const visit = (schema: unknown, field: string | undefined) => {
    if (typeof schema !== 'object' || schema === null) return;
    const s = schema as JsonSchema;
    if (s.$ref) return;
    if (s.enum && field !== undefined) {
      const values = JSON.stringify(s.enum.map(String));
      const entry = seen.get(field);
      if (!entry) seen.set(field, { values, count: 1, conflict: false });
      else {
        entry.count++;
        entry.conflict ||= entry.values !== values;
      }
    }
    for (const [name, value] of Object.entries(s.properties ?? {})) visit(value, name);
    if (s.items) visit(s.items, field === undefined ? undefined : singular(field));
    if (typeof s.additionalProperties === 'object') visit(s.additionalProperties, field);
  };
  for (const schema of schemas) visit(schema, undefined);
  const shared = new Set(SHARED_TYPES.map((t) => t.name));
  return new Map(
    [...seen]
      .filter(([name, e]) => e.count > 1 && !e.conflict && !shared.has(pascal(name)))
      .map(([name, e]) => [name, JSON.parse(e.values) as string[]]),
  );
}

/**
 * `clients/jetbrains/core/…/Protocol.java`: protocol v1 for the JetBrains client as plain Java
 * (Gson annotations only): method names, directions, constants, and a class for every payload
 * with `@Required` on the fields the server always sends. Generated, so the plugin can never
 * spell a method or a field differently.
 */
export function renderProtocolJava(
  methods: readonly MethodDeclaration[] = PROTOCOL_METHODS,
): string {
  const body: string[] = [];
  const add = (lines: string[]) => {
    if (lines.length > 0) body.push(...lines, '');
  };
  const hoisted = sharedInlineEnums([
    ...SHARED_TYPES.map((t) => schemaOf(t.schema)),
    ...methods.flatMap((m) =>
      [m.params, ...(m.kind === 'request' ? [m.result] : [])].map(schemaOf),
    ),
  ]);

  body.push(`${INDENT}/** The protocol version this file was generated from. */`);
  body.push(`${INDENT}public static final int VERSION = ${PROTOCOL_VERSION};`, '');

  body.push(`${INDENT}/** Every method name of protocol v1. */`);
  body.push(`${INDENT}public static final class Methods {`);
  body.push(`${INDENT}${INDENT}private Methods() {}`, '');
  for (const m of methods) {
    body.push(
      `${INDENT}${INDENT}public static final String ${constant(methodStem(m.method))} = ${javaString(m.method)};`,
    );
  }
  body.push(`${INDENT}}`, '');

  body.push(`${INDENT}/** Who sends a method. Requests always go client → server. */`);
  body.push(
    `${INDENT}public enum Direction {`,
    `${INDENT}${INDENT}CLIENT_TO_SERVER,`,
    `${INDENT}${INDENT}SERVER_TO_CLIENT`,
    `${INDENT}}`,
    '',
  );
  body.push(
    `${INDENT}/**`,
    `${INDENT} * A method of protocol v1: its name, whether it is a request, who sends it, the`,
    `${INDENT} * {@code capabilities.experimental.tandem} flag it needs (or null), and its payload classes`,
    `${INDENT} * ({@code result} is null for notifications).`,
    `${INDENT} */`,
    `${INDENT}public record Method(String name, boolean request, Direction direction, String capability, Class<?> params, Class<?> result) {}`,
    '',
  );
  body.push(
    `${INDENT}/** Marks a field the sender always sets; {@code Json} rejects a payload without it. */`,
    `${INDENT}@Retention(RetentionPolicy.RUNTIME)`,
    `${INDENT}@Target(ElementType.FIELD)`,
    `${INDENT}public @interface Required {}`,
    '',
  );

  for (const shared of SHARED_TYPES) {
    if (STRING_ALIASES.has(shared.name)) continue;
    const json = schemaOf(shared.schema);
    if (json.enum) add(renderEnum(shared.name, json.enum.map(String), json.description, INDENT));
    else add(renderClass(shared.name, json, json.description, INDENT, hoisted));
  }

  for (const [field, values] of hoisted) add(renderEnum(pascal(field), values, undefined, INDENT));

  const table: string[] = [];
  for (const m of methods) {
    const stem = methodStem(m.method);
    const params = payload(m.params, `${stem}Params`, m.method, hoisted);
    add(params.lines);
    let result = 'null';
    if (m.kind === 'request') {
      const r = payload(m.result, `${stem}Result`, `Result of ${m.method}`, hoisted);
      add(r.lines);
      result = `${r.className}.class`;
    }
    const direction = m.direction === 'clientToServer' ? 'CLIENT_TO_SERVER' : 'SERVER_TO_CLIENT';
    const capability = m.capability === null ? 'null' : javaString(m.capability);
    table.push(
      `${INDENT}${INDENT}${INDENT}new Method(Methods.${constant(stem)}, ${m.kind === 'request'}, Direction.${direction}, ${capability}, ${params.className}.class, ${result})`,
    );
  }

  body.push(`${INDENT}/** Every method, in documentation order. */`);
  body.push(`${INDENT}public static final List<Method> METHODS =`, `${INDENT}${INDENT}List.of(`);
  body.push(table.join(',\n') + ');', '');

  body.push(`${INDENT}/** The flows in order, with the names users see. */`);
  body.push(`${INDENT}public static final Map<FlowId, String> FLOW_NAMES;`, '');
  body.push(`${INDENT}/** The statuses a session never leaves. */`);
  body.push(`${INDENT}public static final Set<SessionStatus> FINAL_STATUSES =`);
  body.push(
    `${INDENT}${INDENT}Collections.unmodifiableSet(EnumSet.of(${FINAL_STATUSES.map((s) => `SessionStatus.${constant(s)}`).join(', ')}));`,
    '',
  );
  body.push(
    `${INDENT}static {`,
    `${INDENT}${INDENT}Map<FlowId, String> names = new LinkedHashMap<>();`,
  );
  for (const [id, name] of Object.entries(FLOW_NAMES)) {
    body.push(`${INDENT}${INDENT}names.put(FlowId.${constant(id)}, ${javaString(name)});`);
  }
  body.push(`${INDENT}${INDENT}FLOW_NAMES = Collections.unmodifiableMap(names);`, `${INDENT}}`, '');
  body.push(`${INDENT}/** The method with this name, or null. */`);
  body.push(`${INDENT}public static Method method(String name) {`);
  body.push(`${INDENT}${INDENT}for (Method m : METHODS) if (m.name().equals(name)) return m;`);
  body.push(`${INDENT}${INDENT}return null;`, `${INDENT}}`);

  return [
    '// Generated from server/protocol by `npm run gen`. Do not edit: change the declarations.',
    `package ${PACKAGE};`,
    '',
    'import com.google.gson.JsonElement;',
    'import com.google.gson.JsonObject;',
    'import com.google.gson.annotations.SerializedName;',
    'import java.lang.annotation.ElementType;',
    'import java.lang.annotation.Retention;',
    'import java.lang.annotation.RetentionPolicy;',
    'import java.lang.annotation.Target;',
    'import java.util.Collections;',
    'import java.util.EnumSet;',
    'import java.util.LinkedHashMap;',
    'import java.util.List;',
    'import java.util.Map;',
    'import java.util.Set;',
    '',
    '/** Protocol v1 of tandem: method names, directions, constants and every payload. */',
    '@SuppressWarnings("unused")',
    'public final class Protocol {',
    `${INDENT}private Protocol() {}`,
    '',
    ...body,
    '}',
    '',
  ].join('\n');
}
