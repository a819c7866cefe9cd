// End to end through GraphQL Hive Gateway (@graphql-hive/gateway-runtime) with the JWT plugin
// (@graphql-yoga/plugin-jwt, the plugin Hive Gateway's `useJWT` wraps) trusting our JWKS, set up
// as docs/federation.md says: ES256 named in the algorithms, issuer and audience checked, the
// verified token forwarded as the bearer to this subgraph alone, the SDL fetched and every
// subgraph request sent with X-Subgraph-Secret through an onFetch hook, JWKS refetches limited.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime, type GatewayConfig, type GatewayPlugin, type GatewayRuntime } from '@graphql-hive/gateway-runtime';
import type { ExecutionRequest } from '@graphql-tools/utils';
import { print } from 'graphql';
import { createRemoteJwksSigningKeyProvider, extractFromHeader, useJWT } from '@graphql-yoga/plugin-jwt';
import { describe, expect, it } from 'vitest';
import { AUDIENCE } from '../helpers/issuer.js';
import { useSupergraph } from '../helpers/supergraph.js';

const SECRET = 'hive-gateway-to-subgraph-secret';

/** Headers of every request the gateway sent the identity subgraph (the SDL fetch included). */
const sentToIdentity: Headers[] = [];

/** X-Subgraph-Secret on every request to the identity subgraph, the `_service { sdl }` fetch included. */
function subgraphSecret(url: string, secret: string): GatewayPlugin {
  return {
    onFetch({ url: target, options, setOptions }) {
      if (!target.startsWith(url)) return;
      const headers = new Headers(options.headers as HeadersInit | undefined);
      headers.set('x-subgraph-secret', secret);
      sentToIdentity.push(headers);
      setOptions({ ...options, headers: Object.fromEntries(headers) });
    },
  };
}

/**
 * Subgraph requests over HTTP. A deployment uses `@graphql-mesh/transport-http`, which
 * `@graphql-hive/gateway` depends on; only the runtime is installed here, so the suite supplies
 * this minimal one. It sends through the gateway's fetch, so onFetch hooks and header
 * propagation apply exactly as with the real transport.
 */
const httpTransport: NonNullable<GatewayConfig['transports']> = {
  http: {
    getSubgraphExecutor: ({ transportEntry, fetch }) =>
      (async (request: ExecutionRequest) => {
        const response = await fetch!(
          transportEntry.location!,
          {
            method: 'POST',
            headers: { 'content-type': 'application/json', accept: 'application/json' },
            body: JSON.stringify({ query: print(request.document), variables: request.variables, operationName: request.operationName }),
          },
          request.context,
          { executionRequest: request } as never,
        );
        return response.json();
      }) as never,
  },
};

const graph = useSupergraph({
  secret: SECRET,
  // Our tokens are ES256 here: the plugin's default algorithms (RS256, HS256) would refuse them.
  issuer: { alg: 'ES256' },
  async startGateway({ issuer, identityUrl, workflows }) {
    const gateway: GatewayRuntime = createGatewayRuntime({
      // Composed from the live subgraphs' `_service { sdl }`, as `hive-gateway supergraph` does from
      // a registry; the SDL fetch goes through the onFetch hook below, which adds the secret.
      supergraph: { type: 'dev', services: [{ name: 'identity', url: identityUrl }, { name: 'workflows', url: workflows.url }] },
      logging: false,
      transports: httpTransport,
      plugins: () => [
        useJWT({
          signingKeyProviders: [
            createRemoteJwksSigningKeyProvider({ jwksUri: issuer.jwksUri, cache: true, rateLimit: true, jwksRequestsPerMinute: 10 }),
          ],
          tokenLookupLocations: [extractFromHeader({ name: 'authorization', prefix: 'Bearer' })],
          tokenVerification: { algorithms: ['ES256'], issuer: issuer.url, audience: AUDIENCE },
          // Anonymous requests go on (viewer null); a bad token never does.
          reject: { missingToken: false, invalidToken: true },
        }),
        subgraphSecret(identityUrl, SECRET),
      ],
      propagateHeaders: {
        // The verified token, as the bearer, to this subgraph only: it resolves the canonical user
        // itself. No claim (the email) goes to any subgraph.
        fromClientToSubgraphs: ({ request, subgraphName }) =>
          subgraphName === 'identity' ? { authorization: request.headers.get('authorization') ?? undefined } : {},
      },
    });
    const server: Server = createServer(gateway);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
      async close() {
        await new Promise((resolve) => server.close(resolve));
        await gateway.dispose();
      },
    };
  },
});
const { query } = graph;

