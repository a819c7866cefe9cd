// A real loopback identity provider for tests: generates signing keys, serves its JWKS and a
// userinfo endpoint over HTTP on 127.0.0.1, signs tokens, rotates keys and simulates outages.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import { parseIssuers, type IssuerConfig } from '../../src/config/issuers.js';
import { createRemoteKeySet, type RemoteKeySetOptions } from '../../src/auth/keys.js';
import { rsaKeyPair } from './keyRing.js';

export type TestIssuerAlg = 'RS256' | 'ES256' | 'PS256';
/**
 * `down`: HTTP 500; `hang`: never answers; `garbage`: HTTP 200 with a non-JSON body;
 * `redirect`: HTTP 302 to `/moved`, which serves the real JWKS (and counts `movedRequests`).
 */
export type EndpointMode = 'up' | 'down' | 'hang' | 'garbage' | 'redirect';

export interface SignOptions {
  /** Lifetime in seconds (default 3600), unless `claims.exp` is given. */
  expiresIn?: number;
  /** Header kid (default: the current key's kid); `header: { kid: undefined }` removes it. */
  kid?: string;
  /** Header alg (default: the issuer's alg). */
  alg?: string;
  /** Extra protected-header members; `undefined` values remove a member. */
  header?: Record<string, unknown>;
  /** `other`: a key that is NOT published (a forgery under the current kid by default). */
  key?: 'current' | 'other';
}

