// The set-up most suites share: one loopback issuer and the file's database, opened before the
// file's tests, closed after them together with every app started through `start`.
import { afterAll, beforeAll } from 'vitest';
import { startTestApp, type TestApp } from './app.js';
import { openTestDatabase, type TestDatabase, type TestDatabaseOptions } from './database.js';
import { issuerConfig, startTestIssuer, type TestIssuer } from './issuer.js';

export interface TestBed {
  /** Filled in beforeAll. */
  readonly issuer: TestIssuer;
  readonly database: TestDatabase;
  /** Starts the app over the file's database, trusting `issuer` unless `issuers` is given. */
  start(options?: Partial<Parameters<typeof startTestApp>[0]>): Promise<TestApp>;
  /** Closes the apps started so far (for a suite whose apps live one test each). */
  closeApps(): Promise<void>;
}

export interface TestBedOptions {
  issuer?: Parameters<typeof startTestIssuer>[0];
  database?: TestDatabaseOptions;
}

/** Registers the beforeAll/afterAll hooks; call it at the top of a test file. */
export function useTestBed(options: TestBedOptions = {}): TestBed {
  let issuer: TestIssuer | undefined;
  let database: TestDatabase | undefined;
  const apps: TestApp[] = [];
  beforeAll(async () => {
    issuer = await startTestIssuer(options.issuer);
    database = await openTestDatabase(options.database);
  });
  const closeApps = async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  };
  afterAll(async () => {
    await closeApps();
    await database?.close();
    await issuer?.close();
  });
  return {
    get issuer() {
      return issuer!;
    },
    get database() {
      return database!;
    },
    async start(options = {}) {
      const app = await startTestApp({ issuers: [issuerConfig(issuer!)], database: database!.db, ...options });
      apps.push(app);
      return app;
    },
    closeApps,
  };
}
