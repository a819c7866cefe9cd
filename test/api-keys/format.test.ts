// The key format (api-keys.md, Format): 55 characters, `idk_` + public id + `_` + secret +
// base62 CRC32 checksum; a key whose checksum does not match is refused without any database
// statement; 10,000 random `idk_` strings: none accepted. And the cost of a check is the same for
// an unknown public id and a wrong secret (one HMAC and one constant-time comparison either way).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, hmacSecret, secretMatches } from '../../src/auth/apiKeyCrypto.js';
import { createLifecycleFeed } from '../../src/db/lifecycleFeed.js';
import { API_KEY_PATTERN, base62, base62FromBytes, checksumOf, composeApiKey, crc32, parseApiKey } from '../../src/domain/apiKeyFormat.js';
import { createApiKeyAuthenticator } from '../../src/services/apiKeyAuth.js';
import { isAppError } from '../../src/errors.js';
import { createKey } from '../helpers/apiKeys.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { databaseKind, openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { AUDIENCE, issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';

const PEPPERS = [{ kid: 'p1', key: randomBytes(32) }];
let statements: string[] = [];
let database: TestDatabase;
let issuer: TestIssuer;
let app: TestApp;

beforeAll(async () => {
  issuer = await startTestIssuer();
  database = await openTestDatabase({ onQuery: (text) => statements.push(text) });
  app = await startTestApp({ issuers: [issuerConfig(issuer)], database: database.db, config: { apiKeyPeppers: PEPPERS } });
});
afterAll(async () => {
  await app?.close();
  await database?.close();
  await issuer?.close();
});

const keyStatements = () => statements.filter((s) => s.includes('api_keys')).length;

function randomIdkString(): string {
  return `idk_${base62FromBytes(12, randomBytes)}_${base62FromBytes(38, randomBytes)}`;
}

describe('the format', () => {
  it('is 55 characters matching the published pattern, with the base62 CRC32 of the rest as checksum', () => {
    for (let i = 0; i < 200; i += 1) {
      const { key, publicId, secret } = generateApiKey();
      expect(key).toHaveLength(55);
      expect(key).toMatch(API_KEY_PATTERN);
      expect(key.slice(-6)).toBe(checksumOf(key.slice(0, 49)));
      expect(parseApiKey(key)).toEqual({ publicId, secret });
    }
    // CRC-32 as zlib computes it; base62 padded to six characters.
    expect(crc32('123456789')).toBe(0xcbf43926);
    expect(base62(0)).toBe('000000');
    expect(base62(0xffffffff)).toBe('4gfFC3');
  });

  it('any one character changed, or a wrong length, fails the checksum or the shape', () => {
    const { key } = generateApiKey();
    for (let i = 0; i < key.length; i += 1) {
      if (i < 4 || i === 16) continue;
      const swapped = key.slice(0, i) + (key[i] === 'a' ? 'b' : 'a') + key.slice(i + 1);
      expect(parseApiKey(swapped), `position ${i}`).toBeNull();
    }
    expect(parseApiKey(key.slice(0, 54))).toBeNull();
    expect(parseApiKey(`${key}a`)).toBeNull();
    expect(parseApiKey(key.replace('idk_', 'idx_'))).toBeNull();
  });
});