export interface TestIssuer {
  /** Issuer identifier with a trailing slash, e.g. `http://127.0.0.1:PORT/`. */
  readonly url: string;
  readonly jwksUri: string;
  /** OIDC-style userinfo (subject taken from the bearer token). */
  readonly userinfoUrl: string;
  /** WorkOS-style template, `…/users/{sub}` (subject taken from the path). */
  readonly userinfoUserUrl: string;
  readonly alg: TestIssuerAlg;
  /** Current key's kid. */
  readonly kid: string;
  readonly publicJwk: JWK;
  readonly privateKey: CryptoKey;
  /** JWKS requests received (every mode counts). */
  readonly jwksRequests: number;
  readonly userinfoRequests: number;
  /** Requests that followed a `redirect` answer to `/moved`. */
  readonly movedRequests: number;
  /** Authorization header of the last userinfo request. */
  readonly lastUserinfoAuthorization: string | null;
  sign(claims: Record<string, unknown>, options?: SignOptions): Promise<string>;
  /** New current key; the JWKS then publishes the new key only, or both with `keepOld`. */
  rotate(options?: { keepOld?: boolean }): Promise<void>;
  setMode(mode: EndpointMode): void;
  /** Serves this exact document as the JWKS (status 200) instead of the keys; null restores them. */
  setJwksDocument(document: unknown): void;
  setUserinfoMode(mode: EndpointMode): void;
  setUserinfo(subject: string, profile: Record<string, unknown>): void;
  close(): Promise<void>;
}

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/** A fresh kid on a key pair of its own within the file (RSA from the ring: test/helpers/keyRing.ts). */
async function newKey(alg: TestIssuerAlg): Promise<SigningKey> {
  const kid = `kid-${randomUUID()}`;
  if (alg !== 'ES256') {
    const { privateKey, publicJwk } = await rsaKeyPair(alg);
    return { kid, privateKey, publicJwk: { ...publicJwk, kid, alg, use: 'sig' } };
  }
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

function send(res: ServerResponse, status: number, body: string, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Answers per mode; returns false when the caller should serve the real document. */
function applyMode(mode: EndpointMode, res: ServerResponse): boolean {
  if (mode === 'redirect') {
    res.writeHead(302, { location: '/moved', 'content-length': 0 });
    res.end();
  } else if (mode === 'down') send(res, 500, '{"error":"down"}');
  else if (mode === 'garbage') send(res, 200, '<html>not json</html>', 'text/html');
  else if (mode !== 'hang') return false;
  // `hang`: no answer at all; close() destroys the socket.
  return true;
}

export async function startTestIssuer(options: { alg?: TestIssuerAlg; path?: string } = {}): Promise<TestIssuer> {
  const alg = options.alg ?? 'RS256';
  const path = `/${(options.path ?? '').replace(/^\/+|\/+$/g, '')}/`.replace(/^\/\/$/, '/');
  let current = await newKey(alg);
  const other = await newKey(alg);
  let published: SigningKey[] = [current];
  let mode: EndpointMode = 'up';
  let jwksOverride: { document: unknown } | null = null;
  let userinfoMode: EndpointMode = 'up';
  let jwksRequests = 0;
  let userinfoRequests = 0;
  let movedRequests = 0;
  let lastUserinfoAuthorization: string | null = null;
  const profiles = new Map<string, Record<string, unknown>>();

  const jwksPath = `${path}.well-known/jwks.json`;
  const userinfoPath = `${path}userinfo`;
  const usersPrefix = `${path}users/`;

  async function userinfoSubject(req: IncomingMessage, pathname: string): Promise<string | null> {
    if (pathname.startsWith(usersPrefix)) return decodeURIComponent(pathname.slice(usersPrefix.length));
    const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (match === null) return null;
    try {
      const jwks = createLocalJWKSet({ keys: published.map((k) => k.publicJwk) });
      const { payload } = await jwtVerify(match[1] ?? '', jwks, { issuer: url });
      return typeof payload.sub === 'string' ? payload.sub : null;
    } catch {
      return null;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'GET' && pathname === jwksPath) {
      jwksRequests += 1;
      if (applyMode(mode, res)) return;
      const document = jwksOverride === null ? { keys: published.map((k) => k.publicJwk) } : jwksOverride.document;
      send(res, 200, JSON.stringify(document));
      return;
    }
    if (pathname === '/moved') {
      movedRequests += 1;
      send(res, 200, JSON.stringify({ keys: published.map((k) => k.publicJwk) }));
      return;
    }
    if (req.method === 'GET' && (pathname === userinfoPath || pathname.startsWith(usersPrefix))) {
      userinfoRequests += 1;
      lastUserinfoAuthorization = req.headers.authorization ?? null;
      if (applyMode(userinfoMode, res)) return;
      const subject = await userinfoSubject(req, pathname);
      if (subject === null) return send(res, 401, '{"error":"invalid_token"}');
      const profile = profiles.get(subject);
      if (profile === undefined) return send(res, 404, '{"error":"not_found"}');
      // OIDC /userinfo names the subject `sub`; a WorkOS user object calls it `id`.
      const named = pathname.startsWith(usersPrefix) ? { object: 'user', id: subject } : { sub: subject };
      send(res, 200, JSON.stringify({ ...named, ...profile }));
      return;
    }
    send(res, 404, '{"error":"not_found"}');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, '{"error":"test issuer failed"}'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const url = `${origin}${path}`;

  return {
    url,
    jwksUri: `${origin}${jwksPath}`,
    userinfoUrl: `${origin}${userinfoPath}`,
    userinfoUserUrl: `${origin}${usersPrefix}{sub}`,
    alg,
    get kid() {
      return current.kid;
    },
    get publicJwk() {
      return current.publicJwk;
    },
    get privateKey() {
      return current.privateKey;
    },
    get jwksRequests() {
      return jwksRequests;
    },
    get userinfoRequests() {
      return userinfoRequests;
    },
    get movedRequests() {
      return movedRequests;
    },
    get lastUserinfoAuthorization() {
      return lastUserinfoAuthorization;
    },

    async sign(claims, signOptions = {}) {
      const issuedAt = Math.floor(Date.now() / 1000);
      const payload: Record<string, unknown> = {
        iss: url,
        iat: issuedAt,
        exp: issuedAt + (signOptions.expiresIn ?? 3600),
        ...claims,
      };
      for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
      const header: Record<string, unknown> = {
        alg: signOptions.alg ?? alg,
        typ: 'JWT',
        kid: signOptions.kid ?? current.kid,
        ...signOptions.header,
      };
      for (const [name, value] of Object.entries(header)) if (value === undefined) delete header[name];
      const key = signOptions.key === 'other' ? other.privateKey : current.privateKey;
      return new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key);
    },

    async rotate(rotateOptions = {}) {
      const next = await newKey(alg);
      published = rotateOptions.keepOld === true ? [next, ...published] : [next];
      current = next;
    },

    setMode(next) {
      mode = next;
    },
    setJwksDocument(document) {
      jwksOverride = document === null ? null : { document };
    },
    setUserinfoMode(next) {
      userinfoMode = next;
    },
    setUserinfo(subject, profile) {
      profiles.set(subject, profile);
    },

    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections(); // hanging requests included
      await closed;
    },
  };
}

/** The audience every test issuer's tokens are for (`issuerConfig` accepts it). */
export const AUDIENCE = 'https://api.test';

/** Every scope the service checks: what the test issuer's service principals may hold. */
export const TEST_SERVICE_SCOPES = ['users:read', 'users:write', 'users:admin', 'organizations:read', 'organizations:admin', 'tokens:introspect'];

/**
 * A complete IssuerConfig for a test issuer (kind oidc, audience `https://api.test`, whose
 * machine tokens are services holding at most TEST_SERVICE_SCOPES), with the product's own
 * defaults (parsed as an AUTH_ISSUERS entry), then `overrides` (`serviceScopes: null`: an oidc
 * issuer without service principals, the product's default).
 */
export function issuerConfig(issuer: TestIssuer, overrides: Partial<IssuerConfig> = {}): IssuerConfig {
  const entry = {
    name: 'test', kind: 'oidc', issuer: issuer.url, audience: AUDIENCE, jwksUri: issuer.jwksUri, algorithms: [issuer.alg],
    serviceScopes: TEST_SERVICE_SCOPES,
  };
  const [config] = parseIssuers(JSON.stringify([entry]), 'test issuer', {});
  // A client given alone is the one listed (as the parser reads `"clientId": "…"`).
  const clientIds = overrides.clientIds ?? (overrides.clientId != null ? [overrides.clientId] : config!.clientIds);
  return { ...config!, ...overrides, clientIds };
}

/**
 * The issuer's JWKS as the product fetches it (a real remote key set over loopback HTTP):
 * refresh 300 s, stale for 86400 s, 1 s fetch timeout, then `overrides` (e.g. `now`, `onFetch`).
 */
export function remoteKeySetFor(issuer: TestIssuer, overrides: Partial<RemoteKeySetOptions> = {}) {
  return createRemoteKeySet({
    issuerName: 'test',
    jwksUri: issuer.jwksUri,
    refreshSeconds: 300,
    maxStaleSeconds: 86400,
    fetchTimeoutMs: 1000,
    ...overrides,
  });
}
