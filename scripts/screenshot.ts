// `npm run screenshot`: regenerates docs/playground.png, the GraphQL IDE showing a viewer's
// answer, from the real app (development issuer, in-memory database) in headless Chromium.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../src/app.js';
import { loadOrCreateDevKey, signDevToken } from '../src/auth/devIssuer.js';
import { loadConfig } from '../src/config/index.js';
import { launchChromium, openIde, pasteHeaders, runQuery, watchPage } from '../test/helpers/browser.js';

const OUTPUT = 'docs/playground.png';
const EMAIL = 'ada@example.com';

const dataDir = mkdtempSync(join(tmpdir(), 'identity-screenshot-'));
const app = await createApp(loadConfig({ DATABASE_URL: 'pglite://memory', DATA_DIR: dataDir, LOG_LEVEL: 'silent' }));
const browser = await launchChromium();
try {
  const url = await app.listen(0, '127.0.0.1');
  // What `npm run token -- --email ada@example.com --name "Ada Lovelace"` prints.
  const token = await signDevToken(await loadOrCreateDevKey(dataDir), { email: EMAIL, name: 'Ada Lovelace' });
  // One organization, so the answer shows a membership.
  const created = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: 'mutation { createOrganization(input: { name: "Analytical Engines" }) { id } }' }),
  });
  if (!created.ok) throw new Error(`createOrganization answered ${created.status}`);

  const page = await browser.newPage({ viewport: { width: 1280, height: 720 }, deviceScaleFactor: 1 });
  const watch = await watchPage(page, [new URL(url).origin]);
  await openIde(page, url);
  await pasteHeaders(page, JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2));
  await runQuery(page, EMAIL);
  // The headers editor scrolls to the end of the long token; show its start, as after a paste.
  await page.keyboard.press('Control+Home');
  await page.screenshot({ path: OUTPUT });
  if (watch.errors.length > 0) throw new Error(`the page raised errors: ${watch.errors.join('; ')}`);
  console.log(`wrote ${OUTPUT}`);
} finally {
  await browser.close();
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
}
