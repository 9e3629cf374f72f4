import { z } from 'zod';
import { SHARED_TYPES, type NamedType } from './shared-types';

export type JsonSchema = z.core.JSONSchema.JSONSchema;

const DEFS_PREFIX = '#/$defs/';

/**
 * Reads metadata (`.describe()` texts) from zod's global registry and adds an `id` to each named
 * type, so `z.toJSONSchema` moves named types into `$defs` and refers to them with `$ref`.
 */
class NamedTypeRegistry extends z.core.$ZodRegistry<z.core.GlobalMeta> {
  private readonly names: ReadonlyMap<z.core.$ZodType, string>;

  constructor(named: readonly NamedType[]) {
    super();
    this.names = new Map(named.map((t) => [t.schema, t.name]));
  }

  override get<S extends z.core.$ZodType>(schema: S): z.core.GlobalMeta | undefined {
    const meta = z.globalRegistry.get(schema);
    const id = this.names.get(schema);
    return id === undefined ? meta : { ...meta, id };
  }
}

const sharedTypeRegistry = new NamedTypeRegistry(SHARED_TYPES);

/**
 * The JSON Schema of a protocol type. Shared types appear as `{ $ref: '#/$defs/<Name>' }` (see
 * `refName`), their bodies under `$defs`. With `expandRoot`, a root that is itself a shared type
 * is given as its body rather than as a `$ref` to it.
 */
export function protocolJsonSchema(
  schema: z.ZodType,
  options: { expandRoot?: boolean } = {},
): JsonSchema {
  const json: JsonSchema = z.toJSONSchema(schema, { metadata: sharedTypeRegistry });
  const root = json.$ref === undefined ? undefined : refName(json.$ref);
  if (!options.expandRoot || root === undefined) return json;
  const { $defs = {} } = json;
  return { ...$defs[root], $defs };
}

/** The shared type name a `$ref` points to. */
export function refName(ref: string): string {
  if (!ref.startsWith(DEFS_PREFIX)) {
    throw new Error(`Unsupported $ref ${ref}: only shared types (${DEFS_PREFIX}<Name>) are named`);
  }
  return ref.slice(DEFS_PREFIX.length);
}
