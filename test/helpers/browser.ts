// A real browser for tests and the docs screenshot: Debian's Chromium driven by playwright-core
// (no browser download), plus the few steps a person takes in the GraphQL IDE.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Launches headless Chromium; fails (never skips) with the install command when it is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM_PATH}: run \`apt-get update && apt-get install -y chromium\` (.ci/run does).`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true });
}

export interface PageWatch {
  /** Every URL the page requested, in order. */
  requests: string[];
  /** Uncaught page errors and console errors (CSP violations are console errors). */
  errors: string[];
  /** POSTs to /graphql: their operation name and whether they carried a credential header. */
  graphqlPosts: { operationName: string | null; credentials: boolean }[];
}

/** Records the page's requests and errors; requests to any origin not in `allowedOrigins` are aborted. */
export async function watchPage(page: Page, allowedOrigins: readonly string[]): Promise<PageWatch> {
  const watch: PageWatch = { requests: [], errors: [], graphqlPosts: [] };
  await page.route('**/*', async (route) => {
    const request = route.request();
    const url = request.url();
    watch.requests.push(url);
    if (request.method() === 'POST' && new URL(url).pathname === '/graphql') {
      const headers = await request.allHeaders();
      const body = request.postDataJSON() as { operationName?: string | null } | null;
      watch.graphqlPosts.push({ operationName: body?.operationName ?? null, credentials: 'authorization' in headers || 'x-user-token' in headers });
    }
    return allowedOrigins.includes(new URL(url).origin) || url.startsWith('data:') ? route.continue() : route.abort();
  });
  page.on('pageerror', (error) => watch.errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') watch.errors.push(`console: ${message.text()}`);
  });
  return watch;
}

const IDE = {
  query: '.graphiql-query-editor .CodeMirror',
  headersTab: 'button.graphiql-tab:has-text("Headers")',
  headers: '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror',
  response: '.result-window .CodeMirror',
};

/** Opens the IDE at `${baseUrl}/graphql` and waits until its editors are there. */
export async function openIde(page: Page, baseUrl: string): Promise<void> {
  await page.goto(`${baseUrl}/graphql`);
  await page.locator(IDE.query).waitFor();
}

/** The text of a CodeMirror editor (what a person sees in it). */
export async function editorText(page: Page, selector: string): Promise<string> {
  return page.locator(selector).first().evaluate((element) => (element as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue());
}

export const queryText = (page: Page) => editorText(page, IDE.query);
export const headersText = (page: Page) => editorText(page, IDE.headers);
export const responseText = (page: Page) => editorText(page, IDE.response);

/** Replaces the headers editor's content as a person pasting would (select all, paste). */
export async function pasteHeaders(page: Page, json: string): Promise<void> {
  const headers = page.locator(IDE.headers);
  if (!(await headers.isVisible())) await page.locator(IDE.headersTab).click();
  await headers.click();
  await page.keyboard.press('Control+A');
  // insertText is a paste: no key events, so the editor's bracket auto-closing stays out of it.
  await page.keyboard.insertText(json);
}

/** Ctrl+Enter in the query editor, then waits for a response containing `expected`. */
export async function runQuery(page: Page, expected: string): Promise<string> {
  await page.locator(IDE.query).click();
  await page.keyboard.press('Control+Enter');
  await page.waitForFunction(
    ([selector, text]) => {
      // Runs in the page: its DOM, not Node's.
      const { document } = globalThis as unknown as { document: { querySelector(selector: string): unknown } };
      const element = document.querySelector(selector!) as { CodeMirror?: { getValue(): string } } | null;
      return element?.CodeMirror?.getValue().includes(text!) ?? false;
    },
    [IDE.response, expected] as const,
  );
  return responseText(page);
}

export { IDE as IDE_SELECTORS };

/** A loopback HTTP server serving one empty HTML page at `/`: a browser origin of its own. */
export async function startPageServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html><head><title>frontend</title><link rel="icon" href="data:,"></head><body>frontend</body></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
