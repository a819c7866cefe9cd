// A real loopback RFC 7662 token introspection endpoint (a legacy session service) for tests:
// checks HTTP Basic client credentials, answers from the sessions it was given, counts calls,
// and simulates outages (500, no answer, non-JSON, a redirect).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseIssuerList, type IntrospectionIssuerConfig } from '../../src/config/issuers.js';

/** `down`: HTTP 500; `hang`: never answers; `garbage`: 200 with HTML; `redirect`: 302 elsewhere. */
export type IntrospectionMode = 'up' | 'down' | 'hang' | 'garbage' | 'redirect';

export interface TestIntrospectionEndpoint {
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Introspection calls received (every mode counts). */
  readonly calls: number;
  /** Calls that reached the redirect target (must stay 0). */
  readonly redirectedCalls: number;
  /** The last call's form body and Authorization header. */
  readonly lastBody: string | null;
  readonly lastAuthorization: string | null;
  /** The answer for `token` (merged into `{ active: true }`); `null` forgets it (inactive). */
  setSession(token: string, answer: Record<string, unknown> | null): void;
  setMode(mode: IntrospectionMode): void;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startIntrospectionEndpoint(
  options: { clientId?: string; clientSecret?: string } = {},
): Promise<TestIntrospectionEndpoint> {
  const clientId = options.clientId ?? 'identity-subgraph';
  const clientSecret = options.clientSecret ?? 's3cr3t-introspection-value';
  const expected = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
  const sessions = new Map<string, Record<string, unknown>>();
  let mode: IntrospectionMode = 'up';
  let calls = 0;
  let redirectedCalls = 0;
  let lastBody: string | null = null;
  let lastAuthorization: string | null = null;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/elsewhere') {
      redirectedCalls += 1;
      return send(res, 200, JSON.stringify({ active: true, sub: 'redirected' }));
    }
    if (req.method !== 'POST' || path !== '/oauth/introspect') return send(res, 404, '{"error":"not_found"}');
    calls += 1;
    lastBody = await readBody(req);
    lastAuthorization = req.headers.authorization ?? null;
    if (mode === 'hang') return;
    if (mode === 'down') return send(res, 500, '{"error":"down"}');
    if (mode === 'garbage') return send(res, 200, '<html>oops</html>', { 'content-type': 'text/html' });
    if (mode === 'redirect') return send(res, 302, '', { location: '/elsewhere' });
    if (lastAuthorization !== expected) return send(res, 401, '{"error":"invalid_client"}', { 'www-authenticate': 'Basic' });
    if (req.headers['content-type'] !== 'application/x-www-form-urlencoded') return send(res, 400, '{"error":"invalid_request"}');
    const token = new URLSearchParams(lastBody).get('token');
    const answer = token === null ? undefined : sessions.get(token);
    send(res, 200, JSON.stringify(answer === undefined ? { active: false } : { active: true, ...answer }));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, '{"error":"test endpoint failed"}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: `${origin}/oauth/introspect`,
    clientId,
    clientSecret,
    get calls() {
      return calls;
    },
    get redirectedCalls() {
      return redirectedCalls;
    },
    get lastBody() {
      return lastBody;
    },
    get lastAuthorization() {
      return lastAuthorization;
    },
    setSession(token, answer) {
      if (answer === null) sessions.delete(token);
      else sessions.set(token, answer);
    },
    setMode(next) {
      mode = next;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

export const LEGACY_ISSUER = 'https://legacy.example.test';
export const SECRET_VARIABLE = 'LEGACY_INTROSPECTION_SECRET';

/** The AUTH_ISSUERS entry for this endpoint (name `legacy`), then `overrides`. */
export function introspectionEntry(endpoint: TestIntrospectionEndpoint, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'legacy',
    kind: 'introspection',
    issuer: LEGACY_ISSUER,
    introspectionUrl: endpoint.url,
    clientId: endpoint.clientId,
    clientSecretEnv: SECRET_VARIABLE,
    ...overrides,
  };
}

/** The parsed IntrospectionIssuerConfig, with the product's own defaults. */
export function introspectionConfig(endpoint: TestIntrospectionEndpoint, overrides: Record<string, unknown> = {}): IntrospectionIssuerConfig {
  const list = parseIssuerList(JSON.stringify([introspectionEntry(endpoint, overrides)]), 'test', { [SECRET_VARIABLE]: endpoint.clientSecret });
  return list.introspection!;
}
