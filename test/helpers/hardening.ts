// One real server per hardening suite: a loopback issuer, the file's database, the app in
// production mode. Registers beforeAll/afterAll; the returned object is filled in beforeAll.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import type { Config } from '../../src/config/index.js';
import type { IssuerConfig } from '../../src/config/issuers.js';
import type { QueryObserver } from '../../src/db/queryable.js';
import { startTestApp, type TestApp } from './app.js';
import { openTestDatabase, type TestDatabase } from './database.js';
import { AUDIENCE, issuerConfig, startTestIssuer, type TestIssuer } from './issuer.js';

export { AUDIENCE };

export interface HardeningSuite {
  issuer: TestIssuer;
  database: TestDatabase;
  api: TestApp;
  /** A user token for a fresh subject with a verified email; `claims` merged in. */
  userToken(claims?: Record<string, unknown>): Promise<string>;
}

export function useHardeningSuite(
  options: { onQuery?: QueryObserver; config?: Partial<Config>; issuer?: (issuer: TestIssuer) => IssuerConfig; logger?: Logger } = {},
): HardeningSuite {
  const suite = {} as HardeningSuite;
  beforeAll(async () => {
    suite.issuer = await startTestIssuer();
    suite.database = await openTestDatabase({ onQuery: options.onQuery });
    const issuers = [options.issuer?.(suite.issuer) ?? issuerConfig(suite.issuer)];
    suite.api = await startTestApp({ issuers, database: suite.database.db, production: true, config: options.config, logger: options.logger });
  });
  afterAll(async () => {
    await suite.api?.close();
    await suite.database?.close();
    await suite.issuer?.close();
  });
  suite.userToken = (claims = {}) =>
    suite.issuer.sign({ aud: AUDIENCE, sub: `user-${randomUUID()}`, email: `${randomUUID()}@example.com`, email_verified: true, ...claims });
  return suite;
}
