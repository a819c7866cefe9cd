// Fields that read the database once per occurrence are batched: however many aliases ask in
// one request, each kind of read is one SQL statement (spec: "Request limits"). Every
// statement is recorded through the onQuery observer and counted exactly, on cold caches: the
// domains, organizations and memberships read here are cached nowhere, and each viewer is a
// fresh subject, so no count can pass at zero because something was read before.
import { randomUUID } from 'node:crypto';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useHardeningSuite } from '../helpers/hardening.js';

let statements: string[] = [];
const suite = useHardeningSuite({ onQuery: (text) => statements.push(text) });
const bound = `corp-${randomUUID().slice(0, 8)}.example`;
let organizationId: string;

const count = (pattern: RegExp) => statements.filter((text) => pattern.test(text)).length;
const aliases = (n: number, each: (i: number) => string) => Array.from({ length: n }, (_, i) => `a${i}: ${each(i)}`).join('\n');

beforeAll(async () => {
  const { db } = suite.database;
  const [organization] = await db.query<{ id: string }>(`insert into organizations (id, name) values (gen_random_uuid(), 'Corp') returning id`);
  organizationId = organization!.id;
  await db.query(`insert into organization_sso (organization_id, issuer_name, connection, jit_role) values ($1, 'test', 'corp-okta', 'MEMBER')`, [organizationId]);
  await db.query('insert into organization_domains (domain, organization_id) values ($1, $2)', [bound, organizationId]);
});
beforeEach(() => {
  statements = [];
});

describe('authDiscovery', () => {
  it('answers 100 aliases, anonymously, with one SQL statement', async () => {
    const emails = (i: number) => (i % 3 === 0 ? `user${i}@${bound}` : i % 3 === 1 ? `user${i}@elsewhere${i}.example` : `User${i}@${bound.toUpperCase()}`);
    const result = await suite.api.gql(`{ ${aliases(100, (i) => `authDiscovery(email: "${emails(i)}") { method organizationId connection }`)} }`);
    expect(result.status).toBe(200);
    expect(result.body.errors).toBeUndefined();
    for (let i = 0; i < 100; i += 1) {
      const answer = result.body.data[`a${i}`];
      if (i % 3 === 1) expect(answer).toEqual({ method: 'PASSWORDLESS', organizationId: null, connection: null });
      else expect(answer).toEqual({ method: 'SSO', organizationId, connection: 'corp-okta' });
    }
    expect(count(/organization_domains/)).toBe(1);
    expect(statements).toHaveLength(1);
  });

  it('still answers a malformed address with BAD_USER_INPUT next to batched ones', async () => {
    const result = await suite.api.gql(`{ ok: authDiscovery(email: "ada@${bound}") { method } bad: authDiscovery(email: "nope") { method } }`);
    expect(result.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.body.errors?.[0]?.path).toEqual(['bad']);
    expect(count(/organization_domains/)).toBe(1);
  });
});

describe('organization(id)', () => {
  it('answers 100 aliases for a member with one statement per table', async () => {
    const token = await suite.userToken();
    const viewer = await suite.api.gql('{ viewer { id } }', { token });
    await suite.database.db.query(`insert into memberships (id, organization_id, user_id, role) values (gen_random_uuid(), $1, $2, 'MEMBER')`, [
      organizationId,
      viewer.body.data.viewer.id,
    ]);
    const unknown = randomUUID();
    statements = [];
    const result = await suite.api.gql(`{ ${aliases(100, (i) => `organization(id: "${i % 2 ? organizationId : unknown}") { id name }`)} }`, { token });
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.a0).toBeNull();
    expect(result.body.data.a1).toEqual({ id: organizationId, name: 'Corp' });
    expect(count(/\bfrom organizations\b/i)).toBe(1);
    expect(count(/\bfrom memberships\b/i)).toBe(1);
  });
});
