// `npm start` (`node scripts/run.mjs main`) and the commands (`… cli/token`, `cli/keys`,
// `cli/import`, `cli/operators`): runs dist/<entry>.js in this very process, compiling src/ first when dist/ is
// missing or out of date (scripts/build.mjs; a few milliseconds when it is fresh). Plain
// JavaScript: no TypeScript loader is ever loaded into the process.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DIST, ensureBuilt } from './build.mjs';

const ENTRIES = new Set(['main', 'cli/token', 'cli/keys', 'cli/import', 'cli/operators']);

const entry = process.argv[2] ?? '';
if (!ENTRIES.has(entry)) {
  console.error(`usage: node scripts/run.mjs ${[...ENTRIES].join('|')} [arguments]`);
  process.exit(2);
}
try {
  await ensureBuilt({ onBuild: () => console.error('dist/ is missing or older than src/: compiling (a few seconds, once)') });
} catch (error) {
  console.error(`build: ${error.message}`);
  process.exit(1);
}
const file = join(DIST, `${entry}.js`);
// The entry sees the arguments it would as `node dist/<entry>.js …`.
process.argv.splice(1, 2, file);
await import(pathToFileURL(file).href);
