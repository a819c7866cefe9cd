// The executable subgraph schema: schema.graphql + resolvers, through buildSubgraphSchema.
import { readFileSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, type GraphQLSchema } from 'graphql';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { resolvers } from './resolvers/index.js';

export const SCHEMA_PATH = new URL('../../schema.graphql', import.meta.url);

export function readTypeDefs(): string {
  return readFileSync(SCHEMA_PATH, 'utf8');
}

export function createSubgraphSchema(): GraphQLSchema {
  return buildSubgraphSchema({ typeDefs: parse(readTypeDefs()), resolvers: resolvers as GraphQLResolverMap<unknown> });
}
