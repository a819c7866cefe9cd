// `npx tsx bench/gc.ts`: garbage-collector work per `_entities` request (100 User
// representations), read from the server's `--trace-gc-nvp` output rather than throughput: the
// number of mark-compact collections and the bytes scavenges promote to the old generation, and
// the server's CPU time per request (from /proc, in clock ticks of 10 ms).
import { cpuMs, gql, issuerJson, load, log, prepareDatabase, startServer, userClaims } from './harness.js';
import { startBenchIssuer } from './issuer.js';

const REQUESTS = Number(process.env['BENCH_GC_REQUESTS'] ?? 20_000);
const WARM_UP = 2_000;

interface GcCounts {
  scavenges: number;
  markCompacts: number;
  promoted: number;
}

function counted(lines: readonly string[]): GcCounts {
  const counts: GcCounts = { scavenges: 0, markCompacts: 0, promoted: 0 };
  for (const line of lines) {
    const kind = / gc=(\w+)/.exec(line)?.[1];
    if (kind === 's') counts.scavenges += 1;
    else if (kind === 'mc') counts.markCompacts += 1;
    counts.promoted += Number(/ promoted=(\d+)/.exec(line)?.[1] ?? 0);
  }
  return counts;
}

async function main() {
  const issuer = await startBenchIssuer('RS256');
  const { databaseUrl } = await prepareDatabase();
  const { child, base, pid } = await startServer(
    { DATABASE_URL: databaseUrl, AUTH_ISSUERS: JSON.stringify([issuerJson('bench', issuer)]) },
    { nodeFlags: ['--trace-gc-nvp'], pipeStdout: true },
  );
  const lines: string[] = [];
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    for (const line of parts) if (line.includes(' gc=')) lines.push(line);
  });
  try {
    const ids: string[] = [];
    for (let i = 0; i < 100; i += 1) ids.push((await gql(base, '{ viewer { id } }', issuer.sign(userClaims('gc', i)))).body.data.viewer.id);
    const body = JSON.stringify({
      query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name } } }',
      variables: { r: ids.map((id) => ({ __typename: 'User', id })) },
    });
    await load(base, body, null, { amount: WARM_UP });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const from = lines.length;
    const cpuBefore = cpuMs(pid);
    const run = await load(base, body, null, { amount: REQUESTS });
    const cpu = cpuMs(pid) - cpuBefore;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const { scavenges, markCompacts, promoted } = counted(lines.slice(from));
    log(`_entities × 100 Users, ${REQUESTS} requests after ${WARM_UP} (server pid ${pid}, node ${process.version}, failures ${run.failures})`);
    log(`mark-compacts ${markCompacts} (${((markCompacts * 1000) / REQUESTS).toFixed(2)} per 1,000 requests), scavenges ${scavenges}`);
    log(`promoted ${(promoted / REQUESTS / 1024).toFixed(2)} KB per request`);
    log(`server CPU ${((cpu * 1000) / REQUESTS).toFixed(0)} µs per request`);
  } finally {
    child.kill('SIGTERM');
    await issuer.close();
  }
}

void main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
