// Token fuzz: 3,000 mutations of a real token (flipped signature, header and payload bits,
// swapped `alg`, re-encoded headers with the real signature, truncations, extra segments,
// random bytes; the 11 kinds in turn, some 270 each; TOKEN_FUZZ_COUNT=… for more) sent to a real server over keep-alive connections, its keys served by a real
// loopback JWKS. None is accepted, none answers 5xx, and the real token works afterwards.
// Deterministic (seeded, TOKEN_FUZZ_SEED=… for another run; the seed is printed): a failure names
// the seed and index that reproduce it.
import { createPublicKey } from 'node:crypto';
import { Agent, request } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { createMutator, sameBytes } from '../helpers/mutations.js';
import { useHardeningSuite } from '../helpers/hardening.js';

const MUTATIONS = Number(process.env['TOKEN_FUZZ_COUNT'] ?? 3000);
const CONCURRENCY = 8;
const SEED = Number(process.env['TOKEN_FUZZ_SEED'] ?? 0x5eed14);

const suite = useHardeningSuite();
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
afterAll(() => agent.destroy());

const BODY = JSON.stringify({ query: '{ viewer { id } }' });

function ask(token: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(suite.api.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY), authorization: `Bearer ${token}` },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(BODY);
  });
}

describe('token fuzz', () => {
  it(`accepts none of ${MUTATIONS} mutated tokens and answers none with a 5xx`, { timeout: 300_000 }, async () => {
    const token = await suite.userToken();
    const before = await ask(token);
    expect(before.status).toBe(200);
    const viewerId = JSON.parse(before.body).data.viewer.id as string;

    const pem = createPublicKey({ key: suite.issuer.publicJwk as any, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
    const mutator = createMutator(token, pem, SEED);
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    let next = 0;
    let sent = 0;
    const worker = async () => {
      while (sent < MUTATIONS) {
        const index = next++;
        const { kind, token: mutated } = mutator.mutate(index);
        // A mutation that decodes to the same bytes is the same token, not a forgery.
        if (mutated === token || sameBytes(mutated, token)) continue;
        sent += 1;
        const answer = await ask(mutated);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        if (answer.status !== 401 && failures.length < 10) failures.push(`seed ${SEED} index ${index} (${kind}): ${answer.status} ${answer.body.slice(0, 200)}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    console.log(`token fuzz: seed ${SEED}, ${sent} mutations: ${[...statuses].map(([status, n]) => `${status} x${n}`).join(', ')}`);

    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(MUTATIONS);
    expect([...statuses.keys()]).toEqual([401]);

    const after = await ask(token);
    expect(after.status).toBe(200);
    expect(JSON.parse(after.body).data.viewer.id).toBe(viewerId);
  });
});
