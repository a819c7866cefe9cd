// Concurrent first requests for one identity, and for many, over the real HTTP edge: exactly
// one user each, and a lost race is retried, never answered as "store unavailable".
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { useTestBed } from '../helpers/testBed.js';

const bed = useTestBed();
let api: TestApp;

beforeAll(async () => {
  api = await bed.start({ production: true });
});

describe('concurrent first logins', () => {
  it('one identity racing itself becomes one user and every request answers 200', async () => {
    const sub = randomUUID();
    const token = await bed.issuer.sign({ sub, aud: 'https://api.test', email: `${sub}@example.com`, email_verified: true });
    const results = await Promise.all(Array.from({ length: 24 }, () => api.gql('{ viewer { id } }', { token })));
    expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
    expect(new Set(results.map((r) => r.body.data?.viewer?.id)).size).toBe(1);
    const rows = await bed.database.db.query<{ n: number }>('select count(*)::int as n from identities where subject = $1', [sub]);
    expect(rows[0]?.n).toBe(1);
  });

  it('many new identities at once get distinct users, and a changed email is never served stale', async () => {
    const subs = Array.from({ length: 20 }, () => randomUUID());
    const tokens = await Promise.all(subs.map((sub) => bed.issuer.sign({ sub, aud: 'https://api.test', email: `${sub}@example.com`, email_verified: true })));
    const results = await Promise.all(tokens.flatMap((token) => [api.gql('{ viewer { id } }', { token }), api.gql('{ viewer { id } }', { token })]));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(new Set(results.map((r) => r.body.data?.viewer?.id)).size).toBe(20);

    // The row is cached by now; a later sign-in with a new email changes it (profile sync).
    const first = await api.gql('{ viewer { id email } }', { token: tokens[0] });
    const changed = `changed-${randomUUID()}@example.com`;
    const renamed = await bed.issuer.sign({ sub: subs[0], aud: 'https://api.test', email: changed, email_verified: true });
    const after = await api.gql('{ viewer { id email } }', { token: renamed });
    expect(after.body.data.viewer).toEqual({ id: first.body.data.viewer.id, email: changed });
  });
});
