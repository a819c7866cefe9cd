// `npm run fuzz -- [--count N] [--seed S] [--url URL] [--concurrency C]`: the suite's document
// fuzzer (test/helpers/documentFuzz.ts) against a running server (default http://127.0.0.1:4001,
// e.g. `NODE_ENV=production AUTH_ISSUERS=… npm start`). Exit 1 when any document answered 5xx
// or was slow twice; the seed replays the run.
import { parseArgs } from 'node:util';
import { describeFuzzReport, runDocumentFuzz } from '../test/helpers/fuzzRunner.js';

const { values } = parseArgs({
  options: { count: { type: 'string' }, seed: { type: 'string' }, url: { type: 'string' }, concurrency: { type: 'string' }, secret: { type: 'string' } },
});
const count = Number(values.count ?? 100_000);
const seed = Number(values.seed ?? Math.floor(Math.random() * 2 ** 31));
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(seed)) {
  console.error('usage: npm run fuzz -- [--count N] [--seed S] [--url URL] [--concurrency C] [--secret SUBGRAPH_SECRET]');
  process.exit(2);
}
const url = values.url ?? 'http://127.0.0.1:4001';
console.error(`fuzzing ${url} with ${count} documents, seed ${seed}`);
const report = await runDocumentFuzz({
  url,
  seed,
  count,
  concurrency: Number(values.concurrency ?? 4),
  headers: values.secret === undefined ? {} : { 'x-subgraph-secret': values.secret },
  onProgress: (done) => process.stderr.write(`\r${done} / ${count}`),
});
process.stderr.write('\n');
console.log(describeFuzzReport(report));
for (const finding of [...report.serverErrors, ...report.slow]) console.log(`  #${finding.index} ${finding.kind}: ${finding.status} in ${finding.ms.toFixed(1)} ms`);
process.exit(report.serverErrors.length > 0 || report.slow.length > 0 ? 1 : 0);
