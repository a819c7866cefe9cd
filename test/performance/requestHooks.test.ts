// The request hooks cost a request no allocation of their own: Apollo gets one listener object,
// built at start-up, for every request (requestHooks.ts says why). Fails if a listener is built
// per request again.
import type { GraphQLRequestContext } from '@apollo/server';
import { describe, expect, it } from 'vitest';
import type { GraphQLContext } from '../../src/graphql/context.js';
import { createRequestHooksPlugin } from '../../src/graphql/requestHooks.js';

const silent = { error() {} };

describe('request hooks', () => {
  it('hand Apollo the same listener object for every request', async () => {
    const plugin = createRequestHooksPlugin({ logger: silent, maxEntityRepresentations: 10, hideSuggestions: true });
    const request = () => ({ contextValue: {} }) as unknown as GraphQLRequestContext<GraphQLContext>;
    const first = await plugin.requestDidStart!(request());
    const second = await plugin.requestDidStart!(request());
    expect(first).toBeDefined();
    expect(second).toBe(first);
  });
});
