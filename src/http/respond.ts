// Small helpers to read requests and write JSON responses on node:http.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError, errorHeaders } from '../errors.js';

const EMPTY = Buffer.alloc(0);

/**
 * Reads the whole body, refusing more than `limit` bytes (AppError PAYLOAD_TOO_LARGE: a body
 * declared larger is refused unread; the rest of one that grows past it is read and dropped).
 * Events, not `for await`: the async iterator costs every request an iterator, a promise per
 * chunk and an end-of-stream watcher (docs/performance.md, "The body").
 */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return readBytes(req, limit, (bytes) => bytes.toString('utf8'));
}

/** The body's bytes as sent (a signature covers them), refusing more than `limit` (AppError PAYLOAD_TOO_LARGE). */
export function readRawBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return readBytes(req, limit, (bytes) => bytes);
}

function readBytes<T>(req: IncomingMessage, limit: number, decode: (bytes: Buffer) => T): Promise<T> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new AppError('PAYLOAD_TOO_LARGE'));
  return new Promise<T>((resolve, reject) => {
    let first: Buffer | undefined;
    let rest: Buffer[] | undefined;
    let size = 0;
    const settle = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    function onData(chunk: Buffer) {
      size += chunk.length;
      if (size > limit) {
        // The rest is read and dropped (nothing is kept) while the 413 is answered.
        settle();
        req.resume();
        reject(new AppError('PAYLOAD_TOO_LARGE'));
        return;
      }
      if (first === undefined) first = chunk;
      else (rest ??= [first]).push(chunk);
    }
    function onEnd() {
      settle();
      // One chunk (most bodies): decoded where it lies, without a copy.
      if (rest !== undefined) resolve(decode(Buffer.concat(rest, size)));
      else resolve(decode(first ?? EMPTY));
    }
    function onError(error: Error) {
      settle();
      reject(error);
    }
    function onClose() {
      // Closed before its end: the client went away mid-body.
      settle();
      reject(Object.assign(new Error('The request closed before its body ended.'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

/** A request-level failure in GraphQL's response shape: `errors[0].extensions.code`. */
export function sendGraphQLError(res: ServerResponse, error: AppError, requestId: string): void {
  const extensions: Record<string, unknown> = { code: error.code, requestId };
  if (error.reason !== undefined) extensions['reason'] = error.reason;
  sendJson(res, error.status, { errors: [{ message: error.message, extensions }] }, { 'cache-control': 'no-store', ...errorHeaders(error) });
}
