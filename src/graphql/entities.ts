// `_entities`, resolved here rather than by @apollo/subgraph's resolver: a malformed
// representation resolves to null and the others still resolve (@apollo/subgraph fails the
// list), and the list is one promise, its references batched per type by the loaders.
import type { GraphQLFieldResolver, GraphQLSchema } from 'graphql';
import { referenceResolversOf } from './apolloBoundary.js';

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** An Error in a list is reported by graphql at that item's path; the item becomes null. */
function asItemError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * The entity tagged with its type for the `_Entity` union. Tagged in place: every object a
 * resolveReference returns is this request's own (the user store and the request's view hand out copies),
 * shared at most between references to the same entity, so of the same type.
 */
function tagged(value: unknown, typename: string): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object' && !(value instanceof Error)) (value as { __typename?: string }).__typename = typename;
  return value;
}

export function installEntitiesResolver(schema: GraphQLSchema): void {
  const field = schema.getQueryType()?.getFields()['_entities'];
  if (field === undefined) throw new Error('the schema has no _entities field');
  const resolvers = referenceResolversOf(schema);
  const resolve: GraphQLFieldResolver<unknown, unknown, { representations?: unknown }> = (_source, args, context, info) => {
    const representations = Array.isArray(args.representations) ? (args.representations as unknown[]) : [];
    // Every reference is asked for before any is awaited, so each type's loader sees them all.
    const values: unknown[] = new Array(representations.length);
    let pending = false;
    for (let i = 0; i < representations.length; i += 1) {
      const reference = representations[i];
      values[i] = null;
      if (typeof reference !== 'object' || reference === null || Array.isArray(reference)) continue;
      const typename = (reference as { __typename?: unknown }).__typename;
      if (typeof typename !== 'string') continue;
      const resolveReference = resolvers.get(typename);
      if (resolveReference === undefined) continue;
      let value: unknown;
      try {
        value = resolveReference(reference, context, info);
      } catch (error) {
        values[i] = asItemError(error);
        continue;
      }
      if (isPromiseLike(value)) {
        pending = true;
        values[i] = Promise.resolve(value).then((resolved) => tagged(resolved, typename), asItemError);
      } else {
        values[i] = tagged(value, typename);
      }
    }
    return pending ? Promise.all(values) : values;
  };
  field.resolve = resolve as typeof field.resolve;
}
