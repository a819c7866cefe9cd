// A loopback RFC 7662 endpoint for the benchmark: every token `legacy-<subject>` is an active
// session of that subject (with a verified email); anything else is inactive.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BenchIntrospection {
  readonly url: string;
  readonly calls: number;
  close(): Promise<void>;
}

export async function startBenchIntrospection(): Promise<BenchIntrospection> {
  let calls = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      calls += 1;
      const token = new URLSearchParams(body).get('token') ?? '';
      const subject = token.startsWith('legacy-') ? token.slice('legacy-'.length) : null;
      const answer = subject === null ? { active: false } : { active: true, sub: subject, email: `${subject}@legacy.bench`, email_verified: true };
      const text = JSON.stringify(answer);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`,
    get calls() {
      return calls;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The AUTH_ISSUERS entry and the environment its secret needs. */
export function benchIntrospectionIssuer(endpoint: BenchIntrospection) {
  return {
    entry: { name: 'legacy', kind: 'introspection', issuer: 'https://legacy.bench', introspectionUrl: endpoint.url, clientId: 'bench', clientSecretEnv: 'BENCH_LEGACY_SECRET' },
    env: { BENCH_LEGACY_SECRET: 'bench-secret' },
  };
}
