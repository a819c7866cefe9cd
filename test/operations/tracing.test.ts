// OpenTelemetry traces (operations.md, "Tracing"), exported over OTLP/HTTP to a receiver on
// loopback: a server span continuing the caller's traceparent, authentication and the GraphQL
// operation under it, SQL statements and outbound calls (JWKS, userinfo, introspection) as
// client spans propagating traceparent, start-up key fetches as roots, and not one byte of a
// token, a secret, an email or a name in anything exported.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import type { TestApp } from '../helpers/app.js';
import { eventually } from '../helpers/eventually.js';
import { introspectionConfig, startIntrospectionEndpoint, type TestIntrospectionEndpoint } from '../helpers/introspection.js';
import { issuerConfig } from '../helpers/issuer.js';
import { useTestBed } from '../helpers/testBed.js';

const bed = useTestBed();
const SUBGRAPH_SECRET = `subgraph-${randomUUID()}`;
const AUDIENCE = 'https://api.test';

interface Export {
  path: string;
  contentType: string;
  body: Buffer;
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  status: { code?: number };
}

// OTLP span kinds.
const INTERNAL = 1;
const SERVER = 2;
const CLIENT = 3;

let receiver: Server;
let receiverUrl: string;
const exported: Export[] = [];
let jwksProxy: Server;
let jwksUri: string;
/** The traceparent header of each JWKS request, in order (null when absent). */
const jwksTraceparents: (string | null)[] = [];
let introspection: TestIntrospectionEndpoint;

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

function header(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name];
  return typeof value === 'string' ? value : null;
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      exported.push({ path: req.url ?? '', contentType: header(req.headers, 'content-type') ?? '', body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  receiverUrl = await listen(receiver);
  // The issuer's JWKS through a proxy that notes each request's traceparent.
  jwksProxy = createServer((req, res) => {
    jwksTraceparents.push(header(req.headers, 'traceparent'));
    fetch(bed.issuer.jwksUri).then(
      async (answer) => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(await answer.text());
      },
      () => res.destroy(),
    );
  });
  jwksUri = `${await listen(jwksProxy)}/jwks.json`;
  introspection = await startIntrospectionEndpoint({ clientSecret: `introspection-${randomUUID()}` });
});
afterAll(async () => {
  for (const server of [receiver, jwksProxy]) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  await introspection.close();
});
afterEach(async () => {
  await bed.closeApps();
  exported.length = 0;
  jwksTraceparents.length = 0;
});

function tracingFrom(env: Record<string, string>) {
  return loadConfig({ DATABASE_URL: 'pglite://memory', ...env }).tracing;
}

async function tracedApp(protocol: 'http/json' | 'http/protobuf', env: Record<string, string> = {}): Promise<TestApp> {
  const api = await bed.start({
    issuers: [issuerConfig(bed.issuer, { jwksUri, userinfoUrl: bed.issuer.userinfoUrl })],
    config: {
      tracing: tracingFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl, OTEL_EXPORTER_OTLP_PROTOCOL: protocol, ...env }),
      introspection: introspectionConfig(introspection),
      subgraphSecret: SUBGRAPH_SECRET,
    },
  });
  // Ready: the start-up key fetch is done.
  await eventually(async () => (await fetch(`${api.url}/readyz`)).status === 200);
  return api;
}

function traceparent(traceId: string, spanId: string, sampled = true): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

function spansOf(exports: Export[]): OtlpSpan[] {
  return exports.flatMap((e) => {
    const body = JSON.parse(e.body.toString('utf8')) as {
      resourceSpans: { scopeSpans: { spans: (Omit<OtlpSpan, 'attributes'> & { attributes: { key: string; value: Record<string, unknown> } [] })[] }[] }[];
    };
    return body.resourceSpans.flatMap((r) =>
      r.scopeSpans.flatMap((s) =>
        s.spans.map((span) => ({ ...span, attributes: Object.fromEntries(span.attributes.map((a) => [a.key, Object.values(a.value)[0]])) })),
      ),
    );
  });
}

/** `span` and every span under it. */
function subtree(spans: OtlpSpan[], root: OtlpSpan): OtlpSpan[] {
  const below = spans.filter((s) => s.parentSpanId === root.spanId);
  return [root, ...below.flatMap((child) => subtree(spans, child))];
}

