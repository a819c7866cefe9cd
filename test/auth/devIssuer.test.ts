// The development issuer's key: generated once into DATA_DIR, shared by every process.
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { createLocalKeySet } from '../../src/auth/keys.js';
import { devIssuerConfig, loadOrCreateDevKey, signDevToken } from '../../src/auth/devIssuer.js';
import { createTokenVerifier } from '../../src/auth/verifier.js';

describe('development issuer key', () => {
  it('creators racing on an empty DATA_DIR converge on one key, and no temp file is left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dev-key-'));
    const keys = await Promise.all(Array.from({ length: 4 }, () => loadOrCreateDevKey(dir)));
    expect(new Set(keys.map((k) => k.kid)).size).toBe(1);
    expect(readdirSync(dir)).toEqual(['dev-issuer-key.json']);
    expect(statSync(join(dir, 'dev-issuer-key.json')).mode & 0o077).toBe(0);
  });

  it('signs tokens that the development issuer verifies, with a stable default sub', async () => {
    const key = await loadOrCreateDevKey(mkdtempSync(join(tmpdir(), 'dev-key-')));
    const issuer = devIssuerConfig();
    const verifier = createTokenVerifier({ issuers: [issuer], keySources: new Map([[issuer.name, createLocalKeySet({ keys: [key.publicJwk] })]]) });
    const token = await signDevToken(key, { email: ' Alice@Example.com ', name: 'Alice' });
    expect(decodeProtectedHeader(token).kid).toBe(key.kid);
    const principal = await verifier.verify(token);
    expect(principal).toMatchObject({ kind: 'user', claims: { subject: 'dev|alice@example.com', email: 'alice@example.com', emailVerified: true, name: 'Alice' } });
  });
});
