// End to end through the real Apollo Gateway: this service (over HTTP, behind SUBGRAPH_SECRET)
// and a sample workflows subgraph, composed into one supergraph. Queries span both subgraphs and
// reach User through `_entities`, with email visibility decided by this service.
import { randomUUID } from 'node:crypto';
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureMembership } from '../../src/db/memberships.js';
import { insertOrganization } from '../../src/db/organizations.js';
import { useSupergraph } from '../helpers/supergraph.js';

const SECRET = 'gateway-to-subgraph-secret';

interface GatewayContext {
  authorization?: string;
}

let statements: string[] = [];

const graph = useSupergraph({
  secret: SECRET,
  onQuery: (text) => statements.push(text),
  async startGateway({ identityUrl, workflows }) {
    // Composed from the live subgraphs' `_service { sdl }`, as a Gateway deployment does: with the
    // default configuration the identity SDL is Gateway-compatible (no @authenticated links).
    const supergraphSdl = new IntrospectAndCompose({
      subgraphs: [
        { name: 'identity', url: identityUrl },
        { name: 'workflows', url: workflows.url },
      ],
      introspectionHeaders: { 'x-subgraph-secret': SECRET },
    });
    const gateway = new ApolloServer<GatewayContext>({
      gateway: new ApolloGateway({
        supergraphSdl,
        buildService: ({ url }) =>
          new RemoteGraphQLDataSource<GatewayContext>({
            url,
            willSendRequest({ request, context }) {
              // Every subgraph sees the caller's bearer; only the identity subgraph gets its secret.
              if (context.authorization) request.http!.headers.set('authorization', context.authorization);
              if (url === identityUrl) request.http!.headers.set('x-subgraph-secret', SECRET);
            },
          }),
      }),
    });
    const { url } = await startStandaloneServer(gateway, {
      listen: { port: 0, host: '127.0.0.1' },
      context: async ({ req }) => ({ authorization: req.headers.authorization }),
    });
    return { url, close: () => gateway.stop().catch(() => undefined) };
  },
});
const { query } = graph;

interface Person {
  token: string;
  id: string;
  email: string;
  name: string;
}

async function signIn(name: string): Promise<Person> {
  const email = `${name.toLowerCase()}-${randomUUID()}@example.com`;
  const token = await graph.issuer.sign({ sub: `auth0|${randomUUID()}`, aud: 'https://api.test', email, email_verified: true, name });
  const result = await query('{ viewer { id } }', token);
  expect(result.body.errors).toBeUndefined();
  return { token, id: result.body.data.viewer.id, email, name };
}

