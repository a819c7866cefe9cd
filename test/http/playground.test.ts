// The offline IDE at the HTTP edge: GET /graphql from a browser serves GraphiQL's page outside
// production only, its assets come from npm packages by exact path (content types, caching,
// no traversal), nothing points off the machine, no token is ever in it, and Apollo's CDN
// landing page is gone.
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { PLAYGROUND_CSP, prefersHtml } from '../../src/http/playground.js';
import type { TestApp } from '../helpers/app.js';
import { useTestBed } from '../helpers/testBed.js';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
const SECRET = 'playground-test-secret';

const bed = useTestBed();
let dev: TestApp;
let prod: TestApp;
let guarded: TestApp;

beforeAll(async () => {
  [dev, prod, guarded] = await Promise.all([bed.start(), bed.start({ production: true }), bed.start({ config: { subgraphSecret: SECRET } })]);
}, 120_000);

const page = (app: TestApp, headers: Record<string, string> = {}) => fetch(`${app.url}/graphql`, { headers: { accept: BROWSER_ACCEPT, ...headers } });

/** The asset URLs the page references, in order. */
function assetUrls(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
}

/** A raw GET whose path is sent exactly as written (fetch would normalise `..`). */
function rawGet(base: string, path: string): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the IDE page (outside production)', () => {
  it('is GraphiQL from this origin only: a strict CSP, no external URL, no Apollo landing page, no token', async () => {
    const response = await page(dev);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(PLAYGROUND_CSP);
    expect(PLAYGROUND_CSP).toContain("script-src 'self';");
    expect(PLAYGROUND_CSP).toContain("connect-src 'self';");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await response.text();
    expect(html).toContain('<div id="graphiql">');
    // No inline script (the CSP would refuse it) and nothing from another host.
    expect(html).not.toMatch(/<script>|<script [^>]*>[^<]/);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/apollo|sandbox|cdn/i);
    for (const url of assetUrls(html)) expect(url).toMatch(/^(\/graphql\/ide\/[a-z-]+\.(js|css)\?v=[\w-]{16}|data:,)$/);
    expect(html).not.toMatch(/eyJ/);
  });

  it('serves every asset with its content type, a versioned immutable cache, ETag revalidation and gzip', async () => {
    const html = await (await page(dev)).text();
    const assets = assetUrls(html).filter((url) => url.startsWith('/graphql/ide/'));
    expect(assets.map((url) => url.split('?')[0])).toEqual([
      '/graphql/ide/graphiql.css',
      '/graphql/ide/page.css',
      '/graphql/ide/react.js',
      '/graphql/ide/react-dom.js',
      '/graphql/ide/graphiql.js',
      '/graphql/ide/start.js',
    ]);
    for (const url of assets) {
      const response = await fetch(`${dev.url}${url}`);
      expect(response.status, url).toBe(200);
      expect(response.headers.get('content-type'), url).toBe(url.includes('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8');
      expect(response.headers.get('cache-control'), url).toBe('public, max-age=31536000, immutable');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      const body = await response.text();
      // Stylesheets inline their fonts and images (data:): nothing from a font host or CDN.
      // (The scripts' requests are watched in a real browser: test/browser.)
      if (url.includes('.css')) expect(/url\(\s*["']?(https?:)?\/\/|@import/.exec(body)?.[0] ?? null, url).toBeNull();
    }
    const unversioned = await fetch(`${dev.url}/graphql/ide/graphiql.js`);
    expect(unversioned.headers.get('cache-control')).toBe('no-cache');
    const etag = unversioned.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]{16}"$/);
    await unversioned.arrayBuffer();
    const revalidated = await fetch(`${dev.url}/graphql/ide/graphiql.js`, { headers: { 'if-none-match': etag } });
    expect(revalidated.status).toBe(304);
    // A stale version in the URL is not cached for a year: a later upgrade is picked up.
    const stale = await fetch(`${dev.url}/graphql/ide/graphiql.js?v=AAAAAAAAAAAAAAAA`);
    expect(stale.headers.get('cache-control')).toBe('no-cache');
    await stale.arrayBuffer();

    const { hostname, port } = new URL(dev.url);
    const gzipped = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      const req = request({ host: hostname, port, path: '/graphql/ide/graphiql.css', headers: { 'accept-encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(gzipped.encoding).toBe('gzip');
    expect(gunzipSync(gzipped.body).toString('utf8')).toContain('.graphiql-container');
  });

  it('serves nothing else under /graphql/ide/: no directory traversal', async () => {
    for (const path of [
      '/graphql/ide/',
      '/graphql/ide/package.json',
      '/graphql/ide/../../package.json',
      '/graphql/ide/..%2F..%2Fpackage.json',
      '/graphql/ide/%2e%2e/%2e%2e/package.json',
      '/graphql/ide/react.js/../../../../etc/passwd',
      '/graphql/ide//graphiql.js',
    ]) {
      expect(await rawGet(dev.url, path), path).toBe(404);
    }
  });

  it('leaves GraphQL clients to Apollo: JSON accept, GET queries and POSTs are not the page', async () => {
    const json = await fetch(`${dev.url}/graphql`, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(400);
    expect(json.headers.get('content-type')).toMatch(/application\/json/);
    const query = await fetch(`${dev.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'application/graphql-response+json, application/json', 'apollo-require-preflight': '1' },
    });
    expect(await query.json()).toEqual({ data: { __typename: 'Query' } });
    const post = await dev.gql('{ __typename }', { headers: { accept: BROWSER_ACCEPT } });
    expect(post.body).toEqual({ data: { __typename: 'Query' } });
  });

  it('is behind SUBGRAPH_SECRET like every /graphql request; its static assets are not', async () => {
    const refused = await page(guarded);
    expect(refused.status).toBe(403);
    expect(await refused.text()).not.toMatch(/<html/);
    const allowed = await page(guarded, { 'x-subgraph-secret': SECRET });
    expect(allowed.status).toBe(200);
    const html = await allowed.text();
    for (const url of assetUrls(html).filter((u) => u.startsWith('/'))) {
      expect((await fetch(`${guarded.url}${url}`)).status, url).toBe(200);
    }
  });
});

describe('production', () => {
  it('never serves the IDE: GET /graphql from a browser is Apollo’s 400, and the assets are 404', async () => {
    const response = await page(prod);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
    expect(await response.text()).not.toMatch(/<html|graphiql/i);
    for (const name of ['graphiql.js', 'graphiql.css', 'react.js', 'react-dom.js', 'start.js', 'page.css']) {
      expect((await fetch(`${prod.url}/graphql/ide/${name}`)).status, name).toBe(404);
    }
  });
});

describe('prefersHtml', () => {
  it('is true for a browser navigation and false for GraphQL clients', () => {
    expect(prefersHtml(BROWSER_ACCEPT)).toBe(true);
    expect(prefersHtml('text/html')).toBe(true);
    expect(prefersHtml(undefined)).toBe(false);
    expect(prefersHtml('*/*')).toBe(false);
    expect(prefersHtml('application/json')).toBe(false);
    expect(prefersHtml('application/graphql-response+json, application/json;q=0.9')).toBe(false);
    expect(prefersHtml('application/json, text/html')).toBe(false);
    expect(prefersHtml('text/html;q=0.5, application/json')).toBe(false);
    expect(prefersHtml('application/json;q=0.5, text/html')).toBe(true);
    expect(prefersHtml('text/html;q=0')).toBe(false);
  });
});
