// The whole service, assembled exactly as `npm start` does (createApp), listening on
// loopback, over the file's test database. Tokens come from a real loopback issuer.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createApp, type App, type AppOptions } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import type { IssuerConfig } from '../../src/config/issuers.js';
import type { Database } from '../../src/db/queryable.js';

export interface TestApp {
  app: App;
  url: string;
  /** POSTs a GraphQL operation; `token` goes in `Authorization: Bearer`. */
  gql<T = any>(
    query: string,
    options?: { token?: string; variables?: Record<string, unknown>; headers?: Record<string, string> },
  ): Promise<GraphQLResult<T>>;
  close(): Promise<void>;
}

export interface GraphQLResult<T> {
  status: number;
  headers: Headers;
  body: { data?: T; errors?: { message: string; path?: unknown[]; extensions?: Record<string, any> }[] };
}

export async function startTestApp(options: {
  issuers: IssuerConfig[];
  database?: Database;
  production?: boolean;
  config?: Partial<Config>;
  /** A logger of the test's own (log capture); default silent. */
  logger?: Logger;
  /** Passed to createApp as they are (platform key timing, a fetch seam, a shared lifecycle feed, the Events API pollers' timers). */
  appOptions?: Pick<AppOptions, 'platformKeys' | 'fetch' | 'lifecycleFeed' | 'eventTimers'>;
  /** The clock invitations expire by (AppOptions.now). */
  now?: () => number;
}): Promise<TestApp> {
  const base = loadConfig({
    DATABASE_URL: 'pglite://memory',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'identity-test-')),
    LOG_LEVEL: 'silent',
  });
  const config: Config = {
    ...base,
    issuers: options.issuers,
    useDevIssuer: false,
    production: options.production ?? false,
    // Every operation compiled from its first execution: the suite exercises the path hot
    // operations take in production (graphql-js runs first executions; see executor.test.ts).
    compileOperationsAfter: 1,
    ...options.config,
  };
  const app = await createApp(config, { database: options.database, logger: options.logger, now: options.now, ...options.appOptions });
  const url = await app.listen(0, '127.0.0.1');
  return {
    app,
    url,
    async gql(query, { token, variables, headers } = {}) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          ...headers,
        },
        body: JSON.stringify({ query, variables }),
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: JSON.parse(text) };
    },
    close: () => app.close(),
  };
}
