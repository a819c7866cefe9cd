// Suspension, revocation and deletion apply to platform tokens exactly as to the IdP tokens they
// were exchanged from (platform-tokens.md): on /graphql and the coprocessor, including a
// back-channel logout from the IdP that names the subject token's session or identity.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';
import { coprocessor, logoutToken, nowSeconds, postLogout } from '../helpers/lifecycle.js';
import { exchangeForm, platformConfig, postToken } from '../helpers/platform.js';

const AUDIENCE = 'https://api.test';
let issuer: TestIssuer;
let neighbour: TestIssuer;
let database: TestDatabase;
let api: TestApp;

beforeAll(async () => {
  [issuer, neighbour] = await Promise.all([startTestIssuer(), startTestIssuer()]);
  database = await openTestDatabase();
  const issuers = [issuerConfig(issuer, { name: 'auth0', kind: 'auth0' }), issuerConfig(neighbour, { name: 'neighbour' })];
  api = await startTestApp({ issuers, database: database.db, config: { platform: platformConfig() } });
});
afterAll(async () => {
  await api?.close();
  await database?.close();
  await issuer?.close();
  await neighbour?.close();
});

const admin = () => issuer.sign({ sub: 'ops@clients', azp: 'ops', aud: AUDIENCE, gty: 'client-credentials', scope: 'users:admin' });

/** A new person's IdP token and the platform token exchanged from it, with the user id. */
async function signIn(claims: Record<string, unknown> = {}) {
  const subject = `auth0|${randomUUID()}`;
  const idpToken = await issuer.sign({ sub: subject, aud: AUDIENCE, email: `${randomUUID()}@example.com`, email_verified: true, ...claims });
  const exchanged = await postToken(api.url, exchangeForm(idpToken));
  expect(exchanged.status).toBe(200);
  const platformToken = exchanged.body['access_token'] as string;
  const viewer = await api.gql('{ viewer { id } }', { token: platformToken });
  expect(viewer.status).toBe(200);
  return { subject, idpToken, platformToken, userId: viewer.body.data.viewer.id as string };
}

async function refusal(token: string) {
  const answer = await api.gql('{ viewer { id } }', { token });
  return { status: answer.status, code: answer.body.errors?.[0]?.extensions?.code, reason: answer.body.errors?.[0]?.extensions?.reason };
}

async function mutate(document: string, variables: Record<string, unknown>) {
  const answer = await api.gql(document, { token: await admin(), variables });
  expect(answer.body.errors).toBeUndefined();
}

describe('platform tokens follow the lifecycle of their user and session', () => {
  it('a suspended user’s platform token answers 403 USER_SUSPENDED, on /graphql and the coprocessor, until reactivated', async () => {
    const { platformToken, userId } = await signIn();
    await mutate('mutation($id: ID!) { suspendUser(userId: $id) { id } }', { id: userId });
    expect(await refusal(platformToken)).toMatchObject({ status: 403, code: 'USER_SUSPENDED' });
    const broken = await coprocessor(api.url, platformToken);
    expect(broken.control).toEqual({ break: 403 });
    expect(broken.body).toContain('USER_SUSPENDED');
    await mutate('mutation($id: ID!) { reactivateUser(userId: $id) { id } }', { id: userId });
    expect((await refusal(platformToken)).status).toBe(200);
  });

  it('revokeSessions and deleteUser stop platform tokens issued before them (401 revoked)', async () => {
    const revoked = await signIn();
    await mutate('mutation($id: ID!) { revokeSessions(userId: $id) }', { id: revoked.userId });
    expect(await refusal(revoked.platformToken)).toMatchObject({ status: 401, reason: 'revoked' });
    const deleted = await signIn();
    await mutate('mutation($id: ID!) { deleteUser(userId: $id) }', { id: deleted.userId });
    expect(await refusal(deleted.platformToken)).toMatchObject({ status: 401, reason: 'revoked' });
  });

  it('a back-channel logout naming the subject token’s sid stops the platform token carrying it; other sessions go on', async () => {
    const sid = `sid-${randomUUID()}`;
    const ended = await signIn({ sid });
    const other = await signIn({ sid: `sid-${randomUUID()}` });
    expect((await postLogout(api.url, await logoutToken(issuer, { sid }))).status).toBe(200);
    expect(await refusal(ended.idpToken)).toMatchObject({ status: 401, reason: 'revoked' });
    expect(await refusal(ended.platformToken)).toMatchObject({ status: 401, reason: 'revoked' });
    expect((await coprocessor(api.url, ended.platformToken)).control).toEqual({ break: 401 });
    expect((await refusal(other.platformToken)).status).toBe(200);
  });

  it('a back-channel logout naming only the identity stops its platform tokens issued up to the logout’s iat; another identity’s go on', async () => {
    const ended = await signIn();
    const other = await signIn();
    expect((await postLogout(api.url, await logoutToken(issuer, { sub: ended.subject, iat: nowSeconds() }))).status).toBe(200);
    expect(await refusal(ended.platformToken)).toMatchObject({ status: 401, reason: 'revoked' });
    expect((await refusal(other.platformToken)).status).toBe(200);
  });

  it('a logout from another configured IdP naming the same sid, or the same user, leaves the platform token alone', async () => {
    const sid = `sid-${randomUUID()}`;
    const kept = await signIn({ sid });
    expect((await postLogout(api.url, await logoutToken(neighbour, { sid }))).status).toBe(200);
    expect((await refusal(kept.platformToken)).status).toBe(200);
    expect((await postLogout(api.url, await logoutToken(neighbour, { sub: kept.subject }))).status).toBe(200);
    expect((await refusal(kept.platformToken)).status).toBe(200);
  });
});
