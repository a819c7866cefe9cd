// Two replicas (two apps, each with its own pool on PostgreSQL) on one database: the same
// published keys, tokens one issues accepted by the other (and by the coprocessor), a rotation
// one makes published by the other at its next reload.
import { randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { rotateKeys } from '../../src/auth/platformRotation.js';
import { PUBLISH_LEAD_MS } from '../../src/auth/platformKeys.js';
import type { TestApp } from '../helpers/app.js';
import { issuerConfig } from '../helpers/issuer.js';
import { exchangeForm, platformConfig, postToken } from '../helpers/platform.js';
import { useReplicaPair } from '../helpers/replicaPair.js';
import { useTestBed } from '../helpers/testBed.js';

const bed = useTestBed();
const platform = platformConfig();
const replicas = useReplicaPair(() => bed.database, () => ({ issuers: [issuerConfig(bed.issuer)], config: { platform } }));

const jwks = async (app: TestApp) => ((await (await fetch(`${app.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid).sort();

describe('platform tokens across replicas', () => {
  it('start with one key between them, and accept each other’s tokens on /graphql and the coprocessor', async () => {
    expect(await bed.database.db.query('select kid from platform_keys')).toHaveLength(1);
    expect(await jwks(replicas.a)).toEqual(await jwks(replicas.b));
    const subject = await bed.issuer.sign({ sub: `u-${randomUUID()}`, aud: 'https://api.test', email: `${randomUUID()}@example.com`, email_verified: true });
    const token = (await postToken(replicas.a.url, exchangeForm(subject))).body.access_token as string;
    const viewer = await replicas.b.gql('{ viewer { id } }', { token });
    expect(viewer.body.data.viewer.id).toBe(decodeJwt(token).sub);
    const coprocessor = await fetch(`${replicas.b.url}/router/coprocessor`, {
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
    const before = await jwks(replicas.a);
    const signing = decodeProtectedHeader((await postToken(replicas.b.url, exchangeForm(await bed.issuer.sign({ sub: `u-${randomUUID()}`, aud: 'https://api.test' })))).body.access_token).kid;
    const outcome = await rotateKeys(
      bed.database.db,
      { alg: 'ES256', encryptionKey: platform.encryptionKey!, tokenTtlSeconds: 900, periodMs: 30 * 86_400_000, leadMs: PUBLISH_LEAD_MS },
      Date.now,
      { force: true },
    );
    await replicas.b.app.platform!.keys.refresh();
    expect(await jwks(replicas.b)).toEqual([...before, outcome.created!.kid].sort());
    const again = await postToken(replicas.b.url, exchangeForm(await bed.issuer.sign({ sub: `u-${randomUUID()}`, aud: 'https://api.test' })));
    expect(decodeProtectedHeader(again.body.access_token).kid).toBe(signing);
  });
});
