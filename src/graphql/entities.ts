// `_entities`, resolved here rather than by @apollo/subgraph's resolver:
// - a representation that is not an object naming an entity type (`__typename`) resolves to
//   null, like an unknown id, and the others still resolve (@apollo/subgraph fails the list);
// - the list is answered in one pass: references whose rows are cached resolve synchronously,
//   the others go to their type's DataLoader together (one SQL statement per type), and the
//   list is one promise (or none), where @apollo/subgraph awaits every entity on its own to
//   tag its `__typename`. A router asks for hundreds of entities in one request.
import type { GraphQLFieldResolver, GraphQLSchema } from 'graphql';

type ResolveReference = (reference: object, context: unknown, info: unknown) => unknown;

interface EntityType {
  name: string;
  extensions: { apollo?: { subgraph?: { resolveReference?: ResolveReference } } };
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * The entity tagged with its type for the `_Entity` union. Tagged in place: every object a
 * resolveReference returns is this request's own (loaders and the row cache hand out copies),
 * shared at most between references to the same entity, so of the same type.
 */
function tagged(value: unknown, typename: string): unknown {
  if (value === null || typeof value !== 'object') return value ?? null;
  (value as { __typename?: string }).__typename = typename;
  return value;
}

/** An Error in a list is reported by graphql-js at that item's path; the item becomes null. */
function asItemError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export function installEntitiesResolver(schema: GraphQLSchema): void {
  const field = schema.getQueryType()?.getFields()['_entities'];
  // Duck-typed: @apollo/subgraph may load graphql's CommonJS build, so instanceof checks fail.
  const union = schema.getType('_Entity') as { getTypes?: () => readonly EntityType[] } | undefined;
  if (field === undefined || typeof union?.getTypes !== 'function') throw new Error('the schema has no _entities field');
  const entityTypes = new Map(union.getTypes().map((type) => [type.name, type]));

  const resolve: GraphQLFieldResolver<unknown, unknown, { representations?: unknown }> = (_source, args, context, info) => {
    const representations = Array.isArray(args.representations) ? (args.representations as unknown[]) : [];
    let pending = false;
    const results = representations.map((reference) => {
      if (typeof reference !== 'object' || reference === null || Array.isArray(reference)) return null;
      const type = entityTypes.get((reference as { __typename?: unknown }).__typename as string);
      if (type === undefined) return null;
      const resolveReference = type.extensions.apollo?.subgraph?.resolveReference;
      let value: unknown;
      try {
        value = resolveReference === undefined ? reference : resolveReference(reference, context, info);
      } catch (error) {
        return asItemError(error);
      }
      if (!isPromiseLike(value)) return tagged(value, type.name);
      pending = true;
      return Promise.resolve(value).then((resolved) => tagged(resolved, type.name), asItemError);
    });
    return pending ? Promise.all(results) : results;
  };
  field.resolve = resolve as typeof field.resolve;
}
