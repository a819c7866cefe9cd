// `npx tsx bench/signing.ts`: platform-token signing cost per algorithm (ES256, RS256, EdDSA),
// node:crypto's synchronous sign (what the service uses) against jose's SignJWT (WebCrypto,
// async), and jose's verification of each, over the same claims, in process CPU time per operation.
import { randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { generateSigningKey, encodeHeader, publicKeyOf, signCompact } from '../src/auth/platformCrypto.js';
import { PLATFORM_ALGORITHMS } from '../src/config/platform.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 2);

function claims() {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: 'https://identity.example.com', aud: 'https://identity.example.com', sub: randomUUID(), iat: now, exp: now + 900, jti: randomUUID(),
    sid: randomUUID(), scope: `user org:${randomUUID()}:ADMIN`, email: 'ada@example.com', email_verified: true, idp: 'auth0',
  };
}

/** Process CPU time per operation (µs, every thread: WebCrypto works off the main thread), which a loaded machine distorts less than a rate. */
async function cost(run: () => unknown): Promise<number> {
  const until = performance.now() + SECONDS * 1000;
  const before = process.cpuUsage();
  let n = 0;
  while (performance.now() < until) {
    for (let i = 0; i < 20; i += 1) await run();
    n += 20;
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

console.log(`platform token signing, ${SECONDS} s per row, node ${process.version}; figures depend on the machine's load`);
console.log('CPU µs per operation (1,000,000 / µs = operations per second per core)');
console.log(`${'alg'.padEnd(6)} ${'node:crypto sign'.padStart(17)} ${'jose sign'.padStart(10)} ${'jose verify'.padStart(12)}`);
for (const alg of PLATFORM_ALGORITHMS) {
  const key = await generateSigningKey(alg);
  const header = encodeHeader(alg, key.kid);
  const publicKey = publicKeyOf(key.publicJwk);
  const sample = signCompact(alg, header, claims(), key.privateKey);
  await jwtVerify(sample, publicKey, { typ: 'at+jwt' });
  const payload = claims();
  const node = await cost(() => signCompact(alg, header, payload, key.privateKey));
  const jose = await cost(() => new SignJWT(payload).setProtectedHeader({ alg, kid: key.kid, typ: 'at+jwt' }).sign(key.privateKey));
  const verify = await cost(() => jwtVerify(sample, publicKey));
  console.log(`${alg.padEnd(6)} ${node.toFixed(0).padStart(17)} ${jose.toFixed(0).padStart(10)} ${verify.toFixed(0).padStart(12)}`);
}
