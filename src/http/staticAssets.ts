// Fixed, named static files (npm packages' browser bundles, generated text) served from memory:
// a table of exact paths, so no request path ever reaches the file system.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { RouteHandler } from './server.js';

export interface StaticAsset {
  /** URL path, e.g. `/graphql/ide/react.js`. */
  path: string;
  contentType: string;
  /** The content, read once on first use. */
  load: () => Buffer;
}

interface Loaded {
  body: Buffer;
  gzipped: Buffer | null;
  etag: string;
  version: string;
}

const require = createRequire(import.meta.url);

/** A file inside an installed package (resolved through its package.json, as `exports` may hide it). */
export function packageFile(pkg: string, file: string): () => Buffer {
  return () => readFileSync(join(dirname(require.resolve(`${pkg}/package.json`)), file));
}

/**
 * Serves the assets. A URL carrying `?v=<version>` of the current content may be cached for a
 * year (immutable); any other is revalidated by ETag, so an upgrade is never served stale.
 */
export function createStaticAssets(assets: readonly StaticAsset[]) {
  const loaded = new Map<string, Loaded>();

  function get(asset: StaticAsset): Loaded {
    let entry = loaded.get(asset.path);
    if (entry === undefined) {
      const body = asset.load();
      const version = createHash('sha256').update(body).digest('base64url').slice(0, 16);
      // Text compresses well; gzip once, here, rather than per request.
      const gzipped = body.length > 1024 ? gzipSync(body) : null;
      entry = { body, gzipped, etag: `"${version}"`, version };
      loaded.set(asset.path, entry);
    }
    return entry;
  }

  function serve(asset: StaticAsset, req: IncomingMessage, res: ServerResponse): void {
    const entry = get(asset);
    const search = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    const headers: Record<string, string> = {
      'content-type': asset.contentType,
      'cache-control': search.get('v') === entry.version ? 'public, max-age=31536000, immutable' : 'no-cache',
      etag: entry.etag,
      vary: 'Accept-Encoding',
      'x-content-type-options': 'nosniff',
    };
    if (req.headers['if-none-match'] === entry.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const gzip = entry.gzipped !== null && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? entry.gzipped! : entry.body;
    if (gzip) headers['content-encoding'] = 'gzip';
    headers['content-length'] = String(body.length);
    res.writeHead(200, headers);
    res.end(body);
  }

  return {
    /** `GET path` routes for the HTTP edge. */
    routes(): Record<string, RouteHandler> {
      return Object.fromEntries(assets.map((asset) => [`GET ${asset.path}`, (req, res) => serve(asset, req, res)] as const));
    },
    /** The asset's URL with its content version, for pages to reference. */
    url(path: string): string {
      const asset = assets.find((a) => a.path === path);
      if (asset === undefined) throw new Error(`unknown static asset ${path}`);
      return `${path}?v=${get(asset).version}`;
    },
  };
}
