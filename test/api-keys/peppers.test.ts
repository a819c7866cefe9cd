// Peppers (api-keys.md, Storage): a rotation (old keys keep working and are re-hashed under the
// newest pepper on use, after which the old pepper can go), a key whose pepper is gone (401, one
// warning line per missing kid), production without API_KEY_PEPPERS (keys off), the development
// pepper in DATA_DIR, and the variable's validation.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { countApiKeysByPepper } from '../../src/db/apiKeys.js';
import { code, createKey, CREATE_API_KEY, reason } from '../helpers/apiKeys.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { eventually } from '../helpers/eventually.js';
import { AUDIENCE, issuerConfig } from '../helpers/issuer.js';
import { capturingLogger } from '../helpers/platform.js';
import { useTestBed } from '../helpers/testBed.js';

const bed = useTestBed();
const A = { kid: 'a2025', key: randomBytes(32) };
const B = { kid: 'b2026', key: randomBytes(32) };
const C = { kid: 'c2027', key: randomBytes(32) };

let userToken: string;
beforeAll(async () => {
  userToken = await bed.issuer.sign({ sub: `user|${randomUUID()}`, aud: AUDIENCE, email: `p-${randomUUID()}@example.com`, email_verified: true });
});

async function withApp<T>(options: Partial<Parameters<typeof startTestApp>[0]>, run: (app: TestApp) => Promise<T>): Promise<T> {
  const app = await startTestApp({ issuers: [issuerConfig(bed.issuer)], database: bed.database.db, ...options });
  try {
    return await run(app);
  } finally {
    await app.close();
  }
}

const viewerStatus = async (app: TestApp, token: string) => (await app.gql('{ viewer { id } }', { token })).status;
const kidOf = async (id: string) => (await bed.database.db.query<{ pepper_kid: string }>('select pepper_kid from api_keys where id = $1', [id]))[0]!.pepper_kid;

describe('rotation', () => {
  it('old keys keep working under the older pepper, are re-hashed under the newest on use, and the old pepper can then go', async () => {
    const old = await withApp({ config: { apiKeyPeppers: [A] } }, async (app) => createKey(app.gql, userToken, { scopes: ['user'] }));
    expect(await kidOf(old.id)).toBe(A.kid);
    const fresh = await withApp({ config: { apiKeyPeppers: [B, A] } }, async (app) => {
      expect(await viewerStatus(app, old.secret)).toBe(200);
      await eventually(async () => expect(await kidOf(old.id)).toBe(B.kid));
      expect(await viewerStatus(app, old.secret)).toBe(200);
      return createKey(app.gql, userToken, { scopes: ['user'] });
    });
    expect(await kidOf(fresh.id)).toBe(B.kid);
    // What `npm run keys -- api-peppers` prints from: nothing under A any more.
    const counts = await countApiKeysByPepper(bed.database.db);
    expect(counts.get(A.kid) ?? 0).toBe(0);
    await withApp({ config: { apiKeyPeppers: [B] } }, async (app) => {
      expect(await viewerStatus(app, old.secret)).toBe(200);
      expect(await viewerStatus(app, fresh.secret)).toBe(200);
    });
  });

  it('a key whose pepper is no longer configured answers 401, with one warning line per missing kid', async () => {
    const keys = await withApp({ config: { apiKeyPeppers: [B] } }, async (app) => [await createKey(app.gql, userToken, { scopes: [] }), await createKey(app.gql, userToken, { scopes: [] })]);
    const lines: string[] = [];
    await withApp({ config: { apiKeyPeppers: [C] }, logger: capturingLogger(lines) }, async (app) => {
      for (let i = 0; i < 3; i += 1) for (const key of keys) expect(await viewerStatus(app, key.secret)).toBe(401);
    });
    const warnings = lines.filter((line) => line.includes('no longer holds'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(B.kid);
    for (const key of keys) expect(lines.join('\n')).not.toContain(key.secret);
  });
});

describe('without API_KEY_PEPPERS', () => {
  it('in production: the service starts, createApiKey answers BAD_USER_INPUT API_KEYS_DISABLED, every key 401', async () => {
    const key = await withApp({ config: { apiKeyPeppers: [A] } }, (app) => createKey(app.gql, userToken, { scopes: [] }));
    await withApp({ production: true, config: { apiKeyPeppers: null } }, async (app) => {
      const refused = await app.gql(CREATE_API_KEY, { token: userToken, variables: { input: { name: 'k', scopes: [] } } });
      expect(code(refused)).toBe('BAD_USER_INPUT');
      expect(reason(refused)).toBe('API_KEYS_DISABLED');
      expect(await viewerStatus(app, key.secret)).toBe(401);
    });
  });

  it('in development: a pepper is generated into DATA_DIR and kept there', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'identity-peppers-'));
    const key = await withApp({ config: { apiKeyPeppers: null, dataDir } }, (app) => createKey(app.gql, userToken, { scopes: [] }));
    expect(existsSync(join(dataDir, 'api-key-pepper.key'))).toBe(true);
    expect(await kidOf(key.id)).toBe('dev');
    await withApp({ config: { apiKeyPeppers: null, dataDir } }, async (app) => expect(await viewerStatus(app, key.secret)).toBe(200));
  });

  it('API_KEY_PEPPERS is validated at start: one line naming the variable, never the value', () => {
    const secret = randomBytes(8).toString('base64');
    for (const value of [`nokid`, `a:${secret}`, `a:${A.key.toString('base64')},a:${B.key.toString('base64')}`, `bad kid:${A.key.toString('base64')}`, ',']) {
      let error: unknown;
      try {
        loadConfig({ API_KEY_PEPPERS: value });
      } catch (caught) {
        error = caught;
      }
      expect(error, value).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/^API_KEY_PEPPERS: /);
      expect((error as Error).message).not.toContain(secret);
    }
    expect(loadConfig({ API_KEY_PEPPERS: `${A.kid}:${A.key.toString('base64')}, ${B.kid}:${B.key.toString('base64url')}` }).apiKeyPeppers?.map((p) => p.kid)).toEqual([A.kid, B.kid]);
  });
});
