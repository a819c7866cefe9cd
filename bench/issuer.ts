// A loopback identity provider for the benchmark: serves its JWKS over HTTP on 127.0.0.1 and
// counts the requests, and signs compact JWTs synchronously with node:crypto (RS256 or ES256),
// which is several times faster than an async sign when 100,000 tokens must be minted.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export type BenchAlg = 'RS256' | 'ES256';

export interface BenchIssuer {
  /** Issuer identifier (with trailing slash). */
  readonly url: string;
  readonly jwksUri: string;
  readonly alg: BenchAlg;
  /** JWKS requests served so far. */
  readonly jwksRequests: number;
  sign(claims: Record<string, unknown>): string;
  /**
   * Rotates as an IdP does: a new key is published beside the old one and signs from now on, so
   * a service holding the old set meets an unknown `kid` and must fetch the set again.
   */
  rotate(): void;
  close(): Promise<void>;
}

const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** A signing key: its private half, its published JWK and the header of the tokens it signs. */
interface SigningKey {
  privateKey: KeyObject;
  published: Record<string, unknown>;
  header: string;
}

function newKey(alg: BenchAlg): SigningKey {
  const { privateKey, publicKey } =
    alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const kid = createHash('sha256').update(JSON.stringify(jwk)).digest('base64url').slice(0, 16);
  return { privateKey, published: { ...jwk, kid, alg, use: 'sig' }, header: b64(JSON.stringify({ alg, typ: 'JWT', kid })) };
}

export async function startBenchIssuer(alg: BenchAlg): Promise<BenchIssuer> {
  let signing = newKey(alg);
  let jwks = JSON.stringify({ keys: [signing.published] });
  let jwksRequests = 0;

  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/.well-known/jwks.json') {
      jwksRequests += 1;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(jwks) });
      res.end(jwks);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const url = `${origin}/`;

  function signWith({ privateKey: key, header }: SigningKey, claims: Record<string, unknown>): string {
    const now = Math.floor(Date.now() / 1000);
    const input = `${header}.${b64(JSON.stringify({ iss: url, iat: now, exp: now + 3600, ...claims }))}`;
    const signature =
      alg === 'RS256' ? sign('sha256', Buffer.from(input), key) : sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    return `${input}.${b64(signature)}`;
  }

  return {
    url,
    jwksUri: `${origin}/.well-known/jwks.json`,
    alg,
    get jwksRequests() {
      return jwksRequests;
    },
    sign: (claims) => signWith(signing, claims),
    rotate() {
      const previous = signing;
      signing = newKey(alg);
      jwks = JSON.stringify({ keys: [signing.published, previous.published] });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
