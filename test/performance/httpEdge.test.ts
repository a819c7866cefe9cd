// The HTTP edge's per-request economies (docs/performance.md, "The HTTP edge"), each held by a
// check that fails if it is undone: a POST to /graphql without a query string builds no `URL`,
// the body is read by events (no async iterator), each response gets one listener of ours
// ('close', no 'finish'), and Apollo gets the context value itself (no async wrapper): the
// request's answer and its request log line still come out right.
import { createServer, IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { readBody } from '../../src/http/respond.js';
import { useTestBed } from '../helpers/testBed.js';

const bed = useTestBed();
const restore: (() => void)[] = [];
afterEach(() => {
  for (const undo of restore.splice(0)) undo();
});

/** Response listener counts of a bare node:http server (Node's own), to compare ours with. */
async function bareListenerCounts(): Promise<{ finish: number; close: number }> {
  let counts = { finish: -1, close: -1 };
  const server = createServer((_req, res) => {
    counts = { finish: res.listenerCount('finish'), close: res.listenerCount('close') };
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)).text();
  await new Promise((resolve) => server.close(resolve));
  return counts;
}

describe('the HTTP edge per request', () => {
  it('answers a POST /graphql without building a URL or iterating the body, with one close listener', async () => {
    const api = await bed.start();
    let urls = 0;
    const Original = globalThis.URL;
    globalThis.URL = class extends Original {
      constructor(input: string | URL, base?: string | URL) {
        super(input, base);
        // The service's own target only: the test issuer's JWKS server (same process) parses its own.
        if (base === 'http://localhost' && String(input).startsWith('/graphql')) urls += 1;
      }
    } as typeof URL;
    restore.push(() => (globalThis.URL = Original));
    let iterated = 0;
    const iterate = Readable.prototype[Symbol.asyncIterator];
    Readable.prototype[Symbol.asyncIterator] = function (this: Readable) {
      if (this instanceof IncomingMessage) iterated += 1;
      return iterate.call(this);
    };
    restore.push(() => (Readable.prototype[Symbol.asyncIterator] = iterate));
    const seen: { finish: number; close: number }[] = [];
    // Registered after the service's own request listener: it sees what the service attached.
    api.app.server.on('request', (_req: IncomingMessage, res: ServerResponse) => seen.push({ finish: res.listenerCount('finish'), close: res.listenerCount('close') }));

    const answer = await api.gql('query Edge { __typename }');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ data: { __typename: 'Query' } });
    expect(urls).toBe(0);
    expect(iterated).toBe(0);
    const bare = await bareListenerCounts();
    expect(seen).toEqual([{ finish: bare.finish, close: bare.close + 1 }]);

    // A query string is still read (GET), through URL.
    const get = await fetch(`${api.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(await get.json()).toEqual({ data: { __typename: 'Query' } });
    expect(urls).toBe(1);
  });

  it('reads a body in one or many chunks, refuses one over the limit, and fails when the client goes', async () => {
    const request = (chunks: string[], headers: Record<string, string> = {}) => {
      const stream = Readable.from(chunks.map((chunk) => Buffer.from(chunk))) as unknown as IncomingMessage;
      stream.headers = headers;
      return stream;
    };
    expect(await readBody(request(['{"a":', '"é"}']), 100)).toBe('{"a":"é"}');
    expect(await readBody(request(['one chunk']), 100)).toBe('one chunk');
    expect(await readBody(request([]), 100)).toBe('');
    await expect(readBody(request(['x'.repeat(60), 'y'.repeat(60)]), 100)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    await expect(readBody(request(['small'], { 'content-length': '101' }), 100)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    const gone = new Readable({ read() {} }) as unknown as IncomingMessage;
    gone.headers = {};
    const reading = readBody(gone, 100);
    (gone as unknown as Readable).push(Buffer.from('part'));
    (gone as unknown as Readable).destroy();
    await expect(reading).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });
});
