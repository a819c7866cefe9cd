// `BENCH_AB_BASE=<another checkout> npx tsx bench/ab.ts`: this checkout's server (B) against
// another's (A, e.g. a `git worktree` of the commit before a change, its node_modules linked),
// each started by its own `npm start` line (PGlite, production) in its own process, on the same
// scenarios, runs in adjacent pairs (A B, then B A in the next round, so neither always goes
// first). Per pair: B's throughput over A's, and each server's CPU time per request (from
// /proc), which a busy machine disturbs less than throughput. Medians over BENCH_ROUNDS, and the
// median of the pairs' CPU differences (a few µs resolve only that way).
import { cpuMs, gql, issuerJson, load, log, startServer, userClaims, DURATION, ROUNDS } from './harness.js';
import { startBenchIssuer } from './issuer.js';

const BASE = process.env['BENCH_AB_BASE'];
if (BASE === undefined || BASE === '') throw new Error('BENCH_AB_BASE: the directory of the checkout to compare against');

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main() {
  const issuer = await startBenchIssuer('RS256');
  const env = { DATABASE_URL: 'pglite://memory', AUTH_ISSUERS: JSON.stringify([issuerJson('bench', issuer)]) };
  const servers = [await startServer(env, { cwd: BASE }), await startServer(env)];
  try {
    const token = issuer.sign(userClaims('ab', 0));
    for (const server of servers) {
      const answer = await gql(server.base, '{ viewer { id email } }', token);
      if (answer.status !== 200 || !answer.body.data?.viewer?.email) throw new Error(`viewer check failed: ${JSON.stringify(answer.body)}`);
    }
    const scenarios = [
      { name: 'anonymous { __typename }', body: JSON.stringify({ query: '{ __typename }' }), tokens: null },
      { name: 'warm viewer { id email }', body: JSON.stringify({ query: '{ viewer { id email } }' }), tokens: [token] },
    ].filter((scenario) => (process.env['BENCH_AB_ONLY'] ?? '') === '' || scenario.name.startsWith(process.env['BENCH_AB_ONLY']!));
    for (const server of servers) for (const scenario of scenarios) await load(server.base, scenario.body, scenario.tokens, { duration: 1 });
    const results = scenarios.map(() => ({ ratios: [] as number[], cpu: [[], []] as [number[], number[]], rps: [[], []] as [number[], number[]] }));
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [i, scenario] of scenarios.entries()) {
        const pair: number[] = [];
        for (const which of round % 2 === 0 ? [0, 1] : [1, 0]) {
          const server = servers[which]!;
          const cpuBefore = cpuMs(server.pid);
          const run = await load(server.base, scenario.body, scenario.tokens);
          const cpu = cpuMs(server.pid) - cpuBefore;
          if (run.failures > 0) throw new Error(`${which === 0 ? 'A' : 'B'} ${scenario.name}: ${run.failures} failures`);
          pair[which] = run.rps;
          results[i]!.rps[which as 0 | 1].push(run.rps);
          results[i]!.cpu[which as 0 | 1].push((cpu * 1000) / run.requests);
        }
        results[i]!.ratios.push(pair[1]! / pair[0]!);
      }
    }
    log(`A = ${BASE}, B = this checkout; ${ROUNDS} rounds of ${DURATION} s per run, adjacent pairs; medians [min–max]`);
    for (const [i, scenario] of scenarios.entries()) {
      const { ratios, cpu, rps } = results[i]!;
      // Paired: each round's B minus its A, steadier than the difference of the medians.
      const paired = cpu[1].map((b, round) => b - cpu[0][round]!);
      log(
        `${scenario.name.padEnd(28)} A ${median(rps[0]).toFixed(0)} req/s, ${median(cpu[0]).toFixed(0)} µs CPU/req   B ${median(rps[1]).toFixed(0)} req/s, ${median(cpu[1]).toFixed(0)} µs CPU/req   B/A ${median(ratios).toFixed(3)} [${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}]   B−A CPU ${median(paired).toFixed(1)} µs/req paired (${paired.filter((d) => d < 0).length}/${paired.length} rounds lower)`,
      );
    }
  } finally {
    for (const server of servers) {
      const exited = new Promise((r) => server.child.once('exit', r));
      server.child.kill('SIGTERM');
      await exited;
    }
    await issuer.close();
  }
}

void main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
