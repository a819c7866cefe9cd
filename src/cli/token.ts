// `npm run token -- --email alice@example.com [--name "Alice"] [--sub alice] [--expires-in 3600]`
// prints a bearer token signed by the development issuer's key in DATA_DIR.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadOrCreateDevKey, signDevToken } from '../auth/devIssuer.js';

const USAGE = 'usage: npm run token -- --email alice@example.com [--name "Alice"] [--sub alice] [--expires-in 3600]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      email: { type: 'string' },
      name: { type: 'string' },
      sub: { type: 'string' },
      'expires-in': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (process.env['NODE_ENV'] === 'production') throw new Error('the development issuer is off when NODE_ENV=production');
  const email = z.email().safeParse(values.email?.trim());
  if (!email.success) throw new Error(`--email is required and must be an email address\n${USAGE}`);
  const expiresIn = values['expires-in'] === undefined ? 3600 : Number(values['expires-in']);
  if (!Number.isInteger(expiresIn) || expiresIn <= 0) throw new Error('--expires-in must be a positive number of seconds');
  const key = await loadOrCreateDevKey(process.env['DATA_DIR'] || '.data');
  console.log(await signDevToken(key, { email: email.data, name: values.name, sub: values.sub, expiresInSeconds: expiresIn }));
}

main().catch((error: unknown) => {
  console.error(`token: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
