import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { startBenchIssuer } from './issuer.js';
const rsa = await startBenchIssuer('RS256');
const AUD = 'https://api.bench';
const port = 4987;
const child = spawn('node', ['--cpu-prof', '--cpu-prof-dir=/tmp/prof', '--import', 'tsx', 'src/main.ts'], {
  env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'production', LOG_LEVEL: 'warn', DATABASE_URL: process.env.DATABASE_URL ?? 'pglite://memory',
    AUTH_ISSUERS: JSON.stringify([{ name: 'b', kind: 'oidc', issuer: rsa.url, audience: AUD, jwksUri: rsa.jwksUri }]) }, stdio: 'inherit' });
for (;;) { try { if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break; } catch {} await new Promise((r) => setTimeout(r, 200)); }
const token = rsa.sign({ sub: 'p|1', aud: AUD, email: 'p@x.example', email_verified: true });
const q = process.env.Q ?? '{ viewer { id email } }';
const r = await autocannon({ url: `http://127.0.0.1:${port}/graphql`, connections: 16, duration: 6, method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: q }) });
console.log(r.requests.average, r.non2xx);
child.kill('SIGINT'); await new Promise((r) => child.once('exit', r)); await rsa.close();
