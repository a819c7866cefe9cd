// The serving process runs compiled JavaScript (docs/operations.md, "Runtime"): `npm start` is
// node on scripts/run.mjs with no loader flag, and nothing the process loads while it starts,
// serves a request and drains is TypeScript or tsx, nor does it register a TypeScript loader.
// With tracing off, no OpenTelemetry code is even loaded.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { migratedDataDir } from '../helpers/database.js';
import { freePort, scriptArgs, startMain, waitForOutput } from '../helpers/process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RECORDER = new URL('./fixtures/recordModules.mjs', import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), 'identity-runtime-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm start runtime', () => {
  it('serves compiled JavaScript: no TypeScript module or loader is ever loaded into the process', async () => {
    const start = scriptArgs('start');
    expect(start.filter((arg) => /^(--(import|loader|experimental-loader|require)\b|-r$)/.test(arg))).toEqual([]);

    const record = join(dir, 'modules.jsonl');
    const port = await freePort();
    const main = startMain({
      // The embedded database, migrated already (helpers/database.ts): no cluster created in the child.
      DATA_DIR: await migratedDataDir('identity-runtime-data-'),
      HOST: '127.0.0.1',
      PORT: String(port),
      NODE_OPTIONS: `--import=${RECORDER}`,
      RECORD_MODULES: record,
    });
    await waitForOutput(main, (out) => out.includes('identity subgraph listening'));
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.status).toBe(200);
    main.child.kill('SIGTERM');
    expect(await main.exited).toBe(0);

    const lines = readFileSync(record, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { url?: string; extensions?: string[] });
    const urls = lines.flatMap((line) => (line.url === undefined ? [] : [line.url]));
    expect(urls).toContain(pathToFileURL(join(ROOT, 'dist', 'main.js')).href);
    expect(urls.filter((url) => /\.[cm]?tsx?$/.test(new URL(url).pathname) || url.includes('/node_modules/tsx/'))).toEqual([]);
    // Every module of ours comes from dist/ (or the launcher in scripts/), none from src/.
    expect(urls.filter((url) => url.startsWith(pathToFileURL(join(ROOT, 'src')).href))).toEqual([]);
    // Tracing is off (no OTEL_EXPORTER_OTLP_*ENDPOINT): not one OpenTelemetry module is loaded.
    expect(urls.filter((url) => url.includes('/@opentelemetry/') || url.includes('/dist/tracing/'))).toEqual([]);
    const atExit = lines.find((line) => line.extensions !== undefined)!;
    expect([...atExit.extensions!].sort()).toEqual(['.js', '.json', '.node']);
  });
});
