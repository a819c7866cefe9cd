// `npm run operators -- grant EMAIL | revoke EMAIL | list` (entry: operators.ts): operator status
// (api-keys.md, Operators) in the database the servers use. The servers hear each change at its
// commit (migration 011), so it takes effect on every replica within a second. `grant` needs a
// user holding the email verified (an unproved copy of an address could be anyone's); `list`
// prints one line per operator: email (or `-`) and user id. Audited with actor `system` / `cli`.
import { ConfigError, loadConfig, type Config } from '../config/index.js';
import { findDataDirHolder } from '../db/dataDirLock.js';
import { describeIncident } from '../db/incidents.js';
import { openDatabase } from '../db/index.js';
import type { Database } from '../db/queryable.js';
import { createUserStore } from '../db/userStore.js';
import { readEmailAddress } from '../domain/email.js';
import type { Actor } from '../domain/types.js';
import { createOperatorService } from '../services/operators.js';
import { line, type CommandIo } from './io.js';

const USAGE = 'usage: npm run operators -- grant EMAIL | revoke EMAIL | list';
const CLI_ACTOR: Actor = { type: 'system', id: 'cli', impersonator: null };

class CommandError extends Error {}

async function open(config: Config, io: CommandIo): Promise<Database> {
  if (config.database.kind === 'pglite') {
    if (config.database.dataDir === null) throw new CommandError('DATABASE_URL=pglite://memory holds nothing between processes: point DATABASE_URL at the servers’ PostgreSQL, or use the embedded database in DATA_DIR.');
    const holder = findDataDirHolder(config.database.dataDir);
    if (holder !== null) {
      throw new CommandError(
        `the embedded database in ${config.database.dataDir} is in use by process ${holder} (a running server): PGlite admits one process at a time. Stop the server, then run this command again; or run the servers on PostgreSQL (DATABASE_URL) to manage operators while they serve.`,
      );
    }
  }
  return openDatabase({
    // Its own connections and no LISTEN: it caches nothing; the servers hear its commits.
    target: config.database.kind === 'postgres' ? { ...config.database, listenUrl: null } : config.database,
    poolMax: 2,
    connectTimeoutMs: config.dbConnectTimeoutMs,
    queryTimeoutMs: config.dbQueryTimeoutMs,
    onIncident: (incident) => line(io.stderr, `operators: ${describeIncident(incident).message}`),
  });
}

function emailArgument(args: string[]): string {
  if (args.length !== 2) throw new CommandError(USAGE);
  const email = readEmailAddress(args[1]);
  if (email === null) throw new CommandError(`not an email address: ${args[1]}`);
  return email;
}

async function run(args: string[], io: CommandIo): Promise<void> {
  const command = args[0];
  if (command === 'list' ? args.length !== 1 : command !== 'grant' && command !== 'revoke') throw new CommandError(USAGE);
  const email = command === 'list' ? null : emailArgument(args);
  const config = loadConfig(io.env);
  const db = await open(config, io);
  const users = createUserStore(db);
  const operators = createOperatorService({ users, issuersByName: new Map() });
  try {
    if (command === 'list') {
      const all = await operators.operators();
      if (all.length === 0) line(io.stderr, 'no operators');
      for (const user of all) line(io.stdout, `${user.email ?? '-'} ${user.id}`);
      return;
    }
    if (command === 'grant') {
      const user = await users.findByEmail(email!);
      if (user === null) throw new CommandError(`no user holds ${email}: they become a user at their first sign-in`);
      if (!user.emailVerified) throw new CommandError(`the user holding ${email} has not verified it: only a verified address names an operator`);
      const was = user.isOperator;
      await operators.setOperator(CLI_ACTOR, user.id, true);
      line(io.stdout, was ? `${email} (${user.id}) is already an operator` : `granted: ${email} (${user.id}) is an operator`);
      return;
    }
    // Revoke whoever holds the status under this email (whichever way it was granted).
    const holders = (await operators.operators()).filter((user) => user.email === email);
    if (holders.length === 0) {
      if ((await users.findByEmail(email!)) === null) throw new CommandError(`no user holds ${email}`);
      line(io.stdout, `${email} is not an operator: nothing to revoke`);
      return;
    }
    for (const user of holders) {
      await operators.setOperator(CLI_ACTOR, user.id, false);
      line(io.stdout, `revoked: ${email} (${user.id}) is no longer an operator`);
    }
  } finally {
    users.close();
    await db.close();
  }
}

/** Exit 0 when done, 1 with one `operators:` line on stderr otherwise (an unknown email included). */
export async function operatorsCommand(args: string[], io: CommandIo): Promise<number> {
  try {
    await run(args, io);
    return 0;
  } catch (error) {
    const known = error instanceof CommandError || error instanceof ConfigError;
    // Never a driver message (it may quote values): a fixed line otherwise.
    line(io.stderr, `operators: ${known ? (error as Error).message : 'failed (the database could not be reached, or another error)'}`);
    return 1;
  }
}
