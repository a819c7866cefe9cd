// The server's runtime (npm start) compiles TypeScript through tsx's ESM hooks only. tsx's
// CommonJS hooks would put its resolver on every `require`, and Apollo's query hash requires
// 'crypto' once per request (@apollo/utils.createhash): with them, each request pays tsx's
// resolution (docs/performance.md, "Runtime").
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const start = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } }).scripts.start;

describe('npm start runtime', () => {
  it('starts src/main.ts through node with no CommonJS TypeScript hooks', () => {
    const args = start.replace(/^exec node /, '').split(' ');
    expect(args.at(-1)).toBe('src/main.ts');
    const probe = [...args.slice(0, -1), 'test/performance/fixtures/loaderHooks.ts'];
    const extensions = JSON.parse(execFileSync(process.execPath, probe, { encoding: 'utf8' })) as string[];
    expect(extensions).toEqual(expect.arrayContaining(['.js', '.json', '.node']));
    expect(extensions.filter((ext) => /ts|x$/.test(ext) && ext !== '.json')).toEqual([]);
  });

  it("Apollo still hashes each query through @apollo/utils.createhash's per-call require (canary)", () => {
    // If Apollo stops requiring per call, the reason for the runtime choice above is gone.
    const fromApollo = createRequire(createRequire(import.meta.url).resolve('@apollo/server'));
    const source = readFileSync(fromApollo.resolve('@apollo/utils.createhash'), 'utf8');
    expect(source).toMatch(/module\.require\("crypto"\)/);
  });
});
