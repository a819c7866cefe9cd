// addMember by email (a service holding organizations:admin) ensures the user (email verified,
// no identity); the first sign-in with that email verified joins that very user, who then sees
// the membership. A user can never do this: it would create an account nobody proved.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { addMember, AUDIENCE, errorCode, useOrgSuite } from '../helpers/organizations.js';

const suite = useOrgSuite();
const admin = () => suite.serviceToken(['organizations:admin']);

describe('addMember by email', () => {
  it('creates a verified user without identities, and the first verified sign-in joins it', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner, 'Invites');
    const email = `invitee-${randomUUID()}@example.com`;
    const added = await addMember(suite, await admin(), { organizationId: orgId, email: `  ${email.toUpperCase()} `, role: 'ADMIN' });
    expect(added.body.errors).toBeUndefined();
    const invitedId = added.body.data.addMember.user.id;
    const stored = await suite.database.db.query<{ email: string; email_verified: boolean }>('select email, email_verified from users where id = $1', [invitedId]);
    expect(stored).toEqual([{ email, email_verified: true }]);
    expect(await suite.database.db.query('select 1 from identities where user_id = $1', [invitedId])).toHaveLength(0);

    const token = await suite.issuer.sign({ sub: `user|${randomUUID()}`, aud: AUDIENCE, email, email_verified: true });
    const viewer = await suite.gql('{ viewer { id email identities { subject } memberships { role organization { id name } } } }', { token });
    expect(viewer.body.data.viewer).toMatchObject({ id: invitedId, email, memberships: [{ role: 'ADMIN', organization: { id: orgId, name: 'Invites' } }] });
    expect(viewer.body.data.viewer.identities).toHaveLength(1);
  });

  it('refuses a sign-in whose token does not show that email verified (EMAIL_NOT_VERIFIED)', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const email = `unverified-${randomUUID()}@example.com`;
    const added = await addMember(suite, await admin(), { organizationId: orgId, email, role: 'MEMBER' });
    expect(added.body.errors).toBeUndefined();
    const token = await suite.issuer.sign({ sub: `user|${randomUUID()}`, aud: AUDIENCE, email, email_verified: false });
    const result = await suite.gql('{ viewer { id } }', { token });
    expect(result.status).toBe(403);
    expect(errorCode(result)).toBe('EMAIL_NOT_VERIFIED');
  });

  it('adds an existing user found by verified email instead of creating another', async () => {
    const owner = await suite.signIn();
    const existing = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const added = await addMember(suite, await admin(), { organizationId: orgId, email: existing.email, role: 'MEMBER' });
    expect(added.body.data.addMember.user.id).toBe(existing.id);
    expect(await suite.database.db.query('select 1 from users where email = $1', [existing.email])).toHaveLength(1);
  });

  it('creates nothing when the caller is a user, even the OWNER, or a stranger', async () => {
    const owner = await suite.signIn();
    const stranger = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const email = `never-${randomUUID()}@example.com`;
    for (const caller of [owner, stranger]) {
      const result = await addMember(suite, caller.token, { organizationId: orgId, email, role: 'MEMBER' });
      expect(errorCode(result)).toBe('FORBIDDEN');
    }
    expect(await suite.database.db.query('select 1 from users where email = $1', [email])).toHaveLength(0);
  });
});