describe('presented keys', () => {
  it('10,000 random idk_ strings: none accepted, and not one database statement for a bad checksum', async () => {
    const auth = createApiKeyAuthenticator({ db: database.db, feed: createLifecycleFeed(), peppers: PEPPERS });
    statements = [];
    let accepted = 0;
    let badChecksums = 0;
    for (let i = 0; i < 10_000; i += 1) {
      const token = randomIdkString();
      if (parseApiKey(token) === null) badChecksums += 1;
      try {
        await auth.authenticate(token);
        accepted += 1;
      } catch (error) {
        expect(isAppError(error) && error.code === 'UNAUTHENTICATED').toBe(true);
      }
    }
    expect(accepted).toBe(0);
    expect(badChecksums).toBe(10_000);
    expect(keyStatements()).toBe(0);
    console.log(`[api-keys ${databaseKind}] 10,000 random idk_ strings: 0 accepted, ${keyStatements()} database statements`);
    // Well-formed keys nobody holds (a valid checksum): looked up, never accepted.
    for (let i = 0; i < 100; i += 1) {
      await expect(Promise.resolve().then(() => auth.authenticate(composeApiKey(base62FromBytes(12, randomBytes), base62FromBytes(32, randomBytes))))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    }
    expect(keyStatements()).toBe(100);
    auth.close();
  });

  it('over HTTP: mistyped keys answer 401 without a statement; a real key with one character changed too', async () => {
    const token = await issuer.sign({ sub: 'user|format', aud: AUDIENCE, email: 'format@example.com', email_verified: true });
    const key = await createKey(app.gql, token, { scopes: ['user'] });
    statements = [];
    const mistyped = [key.secret.slice(0, 20) + (key.secret[20] === 'x' ? 'y' : 'x') + key.secret.slice(21), ...Array.from({ length: 200 }, randomIdkString)];
    for (const bad of mistyped) {
      const answer = await app.gql('{ viewer { id } }', { token: bad });
      expect(answer.status).toBe(401);
      expect(answer.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    }
    expect(keyStatements()).toBe(0);
    expect((await app.gql('{ viewer { id } }', { token: key.secret })).status).toBe(200);
  });

  it('a warm key is recognised by its fingerprint, not another HMAC; a wrong secret for it still pays the HMAC and is refused', async () => {
    const token = await issuer.sign({ sub: 'user|fingerprint', aud: AUDIENCE, email: 'fingerprint@example.com', email_verified: true });
    const key = await createKey(app.gql, token, { scopes: ['user'] });
    const pepper = Buffer.from(PEPPERS[0]!.key);
    const auth = createApiKeyAuthenticator({ db: database.db, feed: createLifecycleFeed(), peppers: [{ kid: PEPPERS[0]!.kid, key: pepper }] });
    const refused = (presented: string) => Promise.resolve().then(() => auth.authenticate(presented));
    expect(await auth.authenticate(key.secret)).toMatchObject({ kind: 'user' });
    // The pepper's bytes change under the warm key: an HMAC now could not match, the fingerprint does.
    pepper.fill(0);
    expect(await auth.authenticate(key.secret)).toMatchObject({ kind: 'user' });
    const { publicId } = parseApiKey(key.secret)!;
    await expect(refused(composeApiKey(publicId, base62FromBytes(32, randomBytes)))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    // Cold (another authenticator under the changed pepper): the HMAC decides, and refuses.
    const cold = createApiKeyAuthenticator({ db: database.db, feed: createLifecycleFeed(), peppers: [{ kid: PEPPERS[0]!.kid, key: pepper }] });
    await expect(Promise.resolve().then(() => cold.authenticate(key.secret))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    auth.close();
    cold.close();
  });

  it('an unknown public id costs what a wrong secret costs: the same HMAC and comparison (figures printed)', () => {
    const stored = hmacSecret(PEPPERS[0]!.key, 'a'.repeat(32));
    const time = (run: () => boolean) => {
      const started = process.hrtime.bigint();
      for (let i = 0; i < 5_000; i += 1) run();
      return Number(process.hrtime.bigint() - started) / 5_000;
    };
    expect(secretMatches('a'.repeat(32), PEPPERS[0]!.key, stored)).toBe(true);
    expect(secretMatches('b'.repeat(32), PEPPERS[0]!.key, stored)).toBe(false);
    expect(secretMatches('a'.repeat(32), null, null)).toBe(false);
    // Alternating rounds; the fastest round of each (the machine is shared).
    let wrong = Infinity;
    let unknown = Infinity;
    for (let round = 0; round < 6; round += 1) {
      wrong = Math.min(wrong, time(() => secretMatches('b'.repeat(32), PEPPERS[0]!.key, stored)));
      unknown = Math.min(unknown, time(() => secretMatches('b'.repeat(32), null, null)));
    }
    console.log(`[api-keys] secret check: wrong secret ${wrong.toFixed(0)} ns, unknown id ${unknown.toFixed(0)} ns`);
  });
});
