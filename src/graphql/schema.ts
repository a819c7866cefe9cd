// The executable subgraph schema: schema.graphql + resolvers, through buildSubgraphSchema.
// schema.graphql declares Router's authorization directives; whether `_service { sdl }` carries
// them is a deployment choice (Apollo Gateway refuses supergraphs that link them).
import { readFileSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { Kind, parse, print, visit, type GraphQLSchema } from 'graphql';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { resolvers } from './resolvers/index.js';

export const SCHEMA_PATH = new URL('../../schema.graphql', import.meta.url);

export function readTypeDefs(): string {
  return readFileSync(SCHEMA_PATH, 'utf8');
}

const AUTHORIZATION_DIRECTIVES = new Set(['authenticated', 'requiresScopes']);

/**
 * The SDL without @authenticated / @requiresScopes (and their @link imports). Apollo Gateway
 * refuses a supergraph linking these `for: SECURITY` features because it cannot enforce them;
 * the subgraph enforces every rule itself, so nothing is lost behind a Gateway.
 */
export function withoutAuthorizationDirectives(typeDefs: string): string {
  return print(
    visit(parse(typeDefs), {
      Directive(node) {
        return AUTHORIZATION_DIRECTIVES.has(node.name.value) ? null : undefined;
      },
      Argument(node) {
        if (node.name.value !== 'import' || node.value.kind !== Kind.LIST) return undefined;
        const values = node.value.values.filter((v) => !(v.kind === Kind.STRING && AUTHORIZATION_DIRECTIVES.has(v.value.slice(1))));
        return { ...node, value: { ...node.value, values } };
      },
    }),
  );
}

export interface SubgraphSchemaOptions {
  /** Serve @authenticated / @requiresScopes to composition (Apollo Router with authorization). */
  authorizationDirectives: boolean;
}

export function createSubgraphSchema(options: SubgraphSchemaOptions): GraphQLSchema {
  const typeDefs = options.authorizationDirectives ? readTypeDefs() : withoutAuthorizationDirectives(readTypeDefs());
  const schema = buildSubgraphSchema({ typeDefs: parse(typeDefs), resolvers: resolvers as GraphQLResolverMap<unknown> });
  tolerateMalformedRepresentations(schema);
  return schema;
}

/**
 * @apollo/subgraph fails the whole `_entities` list (as an internal error) on one representation
 * that is not an object with an entity `__typename`; such a representation resolves to null
 * instead, like an unknown id, and the others still resolve.
 */
function tolerateMalformedRepresentations(schema: GraphQLSchema): void {
  const field = schema.getQueryType()?.getFields()['_entities'];
  // Duck-typed: @apollo/subgraph may load graphql's CommonJS build, so instanceof checks fail.
  const union = schema.getType('_Entity') as { getTypes?: () => readonly { name: string }[] } | undefined;
  if (field?.resolve === undefined || typeof union?.getTypes !== 'function') return;
  const entityTypes = new Set(union.getTypes().map((type) => type.name));
  const resolve = field.resolve;
  field.resolve = (source, args: { representations?: unknown }, context, info) => {
    const representations = Array.isArray(args.representations) ? args.representations : [];
    const valid = representations.map(
      (r) => typeof r === 'object' && r !== null && !Array.isArray(r) && entityTypes.has((r as { __typename?: unknown }).__typename as string),
    );
    if (valid.every(Boolean)) return resolve(source, args, context, info);
    const resolved = resolve(source, { ...args, representations: representations.filter((_, i) => valid[i]) }, context, info) as unknown[];
    let next = 0;
    return valid.map((ok) => (ok ? resolved[next++] : null));
  };
}
