// The executable subgraph schema: schema.graphql + resolvers, through buildSubgraphSchema.
// schema.graphql declares Router's authorization directives; whether `_service { sdl }` carries
// them is a deployment choice (Apollo Gateway refuses supergraphs that link them).
import { readFileSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { Kind, parse, print, visit, type GraphQLSchema } from 'graphql';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { installEntitiesResolver } from './entities.js';
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
  installEntitiesResolver(schema);
  return schema;
}
