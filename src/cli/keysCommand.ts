// `npm run keys -- list|rotate` (entry: keys.ts): the platform signing keys. `list` shows kid, algorithm, state
// and times; `rotate` schedules a successor under the same rules as the servers' own rotation
// (published now, signing once every replica serves it and every cached JWKS has it: the
// servers' default timing, PUBLISH_LEAD_MS). No command prints a private key.
import { ConfigError, loadConfig, type Config } from '../config/index.js';
import { loadOrCreateEncryptionKey } from '../auth/platformCrypto.js';
import { PUBLISH_LEAD_MS } from '../auth/platformKeys.js';
import { rotateKeys } from '../auth/platformRotation.js';
import { scheduleKeys } from '../domain/keySchedule.js';
import { findDataDirHolder } from '../db/dataDirLock.js';
import { describeIncident } from '../db/incidents.js';
import { openDatabase } from '../db/index.js';
import { findPlatformKeys } from '../db/platformKeys.js';
import { line, type CommandIo } from './io.js';

const USAGE = 'usage: npm run keys -- list | rotate';

class CommandError extends Error {}

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

function checkDatabase(config: Config): void {
  if (config.database.kind !== 'pglite') return;
  if (config.database.dataDir === null) throw new CommandError('DATABASE_URL=pglite://memory holds nothing between processes: point DATABASE_URL at the servers’ PostgreSQL, or use the embedded database in DATA_DIR.');
  const holder = findDataDirHolder(config.database.dataDir);
  if (holder !== null) {
    throw new CommandError(
      `the embedded database in ${config.database.dataDir} is in use by process ${holder} (a running server): PGlite admits one process at a time. Stop the server, then run this command again; or run the servers on PostgreSQL (DATABASE_URL) to manage keys while they serve.`,
    );
  }
}

async function run(command: string | undefined, io: CommandIo): Promise<void> {
  if (command !== 'list' && command !== 'rotate') throw new CommandError(USAGE);
  const config = loadConfig(io.env);
  const platform = config.platform;
  if (platform === null) throw new CommandError('PLATFORM_ISSUER is not set: platform tokens are off, there are no keys to manage.');
  checkDatabase(config);
  const db = await openDatabase({
    target: config.database,
    poolMax: 2,
    connectTimeoutMs: config.dbConnectTimeoutMs,
    queryTimeoutMs: config.dbQueryTimeoutMs,
    onIncident: (incident) => line(io.stderr, `keys: ${describeIncident(incident).message}`),
  });
  try {
    if (command === 'rotate') {
      const outcome = await rotateKeys(
        db,
        {
          alg: platform.alg,
          encryptionKey: platform.encryptionKey ?? (await loadOrCreateEncryptionKey(config.dataDir)),
          tokenTtlSeconds: platform.tokenTtlSeconds,
          periodMs: platform.rotationDays * 86_400_000,
          leadMs: PUBLISH_LEAD_MS,
        },
        () => Date.now(),
        { force: true },
      );
      if (outcome.created !== null) line(io.stdout, `created key ${outcome.created.kid} (${outcome.created.alg}): published now, signs from ${iso(outcome.created.activatesAt)}`);
      else if (outcome.pending !== null) line(io.stdout, `a rotation is already scheduled: key ${outcome.pending.kid} signs from ${iso(outcome.pending.activatesAt)}; nothing created`);
    }
    const schedule = scheduleKeys(await findPlatformKeys(db), Date.now());
    if (schedule.published.length === 0) line(io.stdout, 'no platform signing key (a server creates the first one when it starts on a database that never held one)');
    const rows = schedule.published.map(({ key, state, retiresAt, unpublishAt }) => [key.kid, key.alg, state, iso(key.createdAt), iso(key.activatesAt), iso(retiresAt), iso(unpublishAt)]);
    if (rows.length > 0) {
      const table = [['KID', 'ALG', 'STATE', 'CREATED', 'SIGNS FROM', 'RETIRES', 'UNPUBLISHED AFTER'], ...rows];
      const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
      for (const row of table) line(io.stdout, row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
    }
  } finally {
    await db.close();
  }
}

/** Exit 0 when done, 1 with one `keys:` line on stderr otherwise. */
export async function keysCommand(args: string[], io: CommandIo): Promise<number> {
  try {
    await run(args[0], io);
    return 0;
  } catch (error) {
    const known = error instanceof CommandError || error instanceof ConfigError || (error instanceof Error && error.name === 'KeyDecryptionError');
    const message = known ? (error as Error).message : 'failed (the database could not be reached, or another error; run with LOG_LEVEL=debug on the server side)';
    if (error instanceof Error && error.name === 'KeyDecryptionError') {
      line(io.stderr, 'keys: PLATFORM_KEY_ENCRYPTION_KEY does not decrypt the active signing key: refusing to create a key the servers could not use.');
    } else {
      line(io.stderr, `keys: ${message}`);
    }
    return 1;
  }
}
