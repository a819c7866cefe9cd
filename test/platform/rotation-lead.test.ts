// The publication lead of a new signing key, counted from the LAST replica serving it: two
// replicas (two apps on one database) whose key stores run on an injected clock. One creates the
// successor; the other read the rows an instant before and then fails to reload, so it serves
// the old set as long as it is allowed to (then answers 503). Every JWKS response any replica
// served without the new key must be at least its max-age + 60 s older than the key's first
// signature, as a client caching it for max-age would otherwise meet an unknown kid.
import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { JWKS_MAX_AGE_SECONDS, MAX_STALE_MS } from '../../src/auth/platformKeys.js';
import { publicationLeadMs } from '../../src/domain/keySchedule.js';
import type { TestApp } from '../helpers/app.js';
import { exchangeForm, platformConfig, postToken } from '../helpers/platform.js';
import { useTestBed } from '../helpers/testBed.js';

const DAY = 86_400_000;
const STEP_MS = 1000;
const COARSE_SAMPLE_MS = 10_000;
const bed = useTestBed();

interface Served {
  at: number;
  replica: string;
  kids: string[];
  maxAgeSeconds: number;
}

async function jwks(app: TestApp): Promise<{ status: number; kids: string[]; maxAgeSeconds: number }> {
  const response = await fetch(`${app.url}/.well-known/jwks.json`);
  const body = (await response.json()) as { keys?: { kid: string }[] };
  const maxAgeSeconds = Number(/max-age=(\d+)/.exec(response.headers.get('cache-control') ?? '')?.[1] ?? NaN);
  return { status: response.status, kids: (body.keys ?? []).map((k) => k.kid), maxAgeSeconds };
}

async function signingKid(app: TestApp, subject: string): Promise<string | null> {
  const answer = await postToken(app.url, exchangeForm(subject));
  return answer.status === 200 ? decodeProtectedHeader(answer.body.access_token as string).kid! : null;
}

// The production timing, and a shorter one: the lead follows whatever the replicas run with.
const TIMINGS = [
  { name: 'the default timing', maxStaleMs: undefined, jwksMaxAgeSeconds: undefined },
  { name: 'a 5 s staleness bound and a 30 s max-age', maxStaleMs: 5000, jwksMaxAgeSeconds: 30 },
];

describe.each(TIMINGS)('a new platform signing key, with $name', ({ maxStaleMs, jwksMaxAgeSeconds }) => {
  it('signs only max-age + 60 s after the last replica serves it, even when a replica read the keys just before it was created and then could not reload', async () => {
    await bed.database.db.query('delete from platform_keys');
    await bed.database.db.query('delete from platform_key_marker');
    let now = Date.parse('2026-06-01T00:00:00Z');
    // Timers off (an hour): the test drives every reload.
    const timing = { now: () => now, reloadIntervalMs: 3_600_000, maxStaleMs, jwksMaxAgeSeconds };
    const platform = platformConfig({ rotationDays: 30 });
    const a = await bed.start({ config: { platform }, appOptions: { platformKeys: timing } });
    const b = await bed.start({ config: { platform }, appOptions: { platformKeys: timing } });
    const subject = await bed.issuer.sign({ sub: `auth0|${randomUUID()}`, aud: 'https://api.test', email: `${randomUUID()}@example.com`, email_verified: true });
    // A database that never held a key: one, signing at once.
    const first = await signingKid(a, subject);
    expect(first).not.toBeNull();
    expect(await signingKid(b, subject)).toBe(first);

    const served: Served[] = [];
    const signed: { at: number; kid: string }[] = [];
    let createdAt: number | null = null;
    // From 10 s before the successor is due, by the lead these timings should give, to two leads
    // later. Only where the loop starts depends on that formula: were the product's lead longer,
    // the successor would be created at the first step, and every assertion below still holds it
    // to the rule; were it shorter, later within the loop.
    const lead = publicationLeadMs({ propagationMs: maxStaleMs ?? MAX_STALE_MS, jwksMaxAgeSeconds: jwksMaxAgeSeconds ?? JWKS_MAX_AGE_SECONDS });
    const start = now + 30 * DAY - lead - 10_000;
    const end = start + 10_000 + 2 * lead;
    // Until the successor exists, every second: the replicas reload and are sampled (B must read
    // the rows an instant before A creates it). After, a second is reloaded and sampled where the
    // answer can change (from the creation through B's stale then refused window and its return,
    // and around the predicted first signature, ±10 s), every tenth second between, which sees
    // every state those windows leave. A lead other than the predicted one is still caught: its
    // first signature falls on a ten-second step.
    const sampled = (t: number): boolean => {
      const coarse = (t - start) % COARSE_SAMPLE_MS === 0;
      if (coarse || createdAt === null) return coarse;
      const predicted = createdAt + (maxStaleMs ?? MAX_STALE_MS) + (served[0]?.maxAgeSeconds ?? 0) * 1000 + 60_000;
      return (t >= createdAt && t <= createdAt + 130_000) || Math.abs(t - predicted) <= 10_000;
    };
    for (now = start; now <= end; now += STEP_MS) {
      const t = now;
      if (createdAt !== null && !sampled(t)) continue;
      // B reads the rows an instant before A looks (so A, not B, finds the successor due), and
      // fails to reload for two minutes after the successor exists.
      if (createdAt === null || t > createdAt + 120_000) {
        now = t - 1;
        await b.app.platform!.keys.refresh();
        now = t;
      }
      await a.app.platform!.keys.refresh();
      if (createdAt === null && (await bed.database.db.query('select kid from platform_keys')).length > 1) createdAt = t;
      if (!sampled(t)) continue;
      for (const [replica, app] of [['a', a], ['b', b]] as const) {
        const document = await jwks(app);
        if (document.status === 200) served.push({ at: t, replica, kids: document.kids, maxAgeSeconds: document.maxAgeSeconds });
        else expect(document.status).toBe(503);
        const kid = await signingKid(app, subject);
        if (kid !== null) signed.push({ at: t, kid });
      }
    }

    expect(createdAt).not.toBeNull();
    const successor = signed.find((s) => s.kid !== first);
    expect(successor, 'the successor signs within the window').toBeDefined();
    // Before its first signature, only the old key signed; after it, only the successor.
    expect(signed.filter((s) => s.at < successor!.at).every((s) => s.kid === first)).toBe(true);
    expect(signed.filter((s) => s.at >= successor!.at).every((s) => s.kid === successor!.kid)).toBe(true);
    // Replica B did serve the old set after the successor was created (the case under test).
    const without = served.filter((d) => !d.kids.includes(successor!.kid));
    expect(without.some((d) => d.replica === 'b' && d.at > createdAt!)).toBe(true);
    // The rule: every document lacking the successor expired from any cache (max-age) at least 60 s
    // before the successor's first signature.
    for (const document of without) {
      expect(document.maxAgeSeconds).toBeGreaterThan(0);
      expect(successor!.at - document.at, `${document.replica} served the old set at +${(document.at - createdAt!) / 1000} s`).toBeGreaterThanOrEqual(document.maxAgeSeconds * 1000 + 60_000);
    }
    // No longer than that either: the lead is the staleness bound + max-age + 60 s, not a constant.
    const maxAge = served[0]!.maxAgeSeconds;
    expect(successor!.at - createdAt!).toBe((maxStaleMs ?? MAX_STALE_MS) + maxAge * 1000 + 60_000);
    // And every document from then on holds both keys until the old one's tokens have expired.
    for (const document of served.filter((d) => d.at >= successor!.at)) expect(document.kids).toEqual(expect.arrayContaining([first, successor!.kid]));
  }, 120_000);
});
