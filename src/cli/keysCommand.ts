// `npm run keys -- list|rotate|api-peppers` (entry: keys.ts): the platform signing keys, and how
// many API keys each pepper hashes (api-peppers: a pepper can be retired once it hashes none). `list` shows kid, algorithm, state
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
import { countApiKeysByPepper } from '../db/apiKeys.js';
import { DEV_PEPPER_KID } from '../auth/apiKeyCrypto.js';
import { line, type CommandIo } from './io.js';

const USAGE = 'usage: npm run keys -- list | rotate | api-peppers';

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

/** One line per pepper kid, configured or still hashing keys: how many keys it hashes. */
async function apiPeppers(config: Config, io: CommandIo): Promise<void> {
  checkDatabase(config);
  const configured = config.apiKeyPeppers ?? (config.production ? [] : [{ kid: DEV_PEPPER_KID }]);
  const db = await openDatabase({ target: config.database, poolMax: 2, connectTimeoutMs: config.dbConnectTimeoutMs, queryTimeoutMs: config.dbQueryTimeoutMs });
  try {
    const counts = await countApiKeysByPepper(db);
    const kids = [...configured.map((p) => p.kid), ...[...counts.keys()].filter((kid) => !configured.some((p) => p.kid === kid))];
    if (kids.length === 0) line(io.stdout, 'no API key pepper configured (API_KEY_PEPPERS) and no API key stored');
    for (const [i, kid] of kids.entries()) {
      const n = counts.get(kid) ?? 0;
      const note = i === 0 && configured.length > 0 ? ' (signs new keys)' : i >= configured.length ? ' (NOT CONFIGURED: these keys answer 401)' : n === 0 ? ' (unused: can be retired)' : '';
      line(io.stdout, `${kid} ${n} ${n === 1 ? 'key' : 'keys'}${note}`);
    }
  } finally {
    await db.close();
  }
}

async function run(command: string | undefined, io: CommandIo): Promise<void> {
  if (command !== 'list' && command !== 'rotate' && command !== 'api-peppers') throw new CommandError(USAGE);
  const config = loadConfig(io.env);
  if (command === 'api-peppers') return apiPeppers(config, io);
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
