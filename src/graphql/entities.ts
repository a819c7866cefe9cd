// `_entities`, resolved here rather than by @apollo/subgraph's resolver:
// - a representation that is not an object naming an entity type (`__typename`) resolves to
//   null, like an unknown id, and the others still resolve (@apollo/subgraph fails the list);
// - the list is answered in one pass: references whose rows are cached resolve synchronously,
//   the others go to their type's DataLoader together (one SQL statement per type), and the
//   list is one promise (or none), where @apollo/subgraph awaits every entity on its own to
//   tag its `__typename`. A router asks for hundreds of entities in one request.
// The pass itself (resolveRepresentations) is shared with the entity-fetch plan (entityFetch.ts),
// which answers the router's usual operation without a general executor.
import type { GraphQLFieldResolver, GraphQLSchema } from 'graphql';

type ResolveReference = (reference: object, context: unknown, info: unknown) => unknown;

interface EntityType {
  name: string;
  isTypeOf?: unknown;
  extensions: { apollo?: { subgraph?: { resolveReference?: ResolveReference } } };
}

/** Each representation's entity (or null, or the Error it failed with) and its type name (null: not an entity). */
export interface ResolvedRepresentations {
  values: unknown[];
  typenames: (string | null)[];
}

export interface EntityResolution {
  /** The schema's entity types by name, each with its resolveReference (undefined: the reference is the entity). */
  readonly resolvers: ReadonlyMap<string, ResolveReference | undefined>;
  /**
   * Whether entities can be resolved and typed without graphql's machinery: every
   * resolveReference ignores the resolve info (declares at most two parameters) and no entity
   * type has an isTypeOf check (entityFetch.ts needs both).
   */
  readonly resolvableWithoutInfo: boolean;
  resolve(representations: readonly unknown[], context: unknown, info: unknown): ResolvedRepresentations | Promise<ResolvedRepresentations>;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** An Error in a list is reported by graphql-js at that item's path; the item becomes null. */
function asItemError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function entityTypesOf(schema: GraphQLSchema): readonly EntityType[] {
  // Duck-typed: @apollo/subgraph may load graphql's CommonJS build, so instanceof checks fail.
  const union = schema.getType('_Entity') as { getTypes?: () => readonly EntityType[] } | undefined;
  if (typeof union?.getTypes !== 'function') throw new Error('the schema has no _Entity union');
  return union.getTypes();
}

function createEntityResolution(schema: GraphQLSchema): EntityResolution {
  const types = entityTypesOf(schema);
  const resolvers = new Map(types.map((type) => [type.name, type.extensions.apollo?.subgraph?.resolveReference]));
  const resolvableWithoutInfo = types.every((type) => type.isTypeOf == null) && [...resolvers.values()].every((r) => r === undefined || r.length <= 2);
  return {
    resolvers,
    resolvableWithoutInfo,
    resolve(representations, context, info) {
      const values: unknown[] = new Array(representations.length);
      const typenames: (string | null)[] = new Array(representations.length);
      let pending = false;
      for (let i = 0; i < representations.length; i += 1) {
        const reference = representations[i];
        typenames[i] = null;
        values[i] = null;
        if (typeof reference !== 'object' || reference === null || Array.isArray(reference)) continue;
        const typename = (reference as { __typename?: unknown }).__typename;
        if (typeof typename !== 'string' || !resolvers.has(typename)) continue;
        typenames[i] = typename;
        const resolveReference = resolvers.get(typename);
        let value: unknown;
        try {
          value = resolveReference === undefined ? reference : resolveReference(reference, context, info);
        } catch (error) {
          values[i] = asItemError(error);
          continue;
        }
        if (isPromiseLike(value)) {
          pending = true;
          values[i] = Promise.resolve(value).then((resolved) => resolved ?? null, asItemError);
        } else {
          values[i] = value ?? null;
        }
      }
      if (!pending) return { values, typenames };
      return Promise.all(values).then((settled) => ({ values: settled, typenames }));
    },
  };
}

const installed = new WeakMap<GraphQLSchema, { resolution: EntityResolution; resolve: unknown }>();

/**
 * The schema's entity resolution, while `_entities` is resolved by the resolver
 * installEntitiesResolver put there (not, say, wrapped by an instrumentation); else undefined.
 */
export function entityResolutionOf(schema: GraphQLSchema): EntityResolution | undefined {
  const entry = installed.get(schema);
  return entry !== undefined && schema.getQueryType()?.getFields()['_entities']?.resolve === entry.resolve ? entry.resolution : undefined;
}

/**
 * The entity tagged with its type for the `_Entity` union. Tagged in place: every object a
 * resolveReference returns is this request's own (loaders and the row cache hand out copies),
 * shared at most between references to the same entity, so of the same type.
 */
function tagged(value: unknown, typename: string | null): unknown {
  if (value === null || typeof value !== 'object' || value instanceof Error || typename === null) return value;
  (value as { __typename?: string }).__typename = typename;
  return value;
}

function taggedList({ values, typenames }: ResolvedRepresentations): unknown[] {
  for (let i = 0; i < values.length; i += 1) values[i] = tagged(values[i], typenames[i]!);
  return values;
}

export function installEntitiesResolver(schema: GraphQLSchema): void {
  const field = schema.getQueryType()?.getFields()['_entities'];
  if (field === undefined) throw new Error('the schema has no _entities field');
  const resolution = createEntityResolution(schema);
  const resolve: GraphQLFieldResolver<unknown, unknown, { representations?: unknown }> = (_source, args, context, info) => {
    const representations = Array.isArray(args.representations) ? (args.representations as unknown[]) : [];
    const resolved = resolution.resolve(representations, context, info);
    return resolved instanceof Promise ? resolved.then(taggedList) : taggedList(resolved);
  };
  field.resolve = resolve as typeof field.resolve;
  installed.set(schema, { resolution, resolve });
}
