// An old session validator on loopback (callers.md, "Old validators that do not speak RFC 7662"):
// it reads the token from the shape it was built for (`X-User-Token`, a bearer, or RFC 7662's
// form), answers the sessions it was given in its own JSON, a dead session with a status of its
// choice, and can fail (500) or never answer.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ValidatorShape = { header: string } | 'bearer' | 'rfc7662';
export type ValidatorMode = 'up' | 'down' | 'hang';

export interface RecordedCall {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface OldValidator {
  readonly url: string;
  readonly calls: RecordedCall[];
  /** The body answered (200) for `token`; a number: that status with `{"error":"…"}`. */
  setSession(token: string, answer: Record<string, unknown> | number): void;
  /** Status for tokens it does not know (default 401). */
  setUnknownStatus(status: number): void;
  setMode(mode: ValidatorMode): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startOldValidator(shape: ValidatorShape, path = '/validate'): Promise<OldValidator> {
  const sessions = new Map<string, Record<string, unknown> | number>();
  const calls: RecordedCall[] = [];
  let unknownStatus = 401;
  let mode: ValidatorMode = 'up';

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const requestPath = new URL(req.url ?? '/', 'http://localhost').pathname;
    calls.push({ method: req.method ?? '', path: requestPath, headers: req.headers, body });
    if (mode === 'hang') return;
    if (mode === 'down') return send(res, 500, { error: 'down' });
    if (requestPath !== path) return send(res, 404, { error: 'not_found' });
    let token: string | undefined;
    if (shape === 'bearer') token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    else if (shape === 'rfc7662') token = new URLSearchParams(body).get('token') ?? undefined;
    else token = req.headers[shape.header.toLowerCase()] as string | undefined;
    const answer = token === undefined ? undefined : sessions.get(token);
    if (shape === 'rfc7662') return send(res, 200, typeof answer === 'object' ? { active: true, ...answer } : { active: false });
    if (answer === undefined) return send(res, unknownStatus, { error: 'unknown session' });
    if (typeof answer === 'number') return send(res, answer, { error: 'session refused' });
    send(res, 200, answer);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, { error: 'validator failed' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    calls,
    setSession: (token, answer) => void sessions.set(token, answer),
    setUnknownStatus: (status) => void (unknownStatus = status),
    setMode: (next) => void (mode = next),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
