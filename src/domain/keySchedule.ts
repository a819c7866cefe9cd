// Which platform signing key is next, active or retiring at a given time, derived from the keys'
// times alone, so every replica reading the same rows signs with the same key and publishes the
// same set without any state change being written. Pure.

export type KeyState = 'next' | 'active' | 'retiring';

export interface ScheduledTimes {
  kid: string;
  /** When the key may start signing (ms since epoch). */
  activatesAt: number;
  /** The longest lifetime of a token it signed (seconds). */
  maxTokenTtlSeconds: number;
}

export interface ScheduledKey<K> {
  key: K;
  state: KeyState;
  /** When a successor takes over signing (ms); null while none is scheduled. */
  retiresAt: number | null;
  /** When it leaves the published set: every token it signed has expired (ms); null while no successor is scheduled. */
  unpublishAt: number | null;
}

export interface KeySchedule<K> {
  /** The key that signs now; null when there is none (a database that lost its keys). */
  active: K | null;
  /** Every key in the JWKS now: next, active and retiring, oldest first. */
  published: ScheduledKey<K>[];
  /** Keys whose last token has expired: out of the JWKS, removable. */
  expired: K[];
}

/** A superseded key stays published this long after its last token expired (clock skew). */
export const UNPUBLISH_GRACE_MS = 60_000;

function byActivation(a: ScheduledTimes, b: ScheduledTimes): number {
  return a.activatesAt - b.activatesAt || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0);
}

function unpublishTime(retiresAt: number, key: ScheduledTimes): number {
  return retiresAt + key.maxTokenTtlSeconds * 1000 + UNPUBLISH_GRACE_MS;
}

export function scheduleKeys<K extends ScheduledTimes>(keys: readonly K[], now: number): KeySchedule<K> {
  const ordered = [...keys].sort(byActivation);
  let active: K | null = null;
  for (const key of ordered) if (key.activatesAt <= now) active = key;
  const published: ScheduledKey<K>[] = [];
  const expired: K[] = [];
  ordered.forEach((key, index) => {
    const successor = ordered[index + 1];
    const retiresAt = successor === undefined ? null : successor.activatesAt;
    if (key.activatesAt > now) {
      published.push({ key, state: 'next', retiresAt, unpublishAt: null });
    } else if (key === active) {
      published.push({ key, state: 'active', retiresAt, unpublishAt: retiresAt === null ? null : unpublishTime(retiresAt, key) });
    } else {
      const unpublishAt = unpublishTime(retiresAt!, key);
      if (now >= unpublishAt) expired.push(key);
      else published.push({ key, state: 'retiring', retiresAt, unpublishAt });
    }
  });
  return { active, published, expired };
}

/** What a new key's publication lead is made of. */
export interface PublicationTiming {
  /**
   * The longest any replica goes on serving a key set read before a change (ms): a replica
   * rereads the rows every few seconds and answers 503 rather than serve a set read longer ago
   * than this, so a key committed at T is in every JWKS a replica serves from T + this on.
   */
  propagationMs: number;
  /** How long a client may cache a JWKS response (its Cache-Control max-age, seconds). */
  jwksMaxAgeSeconds: number;
}

/** The contract's margin between the last cached JWKS without a new key expiring and that key signing. */
export const PUBLICATION_MARGIN_MS = 60_000;

/**
 * How long after its creation a new key may first sign (ms). Created at T, it is served by every
 * replica from T + propagation (the last replica's reload, or its refusal to serve staler keys);
 * a JWKS fetched just before that is cached for max-age more; then the margin:
 * lead = propagation + max-age + 60 s (platform-tokens.md: counted from the last replica).
 */
export function publicationLeadMs(timing: PublicationTiming): number {
  return timing.propagationMs + timing.jwksMaxAgeSeconds * 1000 + PUBLICATION_MARGIN_MS;
}

export interface RotationPolicy {
  /** How long a key signs before its successor takes over (ms). */
  periodMs: number;
  /** How long a new key is published before it signs (ms): publicationLeadMs. */
  leadMs: number;
  /** The algorithm new keys use; an active key of another one is replaced (config change). */
  alg: string;
}

/**
 * Whether a successor must be created now: none is scheduled yet, and the active key is due
 * (its period minus the lead has passed) or uses another algorithm than configured. With no
 * active key at all nothing is due: lost keys are an operator's matter, never regenerated here.
 */
export function rotationDue<K extends ScheduledTimes & { alg: string }>(keys: readonly K[], now: number, policy: RotationPolicy): boolean {
  const schedule = scheduleKeys(keys, now);
  if (schedule.active === null) return false;
  if (schedule.published.some((k) => k.state === 'next')) return false;
  return schedule.active.alg !== policy.alg || now >= schedule.active.activatesAt + policy.periodMs - policy.leadMs;
}