describe('OpenTelemetry traces', () => {
  it('exports the request tree over http/json, continuing traceparent, and never a token, secret, email or name', async () => {
    const api = await tracedApp('http/json');
    const sub = `user-${randomUUID()}`;
    const email = `ada-${randomUUID()}@example.com`;
    const name = `Ada ${randomUUID()}`;
    const token = await bed.issuer.sign({ sub, aud: AUDIENCE, email, email_verified: true, name });
    const [traceA, parentA, parentA2] = [hex(16), hex(8), hex(8)];
    const headers = (tp: string) => ({ 'x-subgraph-secret': SUBGRAPH_SECRET, traceparent: tp });

    // A: a first token (verified, the user provisioned); A2: the same token, from the cache.
    expect((await api.gql('query Viewer { viewer { id email name } }', { token, headers: headers(traceparent(traceA, parentA)) })).status).toBe(200);
    expect((await api.gql('query Viewer { viewer { id } }', { token, headers: headers(traceparent(traceA, parentA2)) })).status).toBe(200);

    // B: a key the server has not fetched and a token without an email: a JWKS refetch and a
    // userinfo call, both inside the request.
    await bed.issuer.rotate({ keepOld: true });
    const subB = `user-${randomUUID()}`;
    const emailB = `grace-${randomUUID()}@example.com`;
    const nameB = `Grace ${randomUUID()}`;
    bed.issuer.setUserinfo(subB, { email: emailB, email_verified: true, name: nameB });
    const tokenB = await bed.issuer.sign({ sub: subB, aud: AUDIENCE });
    const [traceB, parentB] = [hex(16), hex(8)];
    const answerB = await api.gql('query Me { viewer { email } }', { token: tokenB, headers: headers(traceparent(traceB, parentB)) });
    expect(answerB.body.data.viewer.email).toBe(emailB);

    // C: an opaque legacy session, through the introspection endpoint (client credentials).
    const opaque = `opaque-${randomUUID()}`;
    const emailC = `old-${randomUUID()}@example.com`;
    const nameC = `Old ${randomUUID()}`;
    introspection.setSession(opaque, { sub: `legacy-${randomUUID()}`, email: emailC, email_verified: true, name: nameC });
    const [traceC, parentC] = [hex(16), hex(8)];
    expect((await api.gql('{ viewer { id } }', { token: opaque, headers: headers(traceparent(traceC, parentC)) })).status).toBe(200);

    // A request sampled out upstream (traceparent flags 00) exports nothing (parent-based).
    const [traceD, parentD] = [hex(16), hex(8)];
    expect((await api.gql('query Unsampled { viewer { id } }', { token, headers: headers(traceparent(traceD, parentD, false)) })).status).toBe(200);

    await api.close(); // graceful shutdown flushes what is still buffered
    expect(exported.length).toBeGreaterThan(0);
    for (const e of exported) {
      expect(e.path).toBe('/v1/traces');
      expect(e.contentType).toMatch(/^application\/json/);
    }
    const spans = spansOf(exported);

    // The server span continues the caller's trace, under the caller's span.
    const serverA = spans.find((s) => s.kind === SERVER && s.parentSpanId === parentA)!;
    expect(serverA).toMatchObject({ traceId: traceA, name: 'POST /graphql' });
    expect(serverA.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/graphql', 'http.response.status_code': 200 });
    const underA = subtree(spans, serverA);
    expect(underA.every((s) => s.traceId === traceA)).toBe(true);
    const authA = underA.find((s) => s.name === 'authenticate')!;
    expect(authA).toMatchObject({ kind: INTERNAL, parentSpanId: serverA.spanId });
    expect(authA.attributes).toMatchObject({ 'identity.principal': 'user', 'identity.issuer': 'test', 'identity.cache': 'miss' });
    const operationA = underA.find((s) => s.attributes['graphql.operation.name'] === 'Viewer')!;
    expect(operationA).toMatchObject({ kind: INTERNAL, parentSpanId: serverA.spanId, name: 'query Viewer' });
    expect(operationA.attributes['graphql.operation.type']).toBe('query');
    // Provisioning's statements: the database system and the text with its placeholders.
    const sqlA = underA.filter((s) => s.attributes['db.system.name'] === 'postgresql');
    expect(sqlA.length).toBeGreaterThan(0);
    for (const statement of sqlA) {
      expect(statement.kind).toBe(CLIENT);
      expect(statement.attributes['db.system']).toBe('postgresql');
      expect(typeof statement.attributes['db.query.text']).toBe('string');
    }
    expect(sqlA.some((s) => /\$1\b/.test(s.attributes['db.query.text'] as string))).toBe(true);

    const serverA2 = spans.find((s) => s.kind === SERVER && s.parentSpanId === parentA2)!;
    expect(serverA2.traceId).toBe(traceA);
    expect(subtree(spans, serverA2).find((s) => s.name === 'authenticate')!.attributes).toMatchObject({ 'identity.cache': 'hit', 'identity.principal': 'user' });

    // The start-up key fetch: a root client span, its traceparent sent to the JWKS endpoint.
    const startupFetch = spans.find((s) => s.kind === CLIENT && s.attributes['url.full'] === jwksUri && s.parentSpanId === undefined)!;
    expect(startupFetch.attributes).toMatchObject({ 'http.request.method': 'GET', 'http.response.status_code': 200, 'server.address': '127.0.0.1' });
    expect(jwksTraceparents[0]).toBe(traceparent(startupFetch.traceId, startupFetch.spanId));

    // B's refetch and userinfo call: client spans in B's trace, under its authentication.
    const serverB = spans.find((s) => s.kind === SERVER && s.parentSpanId === parentB)!;
    const underB = subtree(spans, serverB);
    const authB = underB.find((s) => s.name === 'authenticate')!;
    const refetch = underB.find((s) => s.kind === CLIENT && s.attributes['url.full'] === jwksUri)!;
    expect(refetch.parentSpanId).toBe(authB.spanId);
    expect(jwksTraceparents).toContain(traceparent(traceB, refetch.spanId));
    const userinfo = underB.find((s) => s.kind === CLIENT && s.attributes['url.full'] === bed.issuer.userinfoUrl)!;
    expect(userinfo.parentSpanId).toBe(authB.spanId);
    expect(userinfo.attributes['http.response.status_code']).toBe(200);

    // C's introspection call.
    const serverC = spans.find((s) => s.kind === SERVER && s.parentSpanId === parentC)!;
    const introspected = subtree(spans, serverC).find((s) => s.kind === CLIENT && s.attributes['url.full'] === introspection.url)!;
    expect(introspected.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.response.status_code': 200 });

    expect(spans.filter((s) => s.traceId === traceD)).toEqual([]);

    // Not one byte of a credential or a person, in any export.
    const raw = Buffer.concat(exported.map((e) => e.body)).toString('utf8');
    for (const secret of [token, tokenB, opaque, SUBGRAPH_SECRET, introspection.clientSecret, email, emailB, emailC, name, nameB, nameC]) {
      expect(raw).not.toContain(secret);
    }
    // Nor a part of one (a token's signature, a name's surname).
    expect(raw).not.toContain(token.split('.')[2]!);
    expect(raw).not.toContain(name.split(' ')[1]!);
  });

  it("hangs the resolvers' statements under the GraphQL operation, also while other requests run outside any scope", async () => {
    const api = await tracedApp('http/json');
    const token = await bed.issuer.sign({ sub: `user-${randomUUID()}`, aud: AUDIENCE, email: `eve-${randomUUID()}@example.com`, email_verified: true });
    const secret = { 'x-subgraph-secret': SUBGRAPH_SECRET };
    expect((await api.gql('{ viewer { id } }', { token, headers: secret })).status).toBe(200);
    // The mutation awaits several statements in a transaction (services share one database
    // handle); warm viewers run beside it, their handling outside any scope (tracing/scopes.ts).
    const traceId = hex(16);
    const mutation = api.gql('mutation Create { createOrganization(input: { name: "Engines" }) { id members { role } } }', {
      token,
      headers: { ...secret, traceparent: traceparent(traceId, hex(8)) },
    });
    const warm = Array.from({ length: 8 }, () => api.gql('query Warm { viewer { id } }', { token, headers: secret }));
    const answers = await Promise.all([mutation, ...warm]);
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    expect(answers[0]!.body.data.createOrganization.members).toEqual([{ role: 'OWNER' }]);
    // After the scopes have ended, a statement outside any request is a root of its own.
    expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
    await api.close();

    const spans = spansOf(exported);
    const operation = spans.find((s) => s.traceId === traceId && s.name === 'mutation Create')!;
    const statements = spans.filter((s) => s.traceId === traceId && s.attributes['db.system.name'] === 'postgresql');
    expect(statements.length).toBeGreaterThan(1);
    // Every statement of the mutation's trace, the last awaited ones included, is the operation's child.
    for (const statement of statements) expect(statement.parentSpanId).toBe(operation.spanId);
    expect(statements.some((s) => /^\s*insert into organizations/i.test(s.attributes['db.query.text'] as string))).toBe(true);
    // The warm requests: three spans each, in their own traces, and none of the mutation's statements.
    const warmServers = spans.filter((s) => s.kind === SERVER && s.traceId !== traceId && s.name === 'POST /graphql');
    for (const server of warmServers.filter((s) => subtree(spans, s).some((c) => c.name === 'query Warm'))) {
      expect(subtree(spans, server).map((s) => s.name).sort()).toEqual(['POST /graphql', 'authenticate', 'query Warm']);
    }
    // /readyz's statements hang under its own server span.
    const ready = spans.find((s) => s.kind === SERVER && s.name === 'GET /readyz' && subtree(spans, s).length > 1)!;
    expect(subtree(spans, ready).filter((s) => s.kind === CLIENT).length).toBeGreaterThan(0);
  });

  it('answers a warm request outside any scope, and still hangs the statements of work that waits under its span', async () => {
    // Async context tracking is entered only by work that waits (tracing/scopes.ts): its cost is
    // what a warm request saves. What waits (a first sign-in, a loader's read, a service, another
    // user's row) still finds its parent, after however many awaits.
    const api = await tracedApp('http/json');
    const secret = { 'x-subgraph-secret': SUBGRAPH_SECRET };
    const token = await bed.issuer.sign({ sub: `user-${randomUUID()}`, aud: AUDIENCE, email: `ida-${randomUUID()}@example.com`, email_verified: true, sid: `sid-${randomUUID()}` });
    const first = hex(16);
    expect((await api.gql('query First { viewer { id } }', { token, headers: { ...secret, traceparent: traceparent(first, hex(8)) } })).status).toBe(200);
    expect((await api.gql('mutation { createOrganization(input: { name: "Looms" }) { id } }', { token, headers: secret })).status).toBe(200);
    // Warm: once the user's row is in the store's memory (the first requests may read it), five
    // requests in a row enter no scope. (Checked until it holds, not once: on PostgreSQL memory
    // is trusted only while the listening connection is proven, which a heartbeat can interrupt.)
    const tracing = api.app.tracing!;
    await eventually(async () => {
      const before = tracing.scopesEntered();
      for (let i = 0; i < 5; i += 1) expect((await api.gql('query Warm { viewer { id email } }', { token, headers: secret })).status).toBe(200);
      return tracing.scopesEntered() === before;
    });

    const [loaders, service, entities] = [hex(16), hex(16), hex(16)];
    const memberships = await api.gql('query Loaders { viewer { memberships { role organization { name } } } }', { token, headers: { ...secret, traceparent: traceparent(loaders, hex(8)) } });
    expect(memberships.body.data.viewer.memberships).toEqual([{ role: 'OWNER', organization: { name: 'Looms' } }]);
    const sessions = await api.gql('query Service { viewer { sessions { edges { node { id } } } } }', { token, headers: { ...secret, traceparent: traceparent(service, hex(8)) } });
    expect(sessions.status).toBe(200);
    const other = await api.gql('query Other($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id } } }', {
      variables: { representations: [{ __typename: 'User', id: randomUUID() }] },
      headers: { ...secret, traceparent: traceparent(entities, hex(8)) },
    });
    expect(other.body.data._entities).toEqual([null]);
    await api.close();

    const spans = spansOf(exported);
    const statementsOf = (traceId: string) => spans.filter((s) => s.traceId === traceId && s.kind === CLIENT);
    // A first sign-in's provisioning: under authentication.
    const authenticate = spans.find((s) => s.traceId === first && s.name === 'authenticate')!;
    expect(statementsOf(first).length).toBeGreaterThan(0);
    for (const statement of statementsOf(first)) expect(statement.parentSpanId).toBe(authenticate.spanId);
    // Loaders' reads, a service's statements, another user's row: under the operation.
    for (const [traceId, name] of [
      [loaders, 'query Loaders'],
      [service, 'query Service'],
      [entities, 'query Other'],
    ] as const) {
      const operation = spans.find((s) => s.traceId === traceId && s.name === name)!;
      expect(statementsOf(traceId).length, name).toBeGreaterThan(0);
      for (const statement of statementsOf(traceId)) expect(statement.parentSpanId, name).toBe(operation.spanId);
    }
  });

  it("asks the configured sampler once a request, and carries the caller's tracestate on the request's spans", async () => {
    // The request's spans are not the SDK's (requests.ts): they must still follow its rules.
    const token = await bed.issuer.sign({ sub: `user-${randomUUID()}`, aud: AUDIENCE, email: `kay-${randomUUID()}@example.com`, email_verified: true });
    const secret = { 'x-subgraph-secret': SUBGRAPH_SECRET };
    const sampled = await tracedApp('http/json');
    const traceId = hex(16);
    const headers = { ...secret, traceparent: traceparent(traceId, hex(8)), tracestate: 'vendor=abc,other=1' };
    expect((await sampled.gql('query Kept { viewer { id } }', { token, headers })).status).toBe(200);
    await sampled.close();
    const kept = spansOf(exported).filter((s) => s.traceId === traceId) as (OtlpSpan & { traceState?: string })[];
    expect(kept.map((s) => s.name)).toEqual(expect.arrayContaining(['POST /graphql', 'authenticate', 'query Kept']));
    // Its statements (the user provisioned) too: the SDK's spans, under the request's context.
    expect(kept.some((s) => s.kind === CLIENT)).toBe(true);
    for (const span of kept) expect(span.traceState).toBe('vendor=abc,other=1');
    exported.length = 0;

    // always_off ignores the caller's decision: nothing of the request, nor of its statements.
    const off = await tracedApp('http/json', { OTEL_TRACES_SAMPLER: 'always_off' });
    const dropped = hex(16);
    expect((await off.gql('query Dropped { viewer { id } }', { token, headers: { ...secret, traceparent: traceparent(dropped, hex(8)) } })).status).toBe(200);
    expect((await fetch(`${off.url}/readyz`)).status).toBe(200);
    await off.close();
    expect(spansOf(exported).filter((s) => s.kind !== CLIENT || s.parentSpanId !== undefined)).toEqual([]);
  });

  it('exports http/protobuf (the default) to the same receiver, without a token, secret, email or name', async () => {
    const api = await tracedApp('http/protobuf');
    const email = `lin-${randomUUID()}@example.com`;
    const name = `Lin ${randomUUID()}`;
    const token = await bed.issuer.sign({ sub: `user-${randomUUID()}`, aud: AUDIENCE, email, email_verified: true, name });
    const traceId = hex(16);
    const answer = await api.gql('query Viewer { viewer { id } }', { token, headers: { 'x-subgraph-secret': SUBGRAPH_SECRET, traceparent: traceparent(traceId, hex(8)) } });
    expect(answer.status).toBe(200);
    await api.close();

    expect(exported.length).toBeGreaterThan(0);
    for (const e of exported) {
      expect(e.path).toBe('/v1/traces');
      expect(e.contentType).toBe('application/x-protobuf');
    }
    const raw = Buffer.concat(exported.map((e) => e.body));
    // Protobuf keeps strings and ids as they are: the span's name and the caller's trace id.
    expect(raw.includes('POST /graphql')).toBe(true);
    expect(raw.includes(Buffer.from(traceId, 'hex'))).toBe(true);
    for (const secret of [token, SUBGRAPH_SECRET, email, name]) expect(raw.includes(secret)).toBe(false);
  });
});

describe('tracing configuration (OTEL_*)', () => {
  it('is off unless an OTLP endpoint is set', () => {
    expect(tracingFrom({})).toBeNull();
    expect(tracingFrom({ OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBeNull();
    expect(tracingFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' })).toBeNull();
    expect(tracingFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_TRACES_EXPORTER: 'none' })).toBeNull();
  });

  it('reads the standard variables, with their defaults', () => {
    expect(tracingFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toEqual({
      url: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      serviceName: 'identity-subgraph',
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
      headers: {},
    });
    expect(
      tracingFrom({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector.example/custom/traces',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'identity-eu',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=a%20b,other=1',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-api-key=c',
      }),
    ).toEqual({
      url: 'https://collector.example/custom/traces',
      protocol: 'http/json',
      serviceName: 'identity-eu',
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
      headers: { 'x-api-key': 'c', other: '1' },
    });
  });

  it.each([
    ['OTEL_EXPORTER_OTLP_PROTOCOL', { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317' }],
    ['OTEL_TRACES_SAMPLER', { OTEL_TRACES_SAMPLER: 'sometimes' }],
    ['OTEL_TRACES_SAMPLER_ARG', { OTEL_TRACES_SAMPLER_ARG: '2' }],
    ['OTEL_EXPORTER_OTLP_HEADERS', { OTEL_EXPORTER_OTLP_HEADERS: 'no-equals-sign-secret-value' }],
  ])('refuses an invalid %s with one line naming it, never echoing a header value', (variable, env) => {
    let error: unknown;
    try {
      tracingFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', ...env });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message.startsWith(variable)).toBe(true);
    expect((error as Error).message).not.toContain('secret-value');
  });
});
