// Vitest global setup: builds dist/ once, before any test file runs, when it is missing or out
// of date, so the tests that spawn `npm start`'s command line (scripts/run.mjs) never compile
// inside a child under a readiness deadline; and the test issuers' RSA key ring (keyRingFile.ts),
// made once before the workers read it.
import { ensureBuilt } from '../../scripts/build.mjs';
import { ensureKeyRing } from './keyRingFile.js';

export default async function setup(): Promise<void> {
  await Promise.all([ensureBuilt(), ensureKeyRing()]);
}
