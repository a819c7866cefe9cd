// In a real browser (Debian's Chromium via playwright-core; one browser for the file): the IDE
// at /graphql loads with every request kept on the server's loopback origin and no page error,
// introspects (docs, autocompletion), and runs the viewer query with a token pasted into its
// headers; a page from an allowed origin reads /graphql cross-origin, another origin is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PLAYGROUND_DEFAULT_QUERY, PLAYGROUND_TOKEN_PLACEHOLDER } from '../../src/http/playground.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  headersText,
  IDE_SELECTORS,
  launchChromium,
  openIde,
  pasteHeaders,
  queryText,
  runQuery,
  startPageServer,
  watchPage,
  type PageWatch,
} from '../helpers/browser.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';

const BROWSER_TIMEOUT = 60_000;

let issuer: TestIssuer;
let database: TestDatabase;
let app: TestApp;
let allowedSite: Awaited<ReturnType<typeof startPageServer>>;
let otherSite: Awaited<ReturnType<typeof startPageServer>>;
let browser: Browser;

beforeAll(async () => {
  [issuer, database, allowedSite, otherSite, browser] = await Promise.all([
    startTestIssuer(),
    openTestDatabase(),
    startPageServer(),
    startPageServer(),
    launchChromium(),
  ]);
  app = await startTestApp({ issuers: [issuerConfig(issuer)], database: database.db, config: { corsOrigins: [allowedSite.url] } });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await allowedSite?.close();
  await otherSite?.close();
  await database?.close();
  await issuer?.close();
});

const adaToken = (email: string) =>
  issuer.sign({ sub: `ada-${email}`, aud: 'https://api.test', email, name: 'Ada Lovelace', email_verified: true });

describe('the GraphQL IDE', () => {
  let context: BrowserContext;
  let page: Page;
  let watch: PageWatch;

  beforeAll(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    watch = await watchPage(page, [new URL(app.url).origin]);
    await openIde(page, app.url);
  }, BROWSER_TIMEOUT);
  afterAll(() => context?.close());

  it('opens with the viewer query, how to get a token, and where the bearer goes', async () => {
    expect(await page.title()).toContain('GraphiQL');
    expect(await queryText(page)).toBe(PLAYGROUND_DEFAULT_QUERY);
    expect(await queryText(page)).toContain('npm run token -- --email you@example.com');
    expect(JSON.parse(await headersText(page))).toEqual({ Authorization: `Bearer ${PLAYGROUND_TOKEN_PLACEHOLDER}` });
  }, BROWSER_TIMEOUT);

  it('introspects without the placeholder credential: the docs list viewer, autocompletion offers it', async () => {
    await page.getByRole('button', { name: /documentation explorer/i }).click();
    const docs = page.locator('.graphiql-doc-explorer');
    await docs.getByText('Query', { exact: true }).click();
    await expect.poll(() => docs.textContent(), { timeout: 20_000 }).toMatch(/viewer/);
    // A second operation, typed as a person would: the editor suggests the field as they type.
    await page.locator(IDE_SELECTORS.query).click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\nquery Second { vie');
    const hints = page.locator('.CodeMirror-hints');
    await expect.poll(() => hints.textContent(), { timeout: 20_000 }).toContain('viewer');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(PLAYGROUND_DEFAULT_QUERY);
    const introspections = watch.graphqlPosts.filter((post) => post.operationName === 'IntrospectionQuery');
    expect(introspections.length).toBeGreaterThan(0);
    expect(introspections.every((post) => !post.credentials)).toBe(true);
  }, BROWSER_TIMEOUT);

  it('runs the viewer query with a token pasted into Headers, on Ctrl+Enter, and shows the answer', async () => {
    const email = 'ada.ide@example.com';
    await pasteHeaders(page, JSON.stringify({ Authorization: `Bearer ${await adaToken(email)}` }, null, 2));
    const answer = JSON.parse(await runQuery(page, email)) as { data: { viewer: Record<string, unknown> } };
    expect(answer.data.viewer).toMatchObject({ email, name: 'Ada Lovelace', memberships: [] });
    expect(answer.data.viewer['id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(watch.graphqlPosts.some((post) => post.operationName === null && post.credentials)).toBe(true);
  }, BROWSER_TIMEOUT);

  it('sent every request to the server’s own loopback origin, and raised no page or console error', () => {
    const origin = new URL(app.url).origin;
    expect(watch.requests.length).toBeGreaterThanOrEqual(7);
    expect(watch.requests.filter((url) => new URL(url).origin !== origin)).toEqual([]);
    expect(watch.errors).toEqual([]);
  });
});

describe('a frontend on another origin', () => {
  /** Opens `site` in a fresh context and calls /graphql from it with `fetch` and a bearer. */
  async function callFromSite(site: string, token: string): Promise<{ ok: true; body: unknown } | { ok: false; error: string }> {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await watchPage(page, [site, new URL(app.url).origin]);
      await page.goto(site);
      return await page.evaluate(
        async ({ url, bearer }) => {
          try {
            const response = await fetch(`${url}/graphql`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
              body: JSON.stringify({ query: '{ viewer { email name } }' }),
            });
            return { ok: true as const, body: (await response.json()) as unknown };
          } catch (error) {
            return { ok: false as const, error: String(error) };
          }
        },
        { url: app.url, bearer: token },
      );
    } finally {
      await context.close();
    }
  }

  it('reads the answer when its origin is in CORS_ORIGINS', async () => {
    const email = 'ada.frontend@example.com';
    const result = await callFromSite(allowedSite.url, await adaToken(email));
    expect(result).toEqual({ ok: true, body: { data: { viewer: { email, name: 'Ada Lovelace' } } } });
  }, BROWSER_TIMEOUT);

  it('is refused by the browser when its origin is not', async () => {
    const result = await callFromSite(otherSite.url, await adaToken('ada.other@example.com'));
    expect(result).toEqual({ ok: false, error: expect.stringMatching(/TypeError: Failed to fetch/) });
  }, BROWSER_TIMEOUT);
});
