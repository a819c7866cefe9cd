// API keys in `npm run bench`: a personal key for the warm-viewer scenario, and the rate at which
// keys are created (each one a transaction: a lock, the creator's memberships, a count, the
// insert and its audit row), spread over users so that no one reaches the 100-key limit.
import { gql } from './harness.js';

const CREATE = 'mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }';

export async function createBenchKey(base: string, userToken: string, scopes: string[] = ['user']): Promise<string> {
  const answer = await gql(base, CREATE, userToken, { input: { name: 'bench', scopes } });
  const secret = answer.body.data?.createApiKey?.secret;
  if (answer.status !== 200 || typeof secret !== 'string') throw new Error(`createApiKey failed: ${JSON.stringify(answer.body)}`);
  return secret;
}

/** Creates `perUser` keys for each user token, `concurrency` at a time; keys created per second. */
export async function keyCreationRate(base: string, userTokens: string[], perUser: number, concurrency = 8): Promise<{ rate: number; created: number; seconds: number }> {
  const jobs = userTokens.flatMap((token) => Array.from({ length: perUser }, () => token));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < jobs.length; i = next++) await createBenchKey(base, jobs[i]!, []);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { rate: jobs.length / seconds, created: jobs.length, seconds };
}
