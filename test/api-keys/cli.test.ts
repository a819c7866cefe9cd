// `npm run keys -- api-peppers`: one line per pepper kid with how many keys it hashes (configured
// ones, and kids no longer configured that still hash keys), so that a pepper can be retired.
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keysCommand } from '../../src/cli/keysCommand.js';
import { insertApiKey } from '../../src/db/apiKeys.js';
import { openDatabase } from '../../src/db/index.js';
import { runCommand } from '../helpers/command.js';
import { migratedDataDir } from '../helpers/database.js';

const pepper = (kid: string) => `${kid}:${randomBytes(32).toString('base64')}`;

describe('npm run keys -- api-peppers', () => {
  it('prints each kid with its count: the signing one, unused ones, and unconfigured ones still in use', async () => {
    const dataDir = await migratedDataDir('identity-api-peppers-');
    const env = { DATA_DIR: dataDir, API_KEY_PEPPERS: `${pepper('new')},${pepper('old')}` };
    const empty = await runCommand(keysCommand, ['api-peppers'], env);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toBe('new 0 keys (signs new keys)\nold 0 keys (unused: can be retired)\n');
    const db = await openDatabase({ target: { kind: 'pglite', dataDir }, poolMax: 1, connectTimeoutMs: 1000, queryTimeoutMs: 5000 });
    const userId = randomUUID();
    await db.query("insert into users (id, email, email_verified) values ($1, 'cli@example.com', true)", [userId]);
    for (const kid of ['new', 'gone', 'gone']) {
      await insertApiKey(db, { id: randomUUID(), publicId: randomBytes(6).toString('hex'), name: 'k', organizationId: null, createdBy: userId, scopes: [], secretHmac: randomBytes(32), pepperKid: kid, expiresAt: null });
    }
    await db.close();
    const counted = await runCommand(keysCommand, ['api-peppers'], env);
    expect(counted.stdout).toBe('new 1 key (signs new keys)\nold 0 keys (unused: can be retired)\ngone 2 keys (NOT CONFIGURED: these keys answer 401)\n');
    expect(counted.stdout + counted.stderr).not.toContain(env.API_KEY_PEPPERS.split(':')[1]!.split(',')[0]!);
  });
});
