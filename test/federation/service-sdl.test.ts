// What `_service { sdl }` gives composition: Gateway-compatible by default, Router's
// authorization directives when ROUTER_AUTHORIZATION_DIRECTIVES is on.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createSubgraphSchema } from '../../src/graphql/schema.js';
import { composeSupergraph, WORKFLOWS_TYPE_DEFS } from '../helpers/workflows.js';
import { Supergraph, ROUTER_SUPPORTED_SUPERGRAPH_FEATURES } from '@apollo/federation-internals';

// @apollo/subgraph builds the schema with the CommonJS graphql; execute it with the same copy.
const { graphql } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

async function serviceSdl(authorizationDirectives: boolean): Promise<string> {
  const result = await graphql({ schema: createSubgraphSchema({ authorizationDirectives }), source: '{ _service { sdl } }' });
  expect(result.errors).toBeUndefined();
  return (result.data as { _service: { sdl: string } })._service.sdl;
}

function composeWith(sdl: string) {
  return composeSupergraph([
    { name: 'identity', url: 'http://identity.invalid/graphql', typeDefs: sdl },
    { name: 'workflows', url: 'http://workflows.invalid/graphql', typeDefs: WORKFLOWS_TYPE_DEFS },
  ]);
}

describe('_service { sdl }', () => {
  it('is off by default (ROUTER_AUTHORIZATION_DIRECTIVES unset) and parses true/1', () => {
    expect(loadConfig({}).routerAuthorizationDirectives).toBe(false);
    expect(loadConfig({ ROUTER_AUTHORIZATION_DIRECTIVES: 'true' }).routerAuthorizationDirectives).toBe(true);
    expect(loadConfig({ ROUTER_AUTHORIZATION_DIRECTIVES: '1' }).routerAuthorizationDirectives).toBe(true);
    expect(() => loadConfig({ ROUTER_AUTHORIZATION_DIRECTIVES: 'yes' })).toThrow(/ROUTER_AUTHORIZATION_DIRECTIVES/);
  });

  it('by default carries no authorization directive, so Apollo Gateway accepts the supergraph', async () => {
    const sdl = await serviceSdl(false);
    expect(sdl).not.toMatch(/@authenticated|@requiresScopes/);
    const composed = composeWith(sdl);
    if (!composed.ok) throw new Error(composed.errors.join('\n'));
    // Gateway builds with the default feature set: this throws on `for: SECURITY` links.
    expect(() => Supergraph.build(composed.supergraphSdl)).not.toThrow();
  });

  it('with the setting on carries @authenticated and @requiresScopes for Apollo Router', async () => {
    const sdl = await serviceSdl(true);
    expect(sdl).toMatch(/viewer: User\b[^\n]*\n[\s\S]*ensureUser\([^)]*\): EnsureUserPayload! @authenticated/);
    expect(sdl).toContain('@requiresScopes(scopes: [["organizations:admin"]])');
    const composed = composeWith(sdl);
    if (!composed.ok) throw new Error(composed.errors.join('\n'));
    expect(() => Supergraph.build(composed.supergraphSdl)).toThrow(/authenticated/);
    expect(() => Supergraph.build(composed.supergraphSdl, { supportedFeatures: ROUTER_SUPPORTED_SUPERGRAPH_FEATURES })).not.toThrow();
  });
});
