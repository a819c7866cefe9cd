// POST /backchannel-logout (OpenID Connect Back-Channel Logout 1.0) with real logout tokens
// signed by the loopback issuer: what ends which sessions, and every refusal (400 invalid_request).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AUDIENCE, errorReason, useOrgSuite } from '../helpers/organizations.js';
import { BACKCHANNEL_EVENT, logoutToken, nowSeconds, postLogout, VIEWER } from '../helpers/lifecycle.js';

const suite = useOrgSuite();

const userToken = (subject: string, claims: Record<string, unknown> = {}) =>
  suite.issuer.sign({ sub: subject, aud: AUDIENCE, email: `${subject.replace(/\W/g, '')}@example.com`, email_verified: true, ...claims });

describe('back-channel logout', () => {
  it('with a sid: every token carrying that sid stops (401 revoked); the identity\'s other sessions go on', async () => {
    const subject = `user|${randomUUID()}`;
    const ended = await userToken(subject, { sid: 'session-a' });
    const other = await userToken(subject, { sid: 'session-b' });
    const viewer = await suite.gql(VIEWER, { token: ended });
    expect(viewer.status).toBe(200);
    const accepted = await postLogout(suite.api.url, await logoutToken(suite.issuer, { sid: 'session-a' }));
    expect(accepted).toEqual({ status: 200, text: '' });
    const refused = await suite.gql(VIEWER, { token: ended });
    expect(refused.status).toBe(401);
    expect(errorReason(refused)).toBe('revoked');
    // A token of that session issued later still carries it: refused too.
    expect((await suite.gql(VIEWER, { token: await userToken(subject, { sid: 'session-a', iat: nowSeconds() + 5 }) })).status).toBe(401);
    expect((await suite.gql(VIEWER, { token: other })).status).toBe(200);
    const audit = await suite.database.db.query<{ details: Record<string, unknown> }>(
      "select details from audit_events where action = 'sessions.revoked' and details->>'sid' = 'session-a'",
    );
    expect(audit).toHaveLength(1);
  });

  it('with only a sub: that identity\'s tokens issued up to the logout\'s iat stop; later ones work', async () => {
    const subject = `user|${randomUUID()}`;
    const before = await userToken(subject, { sid: 'any' });
    const viewer = await suite.gql(VIEWER, { token: before });
    const userId = viewer.body.data.viewer.id;
    expect((await postLogout(suite.api.url, await logoutToken(suite.issuer, { sub: subject }))).status).toBe(200);
    expect(errorReason(await suite.gql(VIEWER, { token: before }))).toBe('revoked');
    const later = await userToken(subject, { iat: nowSeconds() + 2 });
    const ok = await suite.gql(VIEWER, { token: later });
    expect(ok.body.data.viewer.id).toBe(userId);
    // Another identity is untouched.
    expect((await suite.gql(VIEWER, { token: await userToken(`user|${randomUUID()}`) })).status).toBe(200);
    const [event] = await suite.database.db.query<{ target_id: string }>("select target_id from audit_events where action = 'sessions.revoked' and target_id = $1", [userId]);
    expect(event?.target_id).toBe(userId);
  });

  it('refuses a replayed jti, a forgery, a nonce, missing events, a wrong aud, a wrong typ, no sub nor sid, and a missing jti', async () => {
    const token = await logoutToken(suite.issuer, { sid: `s-${randomUUID()}` });
    expect((await postLogout(suite.api.url, token)).status).toBe(200);
    const cases: Record<string, string> = {
      replay: token,
      forgery: await suite.issuer.sign(
        { aud: AUDIENCE, jti: randomUUID(), sid: 'x', events: { [BACKCHANNEL_EVENT]: {} } },
        { key: 'other', header: { typ: 'logout+jwt' } },
      ),
      nonce: await logoutToken(suite.issuer, { sid: 'x', nonce: 'n-1' }),
      noEvents: await logoutToken(suite.issuer, { sid: 'x', events: undefined }),
      otherEvent: await logoutToken(suite.issuer, { sid: 'x', events: { 'http://example.com/other': {} } }),
      eventNotObject: await logoutToken(suite.issuer, { sid: 'x', events: { [BACKCHANNEL_EVENT]: 'yes' } }),
      wrongAud: await logoutToken(suite.issuer, { sid: 'x', aud: 'https://elsewhere.test' }),
      wrongTyp: await logoutToken(suite.issuer, { sid: 'x' }, { typ: 'at+jwt' }),
      neither: await logoutToken(suite.issuer, {}),
      noJti: await logoutToken(suite.issuer, { sid: 'x', jti: undefined }),
      noIat: await logoutToken(suite.issuer, { sid: 'x', iat: undefined }),
      expired: await logoutToken(suite.issuer, { sid: 'x', iat: nowSeconds() - 600, exp: nowSeconds() - 60 }),
      garbage: 'not.a.token',
    };
    for (const [name, logout] of Object.entries(cases)) {
      const answer = await postLogout(suite.api.url, logout);
      expect({ name, ...answer }).toEqual({ name, status: 400, text: '{"error":"invalid_request"}' });
    }
    expect((await postLogout(suite.api.url, null)).status).toBe(400);
    expect((await postLogout(suite.api.url, token, 'application/json')).status).toBe(400);
  });

  it('refuses a sid, sub or jti that is empty, holds a NUL or exceeds 255 bytes: 400, never a 5xx, nothing recorded', async () => {
    const bad = { empty: '', blank: '  ', nul: `s-${randomUUID()}\u0000x`, multibyte: 'é'.repeat(128), long: 'x'.repeat(4096) };
    for (const [label, value] of Object.entries(bad)) {
      for (const claims of [{ sid: value }, { sub: value }, { sid: `s-${randomUUID()}`, jti: value }, { sub: `u-${randomUUID()}`, sid: value }]) {
        const answer = await postLogout(suite.api.url, await logoutToken(suite.issuer, claims));
        expect({ label, claims: Object.keys(claims), ...answer }).toEqual({ label, claims: Object.keys(claims), status: 400, text: '{"error":"invalid_request"}' });
      }
    }
    const stored = await suite.database.db.query('select 1 from session_revocations where subject = any($1::text[])', [[bad.empty, bad.blank, bad.multibyte, bad.long]]);
    expect(stored).toHaveLength(0);
    // 255 bytes is fine.
    expect((await postLogout(suite.api.url, await logoutToken(suite.issuer, { sid: 'é'.repeat(127) + 'x', jti: 'j'.repeat(255) }))).status).toBe(200);
  });

  it('refuses an iat more than 300 s old (one from 2001 included) or more than 60 s ahead', async () => {
    const now = nowSeconds();
    for (const iat of [1_000_000_000, now - 400, now + 120]) {
      const answer = await postLogout(suite.api.url, await logoutToken(suite.issuer, { sid: `s-${randomUUID()}`, iat, exp: now + 120 }));
      expect({ iat, ...answer }).toEqual({ iat, status: 400, text: '{"error":"invalid_request"}' });
    }
    expect((await postLogout(suite.api.url, await logoutToken(suite.issuer, { sid: `s-${randomUUID()}`, iat: now - 200 }))).status).toBe(200);
  });

  it('accepts a token without typ (older IdPs), and never takes a logout token as a bearer credential', async () => {
    const logout = await logoutToken(suite.issuer, { sub: `user|${randomUUID()}`, email: 'x@example.com' }, { typ: undefined });
    const asBearer = await suite.gql(VIEWER, { token: logout });
    expect(asBearer.status).toBe(401);
    expect((await postLogout(suite.api.url, logout)).status).toBe(200);
  });
});
