// `npm run import -- FILE|- [--strict] [--batch-size N]`: imports users from JSON Lines into
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

const USAGE = 'usage: npm run import -- FILE|- [--strict] [--batch-size 5000]';

class UsageError extends Error {}

function issuerNames(config: Config): Map<string, string> {
  const issuers = config.useDevIssuer ? [devIssuerConfig()] : config.issuers;
  const names = new Map(issuers.map((issuer) => [issuer.name, issuer.issuer]));
  if (config.introspection !== null) names.set(config.introspection.name, config.introspection.issuer);
  return names;
}

async function open(config: Config): Promise<Database> {
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
    onIncident: (incident) => console.error(`import: ${describeIncident(incident).message}`),
  });
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { strict: { type: 'boolean' }, 'batch-size': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`one FILE (or - for standard input) is required\n${USAGE}`);
  const batchSize = values['batch-size'] === undefined ? 5000 : Number(values['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 50_000) throw new UsageError('--batch-size must be a whole number from 1 to 50000');
  const config = loadConfig(process.env);
  const file = positionals[0]!;
  let totalBytes: number | null;
  try {
    totalBytes = file === '-' ? (fstatSync(0).isFile() ? fstatSync(0).size : null) : statSync(file).size;
  } catch {
    throw new UsageError(`cannot read ${file}`);
  }
  const strict = values.strict === true;
  const db = await open(config);
  const where = config.database.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `the embedded database in ${config.dataDir}`;
  console.error(`importing ${file === '-' ? 'standard input' : file} into ${where}${strict ? ' (--strict: all or nothing)' : ''}`);
  const progress = createProgress(process.stderr, totalBytes);
  const started = performance.now();
  try {
    const summary = await runImport({
      db,
      input: file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 1 << 20 }),
      issuers: issuerNames(config),
      strict,
      batchSize,
      onProblem: (problem) => {
        progress.clear();
        console.error(describeProblem(problem, strict));
      },
      onProgress: (p) => progress.update(p),
    });
    progress.clear();
    console.log(formatSummary(summary, (performance.now() - started) / 1000));
    const skipped = Object.values(summary.skipped).some((n) => (n ?? 0) > 0);
    return summary.stoppedAt !== null || skipped ? 2 : 0;
  } finally {
    progress.clear();
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || error instanceof ConfigError) console.error(`import: ${error.message}`);
    else if (isAppError(error) && error.code === 'IDENTITY_STORE_UNAVAILABLE') console.error('import: the database cannot be reached; nothing more was written');
    // Never a driver message (it may quote a row's values): the error's type and code only.
    else console.error(`import failed: ${error instanceof Error ? error.name : typeof error}${(error as { sqlState?: string }).sqlState ? ` (${(error as { sqlState?: string }).sqlState})` : ''}`);
    process.exit(1);
  },
);
