// Vitest global setup: builds dist/ once, before any test file runs, when it is missing or out
// of date, so the tests that spawn `npm start`'s command line (scripts/run.mjs) never compile
// inside a child under a readiness deadline; and, when not cached yet, what every worker reads:
// the test issuers' RSA key ring (keyRingFile.ts) and the migrated PGlite template (database.ts).
import { ensureBuilt } from '../../scripts/build.mjs';
import { ensurePgliteTemplate } from './database.js';
import { ensureKeyRing } from './keyRingFile.js';

export default async function setup(): Promise<void> {
  await Promise.all([ensureBuilt(), ensureKeyRing(), ensurePgliteTemplate()]);
}
