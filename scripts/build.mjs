// The compiled runtime: src/**/*.ts → dist/ with tsc (tsconfig.build.json). dist/ carries a
// hash of the sources it was built from, so `npm start` (scripts/run.mjs) and `prepare` rebuild
// only when dist/ is missing or the sources changed, in a few milliseconds otherwise.
//
//   node scripts/build.mjs             `npm run build`: type-checks and builds, always
//   node scripts/build.mjs --if-stale  `prepare`: builds (without type-checking) only when stale
//
// Plain JavaScript on purpose: it runs before any TypeScript is compiled, in the serving process.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DIST = join(ROOT, 'dist');
const STAMP = '.source-hash';
const LOCK = join(ROOT, '.build.lock');
/** Besides src/**\/*.ts, what changes the output. */
const CONFIG_FILES = ['tsconfig.json', 'tsconfig.build.json'];

function sourceFiles(dir, found = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, found);
    else if (entry.name.endsWith('.ts')) found.push(path);
  }
  return found;
}

/** The hash of everything the build reads (paths and contents): ~3 ms for the whole tree. */
export function sourceHash() {
  const hash = createHash('sha256');
  const files = [...sourceFiles(join(ROOT, 'src')).sort(), ...CONFIG_FILES.map((file) => join(ROOT, file))];
  for (const file of files) {
    hash.update(file.slice(ROOT.length));
    hash.update('\0');
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}

function builtHash() {
  try {
    return readFileSync(join(DIST, STAMP), 'utf8');
  } catch {
    return null;
  }
}

export function isFresh() {
  return builtHash() === sourceHash();
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/**
 * One build at a time across processes (tests and replicas may start together): a lock
 * directory holding the builder's pid; a lock whose builder died is taken over.
 */
async function withLock(work) {
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      let holder = NaN;
      try {
        holder = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
      } catch {
        // Just created, pid not written yet: wait.
      }
      if (Number.isInteger(holder) && !isAlive(holder)) rmSync(LOCK, { recursive: true, force: true });
      else await sleep(100);
    }
  }
  try {
    writeFileSync(join(LOCK, 'pid'), String(process.pid));
    return await work();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

function tscPath() {
  try {
    return createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    return null;
  }
}

/**
 * Compiles into a temporary directory and swaps it in, so dist/ is never half-written and
 * holds no module whose source was deleted. Returns false (tsc printed why) when tsc failed.
 */
function compile({ typecheck }) {
  const tsc = tscPath();
  if (tsc === null) {
    throw new Error(
      'dist/ is missing or out of date and TypeScript is not installed (dev dependencies omitted?): run `npm run build` where it is, then prune',
    );
  }
  const hash = sourceHash();
  const staging = join(ROOT, `.dist-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  const args = [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', staging, ...(typecheck ? [] : ['--noCheck'])];
  const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) {
    rmSync(staging, { recursive: true, force: true });
    return false;
  }
  writeFileSync(join(staging, STAMP), hash);
  const previous = join(ROOT, `.dist-old-${process.pid}`);
  if (existsSync(DIST)) renameSync(DIST, previous);
  renameSync(staging, DIST);
  rmSync(previous, { recursive: true, force: true });
  return true;
}

/**
 * Builds dist/ unless it is fresh. `onBuild` is told before a build starts (a line for the
 * person waiting). Throws when the build fails.
 */
export async function ensureBuilt({ onBuild } = {}) {
  if (isFresh()) return;
  await withLock(async () => {
    if (isFresh()) return; // another process built it while this one waited
    onBuild?.();
    if (!compile({ typecheck: false })) throw new Error('the TypeScript build failed (above)');
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    if (process.argv.includes('--if-stale')) {
      await ensureBuilt();
    } else {
      const ok = await withLock(async () => compile({ typecheck: true }));
      if (!ok) process.exitCode = 1;
    }
  } catch (error) {
    console.error(`build: ${error.message}`);
    process.exitCode = 1;
  }
}
