// WorkOS played on loopback (idp-events.md): an Events API (`GET /events?events=…&after=…&limit=…`,
// bearer API key, WorkOS's list shape) holding the events the test emits, and webhook deliveries
// signed by WorkOS's own SDK (`@workos-inc/node`'s `webhooks.computeSignature`), not by our HMAC.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkOS } from '@workos-inc/node';
import type { IssuerConfig } from '../../src/config/issuers.js';
import { issuerConfig, type TestIssuer } from './issuer.js';

export const WEBHOOK_SECRET = 'whsec_test_0123456789abcdef';
export const WORKOS_API_KEY = 'sk_test_events_key';
export const WORKOS_CLIENT_ID = 'client_01EVENTS';

export interface WorkosEvent {
  object: 'event';
  id: string;
  event: string;
  data: Record<string, unknown>;
  created_at: string;
}

export interface FakeWorkos {
  /** The `apiBaseUrl` to configure. */
  readonly url: string;
  /** Every event emitted, oldest first (what the Events API serves). */
  readonly events: WorkosEvent[];
  /** Events API requests received (query strings). */
  readonly requests: URLSearchParams[];
  /** `down`: the Events API answers 500. */
  mode: 'up' | 'down';
  /** The Events API answers after this long (ms). */
  delayMs: number;
  /** The Events API ignores `range_start` (the service must not rely on it). */
  ignoreRangeStart: boolean;
  /** Records an event created at `at` (ms; default now). Ids sort by creation, as WorkOS's do. */
  emit(type: string, data: Record<string, unknown>, at?: number): WorkosEvent;
  /** A webhook delivery of `event` to `baseUrl`'s endpoint `name`, signed by the SDK at `t` (ms) with `secret`. */
  deliver(baseUrl: string, name: string, event: unknown, options?: { t?: number; secret?: string; header?: string | null; body?: string }): Promise<{ status: number; text: string; headers: Headers }>;
  close(): Promise<void>;
}

const sdk = new WorkOS(WORKOS_API_KEY);

/** The `WorkOS-Signature` header WorkOS would send for this payload at `t`, computed by the SDK. */
export async function signatureHeader(payload: unknown, t: number, secret = WEBHOOK_SECRET): Promise<string> {
  return `t=${t}, v1=${await sdk.webhooks.computeSignature(t, payload, secret)}`;
}

let sequence = 0;

export async function startFakeWorkos(options: { now?: () => number } = {}): Promise<FakeWorkos> {
  const now = options.now ?? Date.now;
  const events: WorkosEvent[] = [];
  const requests: URLSearchParams[] = [];
  const fake = { mode: 'up' as 'up' | 'down', delayMs: 0, ignoreRangeStart: false };
  const server: Server = createServer(async (req, res) => {
    if (fake.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, fake.delayMs));
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (req.method !== 'GET' || url.pathname !== '/events') return send(404, { message: 'Not found' });
    if (req.headers.authorization !== `Bearer ${WORKOS_API_KEY}`) return send(401, { message: 'Unauthorized' });
    requests.push(url.searchParams);
    if (fake.mode === 'down') return send(500, { message: 'Internal error' });
    const types = new Set(url.searchParams.getAll('events').flatMap((value) => value.split(',')));
    const after = url.searchParams.get('after');
    const rangeStart = fake.ignoreRangeStart ? null : url.searchParams.get('range_start');
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 10), 100);
    let from = 0;
    if (after !== null) {
      const index = events.findIndex((event) => event.id === after);
      if (index < 0) return send(400, { message: 'Invalid after cursor' });
      from = index + 1;
    }
    const data = events
      .slice(from)
      .filter((event) => types.size === 0 || types.has(event.event))
      .filter((event) => after !== null || rangeStart === null || event.created_at >= rangeStart)
      .slice(0, limit);
    send(200, { object: 'list', data, list_metadata: { after: data.at(-1)?.id ?? null } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    events,
    requests,
    get mode() {
      return fake.mode;
    },
    set mode(mode) {
      fake.mode = mode;
    },
    get ignoreRangeStart() {
      return fake.ignoreRangeStart;
    },
    set ignoreRangeStart(value) {
      fake.ignoreRangeStart = value;
    },
    get delayMs() {
      return fake.delayMs;
    },
    set delayMs(ms) {
      fake.delayMs = ms;
    },
    emit(type, data, at = now()) {
      sequence += 1;
      const event: WorkosEvent = {
        object: 'event',
        id: `event_${String(at).padStart(15, '0')}${String(sequence).padStart(6, '0')}${randomUUID().slice(0, 6)}`,
        event: type,
        data,
        created_at: new Date(at).toISOString(),
      };
      events.push(event);
      return event;
    },
    async deliver(baseUrl, name, event, opts = {}) {
      const body = opts.body ?? JSON.stringify(event);
      const header = opts.header !== undefined ? opts.header : await signatureHeader(event, opts.t ?? now(), opts.secret);
      const response = await fetch(`${baseUrl}/webhooks/workos/${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(header === null ? {} : { 'workos-signature': header }) },
        body,
      });
      return { status: response.status, text: await response.text(), headers: response.headers };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Timers the test moves by hand (the pollers' PollTimers): `advance` runs what falls due, waiting for each poll it starts. */
export function fakeTimers(start = Date.now()) {
  let now = start;
  let seq = 0;
  const pending: { at: number; id: number; run: () => void }[] = [];
  return {
    timers: {
      now: () => now,
      setTimeout: (run: () => void, ms: number) => {
        seq += 1;
        pending.push({ at: now + ms, id: seq, run });
        return seq;
      },
      clearTimeout: (handle: unknown) => {
        const index = pending.findIndex((entry) => entry.id === handle);
        if (index >= 0) pending.splice(index, 1);
      },
    },
    now: () => now,
    /** Moves the clock by `ms`, running due timers in order; `settle` waits for what each started. */
    async advance(ms: number, settle: () => Promise<void>): Promise<void> {
      const target = now + ms;
      for (;;) {
        pending.sort((a, b) => a.at - b.at || a.id - b.id);
        const next = pending[0];
        if (next === undefined || next.at > target) break;
        pending.shift();
        now = Math.max(now, next.at);
        next.run();
        await settle();
      }
      now = target;
    },
  };
}

/** A `workos` entry trusting `issuer`'s tokens, with the webhook secret and the Events API at `fake`. */
export function workosIssuerConfig(issuer: TestIssuer, fake: FakeWorkos | null, overrides: Partial<IssuerConfig> = {}): IssuerConfig {
  return issuerConfig(issuer, {
    name: 'workos',
    kind: 'workos',
    clientId: WORKOS_CLIENT_ID,
    audience: null,
    emailTrust: 'claim',
    webhookSecret: WEBHOOK_SECRET,
    userinfoApiKey: fake === null ? null : WORKOS_API_KEY,
    apiBaseUrl: fake?.url ?? 'http://127.0.0.1:9',
    eventsPollSeconds: 0,
    ...overrides,
  });
}

/** A WorkOS user token for `subject` (claims merged in). */
export function workosToken(issuer: TestIssuer, subject: string, claims: Record<string, unknown> = {}): Promise<string> {
  return issuer.sign({ sub: subject, client_id: WORKOS_CLIENT_ID, email: `${subject}@example.com`, email_verified: true, sid: `session_${subject}`, ...claims });
}
