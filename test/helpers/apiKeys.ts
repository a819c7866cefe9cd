// Shared by the API key suites (test/api-keys): creating keys through GraphQL, and the documents.
import type { GraphQLResult } from './app.js';

export const API_KEY_FIELDS = 'id name prefix scopes organization { id } createdBy { id } createdAt lastUsedAt expiresAt revokedAt';

export const CREATE_API_KEY = `mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { ${API_KEY_FIELDS} } } }`;
export const REVOKE_API_KEY = 'mutation ($id: ID!) { revokeApiKey(id: $id) }';

type Gql = (query: string, options?: { token?: string; variables?: Record<string, unknown> }) => Promise<GraphQLResult<any>>;

export interface CreatedKey {
  id: string;
  secret: string;
  prefix: string;
}

/** createApiKey by `token` (asserting success). */
export async function createKey(gql: Gql, token: string, input: Record<string, unknown>): Promise<CreatedKey> {
  const result = await gql(CREATE_API_KEY, { token, variables: { input: { name: 'test key', ...input } } });
  if (result.body.errors !== undefined) throw new Error(`createApiKey failed: ${JSON.stringify(result.body.errors)}`);
  const created = result.body.data.createApiKey;
  return { id: created.apiKey.id, secret: created.secret, prefix: created.apiKey.prefix };
}

export function revokeKey(gql: Gql, token: string, id: string): Promise<GraphQLResult<any>> {
  return gql(REVOKE_API_KEY, { token, variables: { id } });
}

export const code = (result: GraphQLResult<unknown>) => result.body.errors?.[0]?.extensions?.['code'];
export const reason = (result: GraphQLResult<unknown>) => result.body.errors?.[0]?.extensions?.['reason'];
