// `npm run operators -- grant EMAIL | revoke EMAIL | list`, in-process (the process itself:
// test/process/operators.test.ts). On PostgreSQL it runs beside a serving app, which sees each
// change within 1 s (the command caches nothing; migration 011 announces the change); on the
// embedded database it runs while no server holds the directory.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorsCommand } from '../../src/cli/operatorsCommand.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { runCommand } from '../helpers/command.js';
import { databaseKind, migratedDataDir, openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { eventually } from '../helpers/eventually.js';
import { AUDIENCE, issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';

let issuer: TestIssuer;
let database: TestDatabase | null = null;
let dataDir: string;
let app: TestApp | null = null;

const operators = (args: string[]) => runCommand(operatorsCommand, args, env());
const env = (): Record<string, string> => (database !== null ? { ...database.env, LOG_LEVEL: 'silent' } : { DATA_DIR: dataDir, LOG_LEVEL: 'silent' });

/** The app over the database the command uses: the suite's PostgreSQL schema, or the embedded one in dataDir. */
async function serve(): Promise<TestApp> {
  const issuers = [issuerConfig(issuer, { name: 'test' })];
  app = database !== null ? await startTestApp({ issuers, database: database.db }) : await startTestApp({ issuers, config: { database: { kind: 'pglite', dataDir }, dataDir } });
  return app;
}

async function stop(): Promise<void> {
  await app?.close();
  app = null;
}

beforeAll(async () => {
  issuer = await startTestIssuer();
  dataDir = await migratedDataDir('identity-operators-');
  if (databaseKind === 'postgres') database = await openTestDatabase();
});
afterAll(async () => {
  await stop();
  await database?.close();
  await issuer?.close();
});

async function signIn(server: TestApp, email: string, verified = true): Promise<{ id: string; token: string }> {
  const token = await issuer.sign({ sub: `user|${randomUUID()}`, aud: AUDIENCE, email, email_verified: verified });
  const answer = await server.gql<{ viewer: { id: string } }>('{ viewer { id } }', { token });
  expect(answer.body.errors).toBeUndefined();
  return { id: answer.body.data!.viewer.id, token };
}

const isOperator = async (server: TestApp, token: string) => (await server.gql<{ viewer: { isOperator: boolean } }>('{ viewer { isOperator } }', { token })).body.data!.viewer.isOperator;

describe('npm run operators', () => {
  it('grants, lists (email and user id per line), revokes; audited with actor system; refuses unknown, unverified and malformed emails', async () => {
    let server = await serve();
    const alice = await signIn(server, `alice-${randomUUID()}@example.com`);
    const aliceEmail = `alice-${randomUUID()}@Example.com`;
    const ada = await signIn(server, aliceEmail.toLowerCase());
    const unverifiedEmail = `eve-${randomUUID()}@example.com`;
    await signIn(server, unverifiedEmail, false);
    // The embedded database admits one process (the refusal while another holds it: test/process/operators.test.ts).
    if (database === null) await stop();

    const empty = await operators(['list']);
    expect(empty).toMatchObject({ code: 0, stdout: '' });
    const granted = await operators(['grant', ` ${aliceEmail} `]);
    expect(granted.code).toBe(0);
    expect(granted.stdout).toContain(`granted: ${aliceEmail.toLowerCase()} (${ada.id})`);
    expect((await operators(['grant', aliceEmail])).stdout).toMatch(/already an operator/);
    const listed = await operators(['list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout.trim().split('\n').map((line) => line.split(/\s+/))).toEqual([[aliceEmail.toLowerCase(), ada.id]]);

    for (const [args, message] of [
      [['grant', `nobody-${randomUUID()}@example.com`], /no user holds/],
      [['grant', unverifiedEmail], /has not verified it/],
      [['grant', 'not-an-email'], /not an email address/],
      [['grant'], /usage: npm run operators -- grant EMAIL \| revoke EMAIL \| list/],
      [['promote', aliceEmail], /usage/],
      [['list', 'extra'], /usage/],
    ] as const) {
      const refused = await operators([...args]);
      expect(refused.code, args.join(' ')).toBe(1);
      expect(refused.stderr).toMatch(/^operators: /);
      expect(refused.stderr).toMatch(message);
    }

    // The serving app sees it (on the embedded database: once restarted, at the end).
    if (database !== null) {
      expect(await isOperator(server, ada.token)).toBe(true);
      expect(await isOperator(server, alice.token)).toBe(false);
    }

    const revoked = await operators(['revoke', aliceEmail]);
    expect(revoked).toMatchObject({ code: 0 });
    expect(revoked.stdout).toContain(`revoked: ${aliceEmail.toLowerCase()} (${ada.id})`);
    expect((await operators(['revoke', aliceEmail])).stdout).toMatch(/not an operator: nothing to revoke/);
    expect((await operators(['list'])).stdout).toBe('');

    if (database === null) server = await serve();
    expect(await isOperator(server, ada.token)).toBe(false);
    const audit = await server.app.db.query<{ action: string; actor_type: string; actor_id: string }>(
      "select action, actor_type, actor_id from audit_events where target_id = $1 and action like 'user.operator%' order by id",
      [ada.id],
    );
    expect(audit).toEqual([
      { action: 'user.operator_granted', actor_type: 'system', actor_id: 'cli' },
      { action: 'user.operator_revoked', actor_type: 'system', actor_id: 'cli' },
    ]);
    await stop();
  }, 120_000);

  it.skipIf(databaseKind !== 'postgres')('a serving replica, warm, sees a grant and a revocation within 1 s', async () => {
    const server = await serve();
    const email = `ops-${randomUUID()}@example.com`;
    const op = await signIn(server, email);
    const USERS = '{ users(first: 1) { edges { node { id } } } }';
    for (let i = 0; i < 3; i += 1) expect((await server.gql(USERS, { token: op.token })).body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    let started = performance.now();
    expect((await operators(['grant', email])).code).toBe(0);
    await eventually(async () => expect((await server.gql(USERS, { token: op.token })).body.errors).toBeUndefined(), { timeoutMs: 1000, intervalMs: 10 });
    const grantMs = performance.now() - started;
    started = performance.now();
    expect((await operators(['revoke', email])).code).toBe(0);
    await eventually(async () => expect((await server.gql(USERS, { token: op.token })).body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN'), { timeoutMs: 1000, intervalMs: 10 });
    console.log(`npm run operators beside a serving replica: grant seen after ${grantMs.toFixed(0)} ms, revocation after ${(performance.now() - started).toFixed(0)} ms`);
    await stop();
  });

  it('refuses DATABASE_URL=pglite://memory (nothing would persist)', async () => {
    const answer = await runCommand(operatorsCommand, ['list'], { DATABASE_URL: 'pglite://memory', LOG_LEVEL: 'silent' });
    expect(answer.code).toBe(1);
    expect(answer.stderr).toMatch(/pglite:\/\/memory holds nothing/);
  });
});