describe('through Apollo Gateway', () => {
  it('answers viewer with fields from both subgraphs', async () => {
    const ada = await signIn('Ada');
    graph.workflows.workflows.push({ id: randomUUID(), title: 'Quarterly close', ownerId: ada.id }, { id: randomUUID(), title: 'Onboarding', ownerId: ada.id });
    const result = await query('{ viewer { id email workflows { title } } }', ada.token);
    expect(result.status).toBe(200);
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.viewer).toEqual({
      id: ada.id,
      email: ada.email,
      workflows: [{ title: 'Quarterly close' }, { title: 'Onboarding' }],
    });
    // The gateway forwarded the caller's bearer to the other subgraph too.
    expect(graph.workflows.authorizations.at(-1)).toBe(`Bearer ${ada.token}`);
  });

  describe('a query rooted in the workflows subgraph reaches User through _entities', () => {
    let owner: Person;
    let stranger: Person;
    let colleague: Person;
    let titles: { mine: string; theirs: string };

    beforeAll(async () => {
      owner = await signIn('Owner');
      stranger = await signIn('Stranger');
      colleague = await signIn('Colleague');
      const other = await signIn('Other');
      // A shared organization between owner and colleague, created directly in the database.
      const org = await insertOrganization(graph.database.db, { id: randomUUID(), name: 'Shared' });
      await ensureMembership(graph.database.db, { id: randomUUID(), organizationId: org.id, userId: owner.id, role: 'OWNER' });
      await ensureMembership(graph.database.db, { id: randomUUID(), organizationId: org.id, userId: colleague.id, role: 'MEMBER' });
      titles = { mine: `mine-${randomUUID()}`, theirs: `theirs-${randomUUID()}` };
      graph.workflows.workflows.push({ id: randomUUID(), title: titles.mine, ownerId: owner.id }, { id: randomUUID(), title: titles.theirs, ownerId: other.id });
    });

    async function ownersAs(token?: string) {
      const result = await query('{ workflows { title owner { id email name } } }', token);
      expect(result.status).toBe(200);
      expect(result.body.errors).toBeUndefined();
      const byTitle = new Map<string, { id: string; email: string | null; name: string | null }>();
      for (const w of result.body.data.workflows) byTitle.set(w.title, w.owner);
      return { mine: byTitle.get(titles.mine)!, theirs: byTitle.get(titles.theirs)! };
    }

    it('shows the owner their own email', async () => {
      const owners = await ownersAs(owner.token);
      expect(owners.mine).toEqual({ id: owner.id, email: owner.email, name: 'Owner' });
      expect(owners.theirs.email).toBeNull();
    });

    it('hides the email from a stranger and from an anonymous caller', async () => {
      const seenByStranger = await ownersAs(stranger.token);
      expect(seenByStranger.mine).toEqual({ id: owner.id, email: null, name: 'Owner' });
      const seenAnonymously = await ownersAs();
      expect(seenAnonymously.mine.id).toBe(owner.id);
      expect(seenAnonymously.mine.email).toBeNull();
    });

    it('shows the email to a member of a shared organization, and only for that user', async () => {
      const owners = await ownersAs(colleague.token);
      expect(owners.mine.email).toBe(owner.email);
      expect(owners.theirs.email).toBeNull();
    });

    it('shows the email to a service holding users:read, not to one without it', async () => {
      const reader = await graph.issuer.sign({ sub: 'svc-crm@clients', azp: 'svc-crm', aud: 'https://api.test', gty: 'client-credentials', scope: 'users:read' });
      const owners = await ownersAs(reader);
      expect(owners.mine.email).toBe(owner.email);
      expect(owners.theirs.email).not.toBeNull();
      const other = await graph.issuer.sign({ sub: 'svc-misc@clients', azp: 'svc-misc', aud: 'https://api.test', gty: 'client-credentials', scope: 'organizations:read' });
      expect((await ownersAs(other)).mine.email).toBeNull();
    });

    it('resolves every owner in one users statement (the gateway sends one _entities batch)', async () => {
      // Three owners no one has read (cold in every cache): one statement for them all, exactly;
      // a per-owner read would show as three.
      const cold = await graph.database.db.query<{ id: string }>(
        `insert into users (id, email, email_verified, name) select gen_random_uuid(), null, false, 'Cold ' || n from generate_series(1, 3) n returning id`,
      );
      for (const { id } of cold) graph.workflows.workflows.push({ id: randomUUID(), title: `cold-${id}`, ownerId: id });
      statements = [];
      await ownersAs(); // anonymous: no identity work at all
      expect(statements.filter((s) => /\bfrom users\b/i.test(s))).toHaveLength(1);
      expect(statements.filter((s) => !/\bfrom users\b/i.test(s))).toHaveLength(0);
    });

    it('still enforces identities itself: the gateway ignores @authenticated, the subgraph does not leak', async () => {
      const seen = await query('{ workflows { title owner { id identities { subject } } } }', stranger.token);
      expect(seen.body.errors).toBeUndefined();
      const mine = seen.body.data.workflows.find((w: { title: string }) => w.title === titles.mine);
      expect(mine.owner.identities).toEqual([]);
      const own = await query('{ workflows { title owner { id identities { subject } } } }', owner.token);
      const ownMine = own.body.data.workflows.find((w: { title: string }) => w.title === titles.mine);
      expect(ownMine.owner.identities).toHaveLength(1);
    });
  });

  it('passes a bad token on as UNAUTHENTICATED, never as anonymous', async () => {
    const forged = await graph.issuer.sign({ sub: 'auth0|forged', aud: 'https://api.test' }, { key: 'other' });
    const result = await query('{ viewer { id email workflows { title } } }', forged);
    expect(result.body.data?.viewer ?? null).toBeNull();
    expect(result.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