function token(claims: Record<string, unknown> = {}): Promise<string> {
  return graph.issuer.sign({ sub: `auth0|${randomUUID()}`, aud: AUDIENCE, email: `${randomUUID()}@example.com`, email_verified: true, ...claims });
}

describe('through Hive Gateway', () => {
  it('a viewer query returns the user, with fields from both subgraphs', async () => {
    const bearer = await token({ given_name: 'Ada', family_name: 'Lovelace' });
    const first = await query('{ viewer { id email name givenName familyName } }', bearer);
    expect(first.body.errors).toBeUndefined();
    const ada = first.body.data.viewer;
    expect(ada).toMatchObject({ name: 'Ada Lovelace', givenName: 'Ada', familyName: 'Lovelace' });
    expect(ada.id).toMatch(/^[0-9a-f-]{36}$/);
    graph.workflows.workflows.push({ id: randomUUID(), title: 'Quarterly close', ownerId: ada.id });
    const both = await query('{ viewer { id workflows { title owner { id name } } } }', bearer);
    expect(both.body.errors).toBeUndefined();
    expect(both.body.data.viewer).toEqual({ id: ada.id, workflows: [{ title: 'Quarterly close', owner: { id: ada.id, name: 'Ada Lovelace' } }] });
  });

  it('the SDL fetch and every request to this subgraph carried X-Subgraph-Secret', () => {
    expect(sentToIdentity.length).toBeGreaterThan(0);
    expect(sentToIdentity.every((headers) => headers.get('x-subgraph-secret') === SECRET)).toBe(true);
  });

  it('the other subgraph received neither the bearer nor any claim', async () => {
    await query('{ viewer { workflows { title } } }', await token());
    expect(graph.workflows.authorizations.length).toBeGreaterThan(0);
    expect(graph.workflows.authorizations.every((authorization) => authorization === undefined)).toBe(true);
  });

  it('anonymous: viewer null; a forged, expired or foreign-audience token: refused by the gateway', async () => {
    expect((await query('{ viewer { id } }')).body.data).toEqual({ viewer: null });
    const forged = await graph.issuer.sign({ sub: 'auth0|x', aud: AUDIENCE }, { key: 'other' });
    const expired = await graph.issuer.sign({ sub: 'auth0|x', aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) - 60 });
    const foreign = await graph.issuer.sign({ sub: 'auth0|x', aud: 'https://another.api/' });
    for (const bad of [forged, expired, foreign]) {
      const refused = await query('{ viewer { id } }', bad);
      expect(refused.body.data?.viewer ?? null).toBeNull();
      expect(refused.body.errors?.length).toBeGreaterThan(0);
    }
  });

  it('without tokenVerification the plugin refuses our ES256 tokens (its default: RS256 and HS256, no issuer, no audience)', async () => {
    const plain = createGatewayRuntime({
      supergraph: { type: 'dev', services: [{ name: 'identity', url: graph.identityUrl }] },
      logging: false,
      transports: httpTransport,
      plugins: () => [
        useJWT({
          signingKeyProviders: [createRemoteJwksSigningKeyProvider({ jwksUri: graph.issuer.jwksUri })],
          reject: { missingToken: false, invalidToken: true },
        }),
        subgraphSecret(graph.identityUrl, SECRET),
      ],
    });
    try {
      const response = await plain.fetch('http://gateway.local/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await token()}` },
        body: JSON.stringify({ query: '{ viewer { id } }' }),
      });
      const body = (await response.json()) as { data?: { viewer: unknown } | null; errors?: unknown[] };
      expect(body.data?.viewer ?? null).toBeNull();
      expect(body.errors?.length).toBeGreaterThan(0);
    } finally {
      await plain.dispose();
    }
  });
});
