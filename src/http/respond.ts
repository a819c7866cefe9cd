// Small helpers to read requests and write JSON responses on node:http.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError, errorHeaders } from '../errors.js';

/** Reads the whole body, refusing more than `limit` bytes (AppError PAYLOAD_TOO_LARGE). */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return (await readRawBody(req, limit)).toString('utf8');
}

/** The body's bytes as sent (a signature covers them), refusing more than `limit` (AppError PAYLOAD_TOO_LARGE). */
export async function readRawBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new AppError('PAYLOAD_TOO_LARGE');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new AppError('PAYLOAD_TOO_LARGE');
    chunks.push(chunk);
  }
  // One chunk (most bodies): used where it lies, without a copy.
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
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
