// Two replicas (two apps, each with its own pool on PostgreSQL) on one database: the same
// published keys, tokens one issues accepted by the other (and by the coprocessor), a rotation
// one makes published by the other at its next reload.
import { randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateKeys } from '../../src/auth/platformRotation.js';
import { PUBLISH_LEAD_MS } from '../../src/auth/platformKeys.js';
import type { TestApp } from '../helpers/app.js';
import { issuerConfig } from '../helpers/issuer.js';
import { exchangeForm, platformConfig, postToken } from '../helpers/platform.js';
import { startReplicaPair, type ReplicaPair } from '../helpers/replicaPair.js';
import { useTestBed } from '../helpers/testBed.js';

const bed = useTestBed();
let pair: ReplicaPair;
let a: TestApp;
let b: TestApp;
const platform = platformConfig();

beforeAll(async () => {
  pair = await startReplicaPair(bed.database, { issuers: [issuerConfig(bed.issuer)], config: { platform } });
  ({ a, b } = pair);
});
afterAll(async () => pair?.close());

const jwks = async (app: TestApp) => ((await (await fetch(`${app.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid).sort();

describe('platform tokens across replicas', () => {
  it('start with one key between them, and accept each other’s tokens on /graphql and the coprocessor', async () => {
    expect(await bed.database.db.query('select kid from platform_keys')).toHaveLength(1);
    expect(await jwks(a)).toEqual(await jwks(b));
    const subject = await bed.issuer.sign({ sub: `u-${randomUUID()}`, aud: 'https://api.test', email: `${randomUUID()}@example.com`, email_verified: true });
    const token = (await postToken(a.url, exchangeForm(subject))).body.access_token as string;
    const viewer = await b.gql('{ viewer { id } }', { token });
    expect(viewer.body.data.viewer.id).toBe(decodeJwt(token).sub);
    const coprocessor = await fetch(`${b.url}/router/coprocessor`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ version: 1, stage: 'RouterRequest', id: 'x', headers: { authorization: [`Bearer ${token}`] }, context: { entries: {} } }),
    });
    const answer = (await coprocessor.json()) as any;
    expect(answer.control).toBe('continue');
    expect(answer.headers['x-identity-user-id']).toEqual([decodeJwt(token).sub]);
    expect(answer.context.entries['apollo::authentication::jwt_claims'].scope).toBe('user');
  });

  it('publish a key the other created once it reloads, and keep signing with the active one', async () => {
    const before = await jwks(a);
    const signing = decodeProtectedHeader((await postToken(b.url, exchangeForm(await bed.issuer.sign({ sub: `u-${randomUUID()}`, aud: 'https://api.test' })))).body.access_token).kid;
    const outcome = await rotateKeys(
      bed.database.db,
      { alg: 'ES256', encryptionKey: platform.encryptionKey!, tokenTtlSeconds: 900, periodMs: 30 * 86_400_000, leadMs: PUBLISH_LEAD_MS },
      Date.now,
      { force: true },
    );
    await b.app.platform!.keys.refresh();
    expect(await jwks(b)).toEqual([...before, outcome.created!.kid].sort());
    const again = await postToken(b.url, exchangeForm(await bed.issuer.sign({ sub: `u-${randomUUID()}`, aud: 'https://api.test' })));
    expect(decodeProtectedHeader(again.body.access_token).kid).toBe(signing);
  });
});
