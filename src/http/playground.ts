// The GraphQL IDE (GraphiQL) a browser gets at GET /graphql outside production: the page and
// its assets come from this process and its npm packages only (no CDN, no font host).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createStaticAssets, packageFile, type StaticAsset } from './staticAssets.js';
import type { RouteHandler } from './server.js';

export const PLAYGROUND_ASSET_PREFIX = '/graphql/ide/';

export const PLAYGROUND_DEFAULT_QUERY = `# You, as the token in Headers says.
# Token: npm run token -- --email you@example.com
# Paste it after "Bearer " below; Ctrl+Enter runs.
{
  viewer {
    id
    email
    name
    memberships {
      role
      organization {
        name
      }
    }
  }
}
`;

export const PLAYGROUND_TOKEN_PLACEHOLDER = '<paste the token here>';
export const PLAYGROUND_DEFAULT_HEADERS = `{\n  "Authorization": "Bearer ${PLAYGROUND_TOKEN_PLACEHOLDER}"\n}\n`;

/** Scripts only from this origin; styles inline too (the editors set them); requests to /graphql here only. */
export const PLAYGROUND_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

// Runs GraphiQL with the defaults above. Introspection goes without the caller's credentials:
// the schema is the same for everyone, so docs and autocompletion work before a token is
// pasted (or after it expired) instead of failing with UNAUTHENTICATED.
const START_SCRIPT = `'use strict';
(function () {
  var CREDENTIALS = ['authorization', 'x-user-token'];
  var graphqlFetcher = GraphiQL.createFetcher({ url: '/graphql', enableIncrementalDelivery: false });
  function fetcher(params, options) {
    if (params.operationName !== 'IntrospectionQuery' || !options || !options.headers) return graphqlFetcher(params, options);
    var headers = {};
    Object.keys(options.headers).forEach(function (name) {
      if (CREDENTIALS.indexOf(name.toLowerCase()) < 0) headers[name] = options.headers[name];
    });
    return graphqlFetcher(params, Object.assign({}, options, { headers: headers }));
  }
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: ${JSON.stringify(PLAYGROUND_DEFAULT_QUERY)},
      defaultHeaders: ${JSON.stringify(PLAYGROUND_DEFAULT_HEADERS)},
      defaultEditorToolsVisibility: 'headers',
      shouldPersistHeaders: false,
    }),
  );
})();
`;

const PAGE_STYLE = 'html, body, #graphiql { height: 100%; margin: 0; }\n';

const text = (value: string) => () => Buffer.from(value, 'utf8');
const asset = (name: string, contentType: string, load: () => Buffer): StaticAsset => ({ path: `${PLAYGROUND_ASSET_PREFIX}${name}`, contentType, load });
const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

const ASSETS: StaticAsset[] = [
  asset('react.js', JS, packageFile('react', 'umd/react.production.min.js')),
  asset('react-dom.js', JS, packageFile('react-dom', 'umd/react-dom.production.min.js')),
  asset('graphiql.js', JS, packageFile('graphiql', 'graphiql.min.js')),
  asset('graphiql.css', CSS, packageFile('graphiql', 'graphiql.min.css')),
  asset('page.css', CSS, text(PAGE_STYLE)),
  asset('start.js', JS, text(START_SCRIPT)),
];

/** True when the Accept header ranks text/html above every GraphQL response type (a browser's navigation). */
export function prefersHtml(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  let html = 0;
  let other = 0;
  for (const range of accept.toLowerCase().split(',')) {
    const [type = '', ...params] = range.split(';').map((part) => part.trim());
    const qParam = params.find((param) => param.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q)) continue;
    if (type === 'text/html') html = Math.max(html, q);
    else if (/^(application\/(json|graphql-response\+json|\*)|multipart\/mixed|\*\/\*)$/.test(type)) other = Math.max(other, q);
  }
  return html > 0 && html > other;
}

export interface Playground {
  /** Serves the IDE's page (the HTTP edge calls it for GET /graphql from a browser). */
  page: RouteHandler;
  /** `GET /graphql/ide/…` routes, one per asset. */
  routes: Record<string, RouteHandler>;
}

export function createPlayground(): Playground {
  const assets = createStaticAssets(ASSETS);
  let html: string | null = null;
  const pageHtml = () =>
    (html ??= `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Identity subgraph · GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${assets.url(`${PLAYGROUND_ASSET_PREFIX}graphiql.css`)}">
<link rel="stylesheet" href="${assets.url(`${PLAYGROUND_ASSET_PREFIX}page.css`)}">
</head>
<body>
<div id="graphiql">Loading the GraphQL IDE…</div>
${['react.js', 'react-dom.js', 'graphiql.js', 'start.js'].map((name) => `<script src="${assets.url(`${PLAYGROUND_ASSET_PREFIX}${name}`)}"></script>`).join('\n')}
</body>
</html>
`);

  function page(_req: IncomingMessage, res: ServerResponse): void {
    const body = pageHtml();
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'content-security-policy': PLAYGROUND_CSP,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    res.end(body);
  }

  return { page, routes: assets.routes() };
}
