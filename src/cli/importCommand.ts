// `npm run import -- FILE|- [--strict] [--batch-size N]` (entry: import.ts): imports users from JSON Lines into
// the database the server uses (legacy-sessions.md). Exit 0: nothing skipped; 2: lines were
// skipped (or --strict stopped at one); 1: the import could not run.
import { createReadStream, fstatSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { devIssuerConfig } from '../auth/devIssuer.js';
import { ConfigError, loadConfig, type Config } from '../config/index.js';
import { describeIncident } from '../db/incidents.js';
import { openDatabase } from '../db/index.js';
import { findDataDirHolder } from '../db/dataDirLock.js';
import type { Database } from '../db/queryable.js';
import { isAppError } from '../errors.js';
import { createProgress, describeProblem, formatSummary } from '../import/report.js';
import { runImport } from '../import/run.js';
import { line, type CommandIo } from './io.js';

const USAGE = 'usage: npm run import -- FILE|- [--strict] [--batch-size 5000]';

class UsageError extends Error {}

function issuerNames(config: Config): Map<string, string> {
  const issuers = config.useDevIssuer ? [devIssuerConfig()] : config.issuers;
  const names = new Map(issuers.map((issuer) => [issuer.name, issuer.issuer]));
  if (config.introspection !== null) names.set(config.introspection.name, config.introspection.issuer);
  return names;
}

async function open(config: Config, io: CommandIo): Promise<Database> {
  if (config.database.kind === 'pglite' && config.database.dataDir === null) {
    throw new UsageError('DATABASE_URL=pglite://memory is gone when this command ends: import into PostgreSQL (DATABASE_URL) or the embedded database in DATA_DIR');
  }
  if (config.database.kind === 'pglite' && config.database.dataDir !== null) {
    const holder = findDataDirHolder(config.database.dataDir);
    if (holder !== null) {
      throw new UsageError(
        `the embedded database in ${config.database.dataDir} is in use by another process (pid ${holder}: is the server running?). ` +
          'The embedded database serves one process at a time: stop the server, import, then start it again. ' +
          'To import while servers keep serving, run them on PostgreSQL (DATABASE_URL).',
      );
    }
  }
  return openDatabase({
    // Its own connections, no LISTEN (it caches nothing), and room for batch statements.
    target: config.database.kind === 'postgres' ? { ...config.database, listenUrl: null } : config.database,
    poolMax: 2,
    connectTimeoutMs: config.dbConnectTimeoutMs,
    queryTimeoutMs: Math.max(config.dbQueryTimeoutMs, 120_000),
    onIncident: (incident) => line(io.stderr, `import: ${describeIncident(incident).message}`),
  });
}

async function run(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { strict: { type: 'boolean' }, 'batch-size': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    line(io.stdout, USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`one FILE (or - for standard input) is required\n${USAGE}`);
  const batchSize = values['batch-size'] === undefined ? 5000 : Number(values['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 50_000) throw new UsageError('--batch-size must be a whole number from 1 to 50000');
  const config = loadConfig(io.env);
  const file = positionals[0]!;
  let totalBytes: number | null;
  try {
    totalBytes = file === '-' ? standardInputSize(io) : statSync(file).size;
  } catch {
    throw new UsageError(`cannot read ${file}`);
  }
  const strict = values.strict === true;
  const db = await open(config, io);
  const where = config.database.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `the embedded database in ${config.dataDir}`;
  line(io.stderr, `importing ${file === '-' ? 'standard input' : file} into ${where}${strict ? ' (--strict: all or nothing)' : ''}`);
  const progress = createProgress(io.stderr, totalBytes);
  const started = performance.now();
  try {
    const summary = await runImport({
      db,
      input: file === '-' ? io.stdin : createReadStream(file, { highWaterMark: 1 << 20 }),
      issuers: issuerNames(config),
      strict,
      batchSize,
      onProblem: (problem) => {
        progress.clear();
        line(io.stderr, describeProblem(problem, strict));
      },
      onProgress: (p) => progress.update(p),
    });
    progress.clear();
    line(io.stdout, formatSummary(summary, (performance.now() - started) / 1000));
    const skipped = Object.values(summary.skipped).some((n) => (n ?? 0) > 0);
    return summary.stoppedAt !== null || skipped ? 2 : 0;
  } finally {
    progress.clear();
    await db.close();
  }
}

/** The size of standard input when it is a file (for the ETA), else null. */
function standardInputSize(io: CommandIo): number | null {
  const fd = (io.stdin as { fd?: unknown }).fd;
  return typeof fd === 'number' && fstatSync(fd).isFile() ? fstatSync(fd).size : null;
}

/** Exit 0: nothing skipped; 2: lines skipped (or --strict stopped); 1: the import could not run. */
export async function importCommand(args: string[], io: CommandIo): Promise<number> {
  try {
    return await run(args, io);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) line(io.stderr, `import: ${error.message}`);
    else if (isAppError(error) && error.code === 'IDENTITY_STORE_UNAVAILABLE') line(io.stderr, 'import: the database cannot be reached; nothing more was written');
    // Never a driver message (it may quote a row's values): the error's type and code only.
    else line(io.stderr, `import failed: ${error instanceof Error ? error.name : typeof error}${(error as { sqlState?: string }).sqlState ? ` (${(error as { sqlState?: string }).sqlState})` : ''}`);
    return 1;
  }
}
