// Shared set-up of the operator suites: a loopback issuer, the file's database, app A over it and
// app B, a second replica (on PostgreSQL its own pool and LISTEN connection on the same schema;
// on PGlite, which one process alone opens, the same database), and token helpers.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { Config } from '../../src/config/index.js';
import { createPostgresDatabase } from '../../src/db/postgres.js';
import type { Database } from '../../src/db/queryable.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { AUDIENCE, issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';

export interface OperatorSuite {
  issuer: TestIssuer;
  database: TestDatabase;
  a: TestApp;
  b: TestApp;
  /** A user token for `sub` (fresh by default), verified email unless the claims say otherwise. */
  userToken(claims?: Record<string, unknown>): Promise<string>;
  /** Signs a fresh user in on A: id, token, email, subject. */
  signIn(claims?: Record<string, unknown>): Promise<{ id: string; token: string; email: string; subject: string }>;
  /** A client-credentials token holding `scopes`. */
  serviceToken(scopes: string[]): Promise<string>;
}

export function useOperatorSuite(config: Partial<Config> = {}): OperatorSuite {
  const suite = {} as OperatorSuite;
  let second: Database | null = null;
  beforeAll(async () => {
    suite.issuer = await startTestIssuer();
    suite.database = await openTestDatabase();
    const connection = suite.database.connection;
    second = connection === null ? null : createPostgresDatabase({ ...connection, max: 10, connectTimeoutMs: 3000, queryTimeoutMs: 10_000 });
    const issuers = [issuerConfig(suite.issuer, { name: 'test' })];
    suite.a = await startTestApp({ issuers, database: suite.database.db, config });
    suite.b = await startTestApp({ issuers, database: second ?? suite.database.db, config });
    suite.userToken = (claims = {}) => {
      const sub = `user|${randomUUID()}`;
      return suite.issuer.sign({ sub, aud: AUDIENCE, email: `${randomUUID()}@example.com`, email_verified: true, ...claims });
    };
    suite.signIn = async (claims = {}) => {
      const subject = (claims['sub'] as string | undefined) ?? `user|${randomUUID()}`;
      const email = (claims['email'] as string | undefined) ?? `${randomUUID()}@example.com`;
      const token = await suite.issuer.sign({ sub: subject, aud: AUDIENCE, email, email_verified: true, ...claims });
      const answer = await suite.a.gql<{ viewer: { id: string } }>('{ viewer { id } }', { token });
      if (answer.body.data?.viewer?.id === undefined) throw new Error(`sign-in failed: ${JSON.stringify(answer.body)}`);
      return { id: answer.body.data.viewer.id, token, email, subject };
    };
    suite.serviceToken = (scopes) => {
      const client = `svc-${randomUUID()}`;
      return suite.issuer.sign({ sub: client, client_id: client, gty: 'client-credentials', aud: AUDIENCE, scope: scopes.join(' ') });
    };
  });
  afterAll(async () => {
    await suite.a?.close();
    await suite.b?.close();
    await second?.close();
    await suite.database?.close();
    await suite.issuer?.close();
  });
  return suite;
}
